import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/** Most iterations bpf_loop accepts (BPF_MAX_LOOPS, kernel/bpf/bpf_iter.c). */
export const BPF_MAX_LOOPS = 1 << 23;

/**
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags): flags ≠ 0 → -EINVAL, nr_loops > 2^23 →
 * -E2BIG; otherwise calls callback_fn(i, callback_ctx) for i = 0.. and stops early when the
 * callback returns non-zero. Returns the number of iterations run, the stopping one included.
 * The callback's instructions count against the packet's instruction budget.
 */
function loop(vm: Vm): void {
  const L = vm.L, H = vm.H;
  const nr = L[1]! >>> 0, fn = L[2]!, ctxLo = L[3]!, ctxHi = H[3]!;
  if (L[4] !== 0 || H[4] !== 0) { vm.ret(-Errno.EINVAL); return; }
  if (nr > BPF_MAX_LOOPS) { vm.ret(-Errno.E2BIG); return; }
  for (let i = 0; i < nr; i++) {
    L[1] = i; H[1] = 0; L[2] = ctxLo; H[2] = ctxHi;
    if (!vm.callback(fn)) return;
    if (L[0] !== 0 || H[0] !== 0) { vm.ret(i + 1); return; }
  }
  vm.ret(nr);
}

export const LOOP_HELPERS: readonly HelperDef[] = [
  { id: 181, name: 'loop', fn: loop },
];
