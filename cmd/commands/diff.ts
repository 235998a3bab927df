import type { Argv, CommandModule } from 'yargs';
import { XdpReplayError } from '../../lib/errors.ts';
import type { DiffCompare } from '../../lib/replay/diff.ts';
import { CommandExit } from '../cli-error.ts';
import { EXIT_INTERRUPTED } from '../io.ts';
import { logOptions, type LogArgs } from '../log-options.ts';
import { DEFAULTS } from '../options.ts';

/** The execution engines a side can run on (XdpLoadOptions.engine): auto = wasm when it can compile the program. */
export const ENGINES = ['auto', 'interp', 'wasm'] as const;
export type Engine = (typeof ENGINES)[number];

export interface DiffArgs extends LogArgs {
  input: string;
  old: string;
  new: string;
  prog: string | undefined;
  oldProg: string | undefined;
  newProg: string | undefined;
  output: string | undefined;
  json: string | undefined;
  compare: DiffCompare;
  first: number;
  count: number | undefined;
  seed: number;
  limitInsns: number;
  engine: Engine;
  oldEngine: Engine | undefined;
  newEngine: Engine | undefined;
  maxCaplen: number;
  mapsIn: string | undefined;
  oldMapsIn: string | undefined;
  newMapsIn: string | undefined;
  quiet: boolean;
}

/** Exit status like diff(1): 0 identical, 1 differences, 2 trouble. */
export const DiffExit = { SAME: 0, DIFFERENT: 1, TROUBLE: 2, INTERRUPTED: EXIT_INTERRUPTED } as const;

export const diffCommand: CommandModule<object, DiffArgs> = {
  command: 'diff <input> <old> <new>',
  describe: 'run two versions of an XDP program over the same capture; report the packets whose verdict or output changed (exit 0 same, 1 different, 2 trouble)',
  builder: (y: Argv) =>
    logOptions(y)
      // yargs turns a lone "-" positional into "": map it back to stdin.
      .positional('input', { type: 'string', demandOption: true, describe: 'pcap or pcapng file, or - for stdin', coerce: (v: string) => (v === '' ? '-' : v) })
      .positional('old', { type: 'string', demandOption: true, describe: 'BPF object of the old version' })
      .positional('new', { type: 'string', demandOption: true, describe: 'BPF object of the new version' })
      .option('prog', { alias: 'p', type: 'string', requiresArg: true, describe: 'program (function or section name) in both objects', group: 'Program:' })
      .option('old-prog', { type: 'string', requiresArg: true, describe: 'program in the old object', group: 'Program:' })
      .option('new-prog', { type: 'string', requiresArg: true, describe: 'program in the new object', group: 'Program:' })
      .conflicts('prog', ['old-prog', 'new-prog'])
      .option('maps-in', { type: 'string', requiresArg: true, describe: 'seed both versions\' maps from this map-state JSON file', group: 'Program:' })
      .option('old-maps-in', { type: 'string', requiresArg: true, describe: 'seed the old version\'s maps from this file instead', group: 'Program:' })
      .option('new-maps-in', { type: 'string', requiresArg: true, describe: 'seed the new version\'s maps from this file instead', group: 'Program:' })
      .option('seed', { type: 'number', default: 1, describe: 'seed for bpf_get_prandom_u32 (the same for both versions)', group: 'Program:' })
      .option('limit-insns', { type: 'number', default: 1_000_000, describe: 'instruction budget per packet (an endless loop becomes a fault)', group: 'Program:' })
      .option('engine', { choices: ENGINES, default: 'auto' as Engine, describe: 'engine for both sides: the interpreter, the WebAssembly compiler, or auto (wasm when it can); one object with --old-engine interp --new-engine wasm is an engine self-check', group: 'Program:' })
      .option('old-engine', { choices: ENGINES, describe: 'engine for the old side (default: --engine)', group: 'Program:' })
      .option('new-engine', { choices: ENGINES, describe: 'engine for the new side (default: --engine)', group: 'Program:' })
      .option('compare', { choices: ['verdict', 'bytes'] as const, default: 'bytes' as DiffCompare, describe: 'what makes a packet differ: the verdict only, or also the output bytes', group: 'Report:' })
      .option('first', { type: 'number', default: 10, describe: 'list the first N differing packets', group: 'Report:' })
      .option('json', { type: 'string', requiresArg: true, describe: 'also write the report as JSON to this file (- = stdout; the text report then goes to stderr)', group: 'Report:' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'pcapng of the differing packets: old and new exit record of each, same packet id (- = stdout)', group: 'Report:' })
      .option('count', { alias: 'c', type: 'number', requiresArg: true, describe: 'compare only the first N packets', group: 'Input:' })
      .option('max-caplen', { type: 'number', default: DEFAULTS.maxCaplen, describe: 'largest captured packet length accepted', group: 'Input:' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress on stderr (nor the text report when stdout carries the pcapng or JSON)' }) as unknown as Argv<DiffArgs>,
  handler: async (argv) => {
    try {
      const { runDiff } = await import('./diff-run.ts');
      await runDiff(argv);
    } catch (err) {
      // Like diff(1): trouble (an unreadable capture or object, a write error) exits 2, not 1.
      if (err instanceof XdpReplayError) throw new CommandExit(DiffExit.TROUBLE, err);
      throw err;
    }
  },
};
