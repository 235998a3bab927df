import { toU64 } from '../arith64.ts';
import { ProgArrayMap } from '../maps/prog-array-map.ts';
import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/** Most tail calls one invocation may make (MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALLS = 33;

function mapLookupElem(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined) return;
  const key = vm.argBytes(2, m.spec.keySize, false);
  if (key === undefined) return;
  vm.ret(m.lookup(key));
}

function mapUpdateElem(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined) return;
  const key = vm.argBytes(2, m.spec.keySize, false);
  if (key === undefined) return;
  const value = vm.argBytes(3, m.spec.valueSize, false);
  if (value === undefined) return;
  const flags = toU64(vm.L[4]!, vm.H[4]!);
  vm.ret(flags > 0xffffffffn ? -Errno.EINVAL : m.update(key, value, Number(flags)));
}

function mapDeleteElem(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined) return;
  const key = vm.argBytes(2, m.spec.keySize, false);
  if (key === undefined) return;
  vm.ret(m.delete(key));
}

/**
 * bpf_tail_call(ctx, prog_array, index): on success the interpreter continues at insn 0 of
 * the target (same frame); on failure (index out of range, empty slot, 33 calls already)
 * execution falls through and r0 is left as it was, like the kernel's inline tail call.
 */
function tailCall(vm: Vm): void {
  const m = vm.mapArg(2);
  if (m === undefined) return;
  if (!(m instanceof ProgArrayMap)) {
    vm.setFault('bad-helper-arg', 0, 0, `bpf_tail_call on map "${m.spec.name}", which is not a PROG_ARRAY`);
    return;
  }
  const index = vm.L[3]! >>> 0;
  if (index >= m.spec.maxEntries) return;
  const name = m.slots.get(index);
  if (name === undefined) return;
  if (vm.tailCalls >= MAX_TAIL_CALLS) return;
  const image = vm.images.get(name);
  if (image === undefined) return;
  vm.tailCalls++;
  vm.tailTarget = image;
}

export const MAP_HELPERS: readonly HelperDef[] = [
  { id: 1, name: 'map_lookup_elem', fn: mapLookupElem },
  { id: 2, name: 'map_update_elem', fn: mapUpdateElem },
  { id: 3, name: 'map_delete_elem', fn: mapDeleteElem },
  { id: 12, name: 'tail_call', fn: tailCall },
];
