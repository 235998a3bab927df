import type { Helper } from '../vm.ts';

/** One helper implementation; groups of these live in one file per group (maps, printk, …). */
export interface HelperDef {
  id: number;
  /** Kernel name without the `bpf_` prefix. */
  name: string;
  fn: Helper;
}

/** Helper table indexed by id, for the interpreter (`helpers[imm](vm)`). */
export function buildHelperTable(groups: readonly (readonly HelperDef[])[]): (Helper | undefined)[] {
  const table: (Helper | undefined)[] = [];
  for (const group of groups) for (const h of group) table[h.id] = h.fn;
  return table;
}
