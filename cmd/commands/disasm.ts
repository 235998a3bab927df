import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.ts';
import type { DisasmStyle } from '../../lib/isa/disasm.ts';
import type { RenderDisasmOptions } from './disasm-run.ts';

interface DisasmArgs {
  object: string;
  prog?: string;
  source: boolean;
  json: boolean;
  style: DisasmStyle;
}

/** `xdpreplay disasm prog.o [--prog NAME] [--no-source] [--json] [--style llvm|kernel]`. */
export const disasm: CommandModule<object, DisasmArgs> = {
  command: 'disasm <object>',
  describe: 'disassemble a program of a BPF object, with source lines',
  builder: (y: Argv) =>
    y
      .positional('object', { type: 'string', demandOption: true, describe: 'clang-compiled BPF object (.o)' })
      .option('prog', { type: 'string', describe: 'program (function) or section name' })
      .option('source', { type: 'boolean', default: true, describe: 'interleave source lines (--no-source to omit)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON (keys pc, opcode, insn, src, file, line_num, line_col)' })
      .option('style', { choices: ['llvm', 'kernel'] as const, default: 'llvm' as const, describe: 'llvm-objdump or kernel/bpftool spelling' }) as unknown as Argv<DisasmArgs>,
  handler: async (argv) => {
    const { renderDisasm } = await import('./disasm-run.ts');
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(argv.object);
    } catch (err) {
      throw new UsageError(`disasm: cannot read "${argv.object}": ${(err as Error).message}`, { cause: err });
    }
    const opts: RenderDisasmOptions = { path: argv.object, source: argv.source, json: argv.json, style: argv.style };
    if (argv.prog !== undefined) opts.prog = argv.prog;
    process.stdout.write(renderDisasm(bytes, opts));
  },
};
