import { loadObject, selectProgram } from '../../lib/object/load-object.ts';
import { disassemble, disassembleEntries, type ListingOptions } from '../../lib/isa/disassemble.ts';
import type { DisasmStyle } from '../../lib/isa/disasm.ts';

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

