import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.ts';
import { loadObject, selectProgram } from '../../lib/object/load-object.ts';
import { disassemble, disassembleEntries, type ListingOptions } from '../../lib/isa/disassemble.ts';
import type { DisasmStyle } from '../../lib/isa/disasm.ts';

interface DisasmArgs {
  object: string;
  prog?: string;
  source: boolean;
  json: boolean;
  style: DisasmStyle;
}

export interface RenderDisasmOptions {
  /** Object path, for libbpf's object name in messages. */
  path: string;
  prog?: string;
  source?: boolean;
  json?: boolean;
  style?: DisasmStyle;
}

/**
 * The text `xdpreplay disasm` prints for an object: the selected program (linked with its
 * subprograms) in llvm syntax with map and helper names, source lines interleaved the way
 * `bpftool prog dump xlated linum` does; or the JSON listing.
 */
export function renderDisasm(bytes: Uint8Array, opts: RenderDisasmOptions): string {
  const spec = loadObject(bytes, { name: opts.path });
  const prog = selectProgram(spec, opts.prog);
  const listing: ListingOptions = {
    style: opts.style ?? 'llvm',
    helperNames: true,
    mapName: (i) => spec.maps[i]?.name,
    source: opts.source ?? true,
  };
  if (opts.json === true) return `${JSON.stringify(disassembleEntries(prog, listing), null, 2)}\n`;
  return `${disassemble(prog, listing).join('\n')}\n`;
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
  handler: (argv) => {
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
