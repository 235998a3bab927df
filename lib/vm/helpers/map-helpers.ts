import { toU64 } from '../arith64.ts';
import { HashMap } from '../maps/hash-map.ts';
import { DYNPTR_TYPE_RINGBUF, setDynptr } from './dynptr-helpers.ts';
import { PercpuArrayMap } from '../maps/percpu-array-map.ts';
import { PerfEventArrayMap } from '../maps/perf-event-array-map.ts';
import { ProgArrayMap } from '../maps/prog-array-map.ts';
import { QueueStackMap } from '../maps/queue-stack-map.ts';
import { RingbufMap } from '../maps/ringbuf-map.ts';
import { ArrayMap } from '../maps/array-map.ts';
import { BloomFilterMap } from '../maps/bloom-filter-map.ts';
import { Errno, keyIndex, type VmMap } from '../maps/vm-map.ts';
import { MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, MAX_CALL_FRAMES, stackFrameAddr } from '../memory.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/** Most tail calls one invocation may make (MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALLS = 33;

const BPF_F_RDONLY_PROG = 0x80;
const BPF_F_WRONLY_PROG = 0x100;

/**
 * BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG: the kernel's verifier refuses programs that write /
 * read such a map through helpers; the VM has no verifier for this, so the call faults.
 */
function accessAllowed(vm: Vm, m: VmMap, write: boolean): boolean {
  const flag = write ? BPF_F_RDONLY_PROG : BPF_F_WRONLY_PROG;
  if ((m.spec.flags & flag) === 0) return true;
  vm.setFault('bad-helper-arg', 0, 0, `map "${m.spec.name}" is ${write ? 'read' : 'write'}-only to programs (BPF_F_${write ? 'RDONLY' : 'WRONLY'}_PROG): the kernel refuses this program at load`);
  return false;
}

function mapLookupElem(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined || !accessAllowed(vm, m, false)) return;
  const key = vm.argBytes(2, m.spec.keySize, false);
  if (key === undefined) return;
  vm.ret(m.lookup(key));
}

function mapUpdateElem(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined || !accessAllowed(vm, m, true)) return;
  const key = vm.argBytes(2, m.spec.keySize, false);
  if (key === undefined) return;
  const value = vm.argBytes(3, m.spec.valueSize, false);
  if (value === undefined) return;
  const flags = toU64(vm.L[4]!, vm.H[4]!);
  vm.ret(flags > 0xffffffffn ? -Errno.EINVAL : m.update(key, value, Number(flags)));
}

function mapDeleteElem(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined || !accessAllowed(vm, m, true)) return;
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

function queueArg(vm: Vm, r: number): QueueStackMap | BloomFilterMap | undefined {
  const m = vm.mapArg(r);
  if (m === undefined) return undefined;
  if (m instanceof QueueStackMap || m instanceof BloomFilterMap) return m;
  vm.setFault('bad-helper-arg', 0, 0, `map "${m.spec.name}" is not a QUEUE, STACK or BLOOM_FILTER`);
  return undefined;
}

/** bpf_map_push_elem(map, value, flags). */
function mapPushElem(vm: Vm): void {
  const m = queueArg(vm, 1);
  if (m === undefined || !accessAllowed(vm, m, true)) return;
  const value = vm.argBytes(2, m.spec.valueSize, false);
  if (value === undefined) return;
  const flags = toU64(vm.L[3]!, vm.H[3]!);
  vm.ret(flags > 0xffffffffn ? -Errno.EINVAL : m.push(value, Number(flags)));
}

function mapTake(vm: Vm, remove: boolean): void {
  const m = queueArg(vm, 1);
  if (m === undefined || !accessAllowed(vm, m, remove)) return;
  if (m instanceof BloomFilterMap) {
    if (remove) { vm.ret(-Errno.EOPNOTSUPP); return; }
    const value = vm.argBytes(2, m.spec.valueSize, false);
    if (value !== undefined) vm.ret(m.has(value));
    return;
  }
  const out = vm.argBytes(2, m.spec.valueSize, true);
  if (out === undefined) return;
  vm.ret(m.take(out, remove));
}

/** bpf_map_lookup_percpu_elem(map, key, cpu): NULL for a CPU that is not modelled. */
function mapLookupPercpuElem(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined) return;
  if (!(m instanceof PercpuArrayMap) && !(m instanceof HashMap && m.percpu)) {
    vm.setFault('bad-helper-arg', 0, 0, `bpf_map_lookup_percpu_elem on map "${m.spec.name}", which is not per-CPU`);
    return;
  }
  const key = vm.argBytes(2, m.spec.keySize, false);
  if (key === undefined) return;
  vm.ret(m.lookupOnCpu(key, vm.L[3]! >>> 0));
}

function ringbufArg(vm: Vm, r: number): RingbufMap | undefined {
  const m = vm.mapArg(r);
  if (m === undefined) return undefined;
  if (m instanceof RingbufMap) return m;
  vm.setFault('bad-helper-arg', 0, 0, `map "${m.spec.name}" is not a RINGBUF`);
  return undefined;
}

const RB_WAKEUP_FLAGS = 3n;

/** bpf_ringbuf_output(ringbuf, data, size, flags): -EINVAL for unknown flags, -EAGAIN when full. */
function ringbufOutput(vm: Vm): void {
  const m = ringbufArg(vm, 1);
  if (m === undefined) return;
  const data = vm.argBytes(2, vm.L[3]! >>> 0, false);
  if (data === undefined) return;
  if ((toU64(vm.L[4]!, vm.H[4]!) & ~RB_WAKEUP_FLAGS) !== 0n) { vm.ret(-Errno.EINVAL); return; }
  vm.ret(m.output(data.slice()) ? 0 : -Errno.EAGAIN);
}

/** bpf_ringbuf_reserve(ringbuf, size, flags): NULL for non-zero flags or no room. */
function ringbufReserve(vm: Vm): void {
  const m = ringbufArg(vm, 1);
  if (m === undefined) return;
  if (vm.L[3] !== 0 || vm.H[3] !== 0 || vm.H[2] !== 0) { vm.ret(0); return; }
  vm.ret(m.reserve(vm.L[2]! >>> 0));
}

function ringbufCommit(vm: Vm, discard: boolean): void {
  const addr = vm.L[1]! >>> 0;
  for (const m of vm.maps) {
    if (m instanceof RingbufMap && vm.H[1] === 0 && m.commit(addr, discard)) { vm.ret(0); return; }
  }
  vm.setFault('bad-helper-arg', addr, 0, `r1 is not a reserved ring buffer sample`);
}

/**
 * bpf_ringbuf_reserve_dynptr(ringbuf, size, flags, ptr): flags → -EINVAL, size ≥ 2^24 →
 * -E2BIG, no room → -EINVAL (measured; not -EAGAIN as for ringbuf_output), ptr set to a null
 * dynptr in each case; otherwise a ring-buffer dynptr over the new sample.
 */
function ringbufReserveDynptr(vm: Vm): void {
  const m = ringbufArg(vm, 1);
  if (m === undefined) return;
  const out = vm.argBytes(4, 16, true);
  if (out === undefined) return;
  const view = new DataView(out.buffer, out.byteOffset, 16);
  const size = vm.L[2]! >>> 0;
  const fail = (errno: number): void => { setDynptr(view, 0, 0, 0); vm.ret(-errno); };
  if (vm.L[3] !== 0 || vm.H[3] !== 0) { fail(Errno.EINVAL); return; }
  if (size > 0xffffff) { fail(Errno.E2BIG); return; }
  const at = m.reserve(size);
  if (at === 0) { fail(Errno.EINVAL); return; }
  setDynptr(view, at, size, DYNPTR_TYPE_RINGBUF);
  vm.ret(0);
}

/** bpf_ringbuf_submit_dynptr / discard_dynptr(ptr, flags): commits the sample (a null dynptr: nothing) and nulls ptr. */
function ringbufCommitDynptr(vm: Vm, discard: boolean): void {
  const b = vm.argBytes(1, 16, true);
  if (b === undefined) return;
  const view = new DataView(b.buffer, b.byteOffset, 16);
  const addr = view.getUint32(0, true);
  if (addr !== 0 && view.getUint32(4, true) === 0) {
    let done = false;
    for (const m of vm.maps) if (m instanceof RingbufMap && m.commit(addr, discard)) { done = true; break; }
    if (!done) { vm.setFault('bad-helper-arg', addr, 0, 'r1 is not a ring buffer dynptr'); return; }
  }
  setDynptr(view, 0, 0, 0);
  vm.ret(0);
}

/** bpf_ringbuf_query(ringbuf, flags). */
function ringbufQuery(vm: Vm): void {
  const m = ringbufArg(vm, 1);
  if (m === undefined) return;
  vm.ret(vm.H[2] !== 0 ? 0 : m.query(vm.L[2]! >>> 0));
}

const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/**
 * bpf_perf_event_output(ctx, map, flags, data, size) for XDP: flags = index (or
 * BPF_F_CURRENT_CPU) | ctx_len << 32; the event is `data` followed by the first ctx_len packet
 * bytes. -EINVAL for other flag bits, -EFAULT for ctx_len beyond the frame, -E2BIG for an
 * index ≥ max_entries, -ENOENT for a closed slot.
 */
function perfEventOutput(vm: Vm): void {
  const m = vm.mapArg(2);
  if (m === undefined) return;
  if (!(m instanceof PerfEventArrayMap)) { vm.setFault('bad-helper-arg', 0, 0, `map "${m.spec.name}" is not a PERF_EVENT_ARRAY`); return; }
  const data = vm.argBytes(4, vm.L[5]! >>> 0, false);
  if (data === undefined) return;
  const flags = toU64(vm.L[3]!, vm.H[3]!);
  if ((flags & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK)) !== 0n) { vm.ret(-Errno.EINVAL); return; }
  const ctxLen = Number(flags >> 32n);
  const p = vm.packet;
  const linear = p.dataEnd - p.data;
  if (ctxLen > linear + p.frags.length) { vm.ret(-14); return; }
  let index = Number(flags & BPF_F_INDEX_MASK);
  if (index === 0xffffffff) index = vm.cpu.cpu;
  if (index >= m.maxEntries) { vm.ret(-Errno.E2BIG); return; }
  if (!m.open.has(index)) { vm.ret(-Errno.ENOENT); return; }
  const event = new Uint8Array(data.length + ctxLen);
  event.set(data);
  const fromLinear = Math.min(ctxLen, linear);
  event.set(vm.mem.u8.subarray(p.data, p.data + fromLinear), data.length);
  event.set(p.frags.subarray(0, ctxLen - fromLinear), data.length + fromLinear);
  vm.mapEnv.events.push({ map: m.spec.name, cpu: index, data: event });
  vm.ret(0);
}

/**
 * bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags) over (per-CPU) arrays and hash
 * maps: callback_fn(map, key, value, ctx) per element — arrays in index order, hash maps in
 * insertion order (the kernel's bucket order depends on a random seed) — until it returns
 * non-zero. Returns the number of elements visited, the stopping one included; flags ≠ 0 →
 * -EINVAL. Per-CPU maps give the running CPU's value; LRU references are not set. Elements
 * deleted by the callback before their turn are skipped. The key is copied to the lowest bytes
 * of the callback's stack frame (the verifier's 512-byte combined stack limit keeps programs
 * it accepts from reaching them unless the caller uses no stack at all).
 */
function forEachMapElem(vm: Vm): void {
  const L = vm.L, H = vm.H;
  const m = vm.mapArg(1);
  if (m === undefined) return;
  const fn = L[2]!, ctxLo = L[3]!, ctxHi = H[3]!;
  if (L[4] !== 0 || H[4] !== 0) { vm.ret(-Errno.EINVAL); return; }
  let keys: Uint8Array[];
  let valueAt: (key: Uint8Array) => number;
  if (m instanceof HashMap) {
    keys = m.keys();
    valueAt = (k) => m.peek(k);
  } else if (m instanceof ArrayMap || m instanceof PercpuArrayMap) {
    keys = Array.from({ length: m.spec.maxEntries }, (_, i) => Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24));
    valueAt = (k) => (keyIndex(k) < m.spec.maxEntries ? m.lookup(k) : 0);
  } else {
    vm.setFault('bad-helper-arg', 0, 0, `bpf_for_each_map_elem on map "${m.spec.name}" (type ${m.spec.type}), which the kernel does not iterate`);
    return;
  }
  const handle = MAP_HANDLE_BASE + m.index * MAP_HANDLE_STRIDE;
  const keyAddr = stackFrameAddr(Math.min(vm.depth + 1, MAX_CALL_FRAMES - 1));
  let n = 0;
  for (const key of keys) {
    const value = valueAt(key);
    if (value === 0) continue;
    vm.mem.u8.set(key, keyAddr);
    L[1] = handle; H[1] = 0; L[2] = keyAddr; H[2] = 0; L[3] = value; H[3] = 0; L[4] = ctxLo; H[4] = ctxHi; L[5] = 0; H[5] = 0;
    n++;
    if (!vm.callback(fn)) return;
    if (L[0] !== 0 || H[0] !== 0) break;
  }
  vm.ret(n);
}

export const MAP_HELPERS: readonly HelperDef[] = [
  { id: 1, name: 'map_lookup_elem', fn: mapLookupElem },
  { id: 2, name: 'map_update_elem', fn: mapUpdateElem },
  { id: 3, name: 'map_delete_elem', fn: mapDeleteElem },
  { id: 12, name: 'tail_call', fn: tailCall },
  { id: 25, name: 'perf_event_output', fn: perfEventOutput },
  { id: 87, name: 'map_push_elem', fn: mapPushElem },
  { id: 88, name: 'map_pop_elem', fn: (vm) => mapTake(vm, true) },
  { id: 89, name: 'map_peek_elem', fn: (vm) => mapTake(vm, false) },
  { id: 130, name: 'ringbuf_output', fn: ringbufOutput },
  { id: 131, name: 'ringbuf_reserve', fn: ringbufReserve },
  { id: 132, name: 'ringbuf_submit', fn: (vm) => ringbufCommit(vm, false) },
  { id: 133, name: 'ringbuf_discard', fn: (vm) => ringbufCommit(vm, true) },
  { id: 134, name: 'ringbuf_query', fn: ringbufQuery },
  { id: 164, name: 'for_each_map_elem', fn: forEachMapElem },
  { id: 195, name: 'map_lookup_percpu_elem', fn: mapLookupPercpuElem },
  { id: 198, name: 'ringbuf_reserve_dynptr', fn: ringbufReserveDynptr },
  { id: 199, name: 'ringbuf_submit_dynptr', fn: (vm) => ringbufCommitDynptr(vm, false) },
  { id: 200, name: 'ringbuf_discard_dynptr', fn: (vm) => ringbufCommitDynptr(vm, true) },
];
