import type { Helper } from '../vm.ts';

/** One helper implementation; groups of these live in one file per group (maps, printk, …). */
export interface HelperDef {
  id: number;
  /** Kernel name without the `bpf_` prefix. */
  name: string;
  fn: Helper;
}

/**
 * Helpers that call back into the program (bpf_for_each_map_elem 164, bpf_loop 181,
 * bpf_user_ringbuf_drain 209) through Vm.callback(): the compiled engine hands them the
 * exact instruction count and the caller's frame.
 */
export const CALLBACK_HELPER_IDS: ReadonlySet<number> = new Set([164, 181, 209]);

/** Helper table indexed by id, for the interpreter (`helpers[imm](vm)`). */
export function buildHelperTable(groups: readonly (readonly HelperDef[])[]): (Helper | undefined)[] {
  const table: (Helper | undefined)[] = [];
  for (const group of groups) for (const h of group) table[h.id] = h.fn;
  return table;
}
