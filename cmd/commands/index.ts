import type { CommandModule } from 'yargs';
import { cat } from './cat.ts';
import { diffCommand } from './diff.ts';
import { disasm } from './disasm.ts';
import { progs } from './progs.ts';
import { replayCommand } from './replay.ts';
import { traceCommand } from './trace.ts';

/** Every CLI command; each module exports one CommandModule. Add new commands here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs command modules differ in their argv types
export const commands: CommandModule<any, any>[] = [replayCommand, cat, progs, disasm, diffCommand, traceCommand];
