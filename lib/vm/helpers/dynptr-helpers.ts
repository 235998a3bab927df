import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/**
 * Local dynptrs (bpf_dynptr_from_mem, _read, _write, _data). A struct bpf_dynptr is 16 bytes
 * on the program's stack, laid out as the kernel's bpf_dynptr_kern: data pointer (u64),
 * size (low 24 bits) | type << 28 | read-only << 31 (u32), offset (u32). Ring-buffer dynptrs
 * (ringbuf_reserve/submit/discard_dynptr) use the same layout with type 2.
 */

export const DYNPTR_TYPE_LOCAL = 1;
export const DYNPTR_TYPE_RINGBUF = 2;
const SIZE_MASK = 0xffffff;
const RDONLY = 0x80000000;
const E2BIG = -Errno.E2BIG, EINVAL = -Errno.EINVAL;

interface Dynptr {
  data: number;
  size: number;
  offset: number;
  rdonly: boolean;
  view: DataView;
}

function dynptrAt(vm: Vm, reg: number): Dynptr | undefined {
  const b = vm.argBytes(reg, 16, true);
  if (b === undefined) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, 16);
  const word = view.getUint32(8, true);
  const data = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
  return { data, size: word & SIZE_MASK, offset: view.getUint32(12, true), rdonly: (word & RDONLY) !== 0, view };
}

/** Write a dynptr (or zero it: data 0). */
export function setDynptr(view: DataView, data: number, size: number, type: number): void {
  view.setUint32(0, data, true);
  view.setUint32(4, 0, true);
  view.setUint32(8, data === 0 ? 0 : (size & SIZE_MASK) | (type << 28), true);
  view.setUint32(12, 0, true);
}

/** bpf_dynptr_from_mem(data, size, flags, ptr): flags → -EINVAL, size > 2^24 − 1 → -E2BIG (ptr zeroed). */
function fromMem(vm: Vm): void {
  const out = vm.argBytes(4, 16, true);
  if (out === undefined) return;
  const view = new DataView(out.buffer, out.byteOffset, 16);
  const size = vm.L[2]! >>> 0;
  if (vm.L[3] !== 0 || vm.H[3] !== 0) { setDynptr(view, 0, 0, 0); vm.ret(EINVAL); return; }
  if (size > SIZE_MASK) { setDynptr(view, 0, 0, 0); vm.ret(E2BIG); return; }
  if (vm.argBytes(1, size, true) === undefined) return;
  setDynptr(view, vm.L[1]! >>> 0, size, DYNPTR_TYPE_LOCAL);
  vm.ret(0);
}

function checkOffLen(d: Dynptr, offset: number, len: number): number {
  return offset > d.size || len > d.size - offset ? E2BIG : 0;
}

/** bpf_dynptr_read(dst, len, src, offset, flags). */
function read(vm: Vm): void {
  const len = vm.L[2]! >>> 0;
  const dst = vm.argBytes(1, len, true);
  if (dst === undefined) return;
  const d = dynptrAt(vm, 3);
  if (d === undefined) return;
  if (d.data === 0 || vm.L[5] !== 0 || vm.H[5] !== 0) { vm.ret(EINVAL); return; }
  const offset = vm.L[4]! >>> 0;
  const rc = checkOffLen(d, offset, len);
  if (rc !== 0) { vm.ret(rc); return; }
  dst.set(vm.mem.u8.slice(d.data + d.offset + offset, d.data + d.offset + offset + len));
  vm.ret(0);
}

/** bpf_dynptr_write(dst, offset, src, len, flags). */
function write(vm: Vm): void {
  const d = dynptrAt(vm, 1);
  if (d === undefined) return;
  const len = vm.L[4]! >>> 0;
  const src = vm.argBytes(3, len, false);
  if (src === undefined) return;
  if (d.data === 0 || d.rdonly) { vm.ret(EINVAL); return; }
  const offset = vm.L[2]! >>> 0;
  const rc = checkOffLen(d, offset, len);
  if (rc !== 0) { vm.ret(rc); return; }
  if (vm.L[5] !== 0 || vm.H[5] !== 0) { vm.ret(EINVAL); return; }
  vm.mem.u8.set(src.slice(), d.data + d.offset + offset);
  vm.ret(0);
}

/** bpf_dynptr_data(ptr, offset, len): a pointer into the dynptr's memory, or NULL. */
function data(vm: Vm): void {
  const d = dynptrAt(vm, 1);
  if (d === undefined) return;
  const offset = vm.L[2]! >>> 0, len = vm.L[3]! >>> 0;
  if (d.data === 0 || d.rdonly || checkOffLen(d, offset, len) !== 0) { vm.ret(0); return; }
  vm.ret(d.data + d.offset + offset);
}

export const DYNPTR_HELPERS: readonly HelperDef[] = [
  { id: 197, name: 'dynptr_from_mem', fn: fromMem },
  { id: 201, name: 'dynptr_read', fn: read },
  { id: 202, name: 'dynptr_write', fn: write },
  { id: 203, name: 'dynptr_data', fn: data },
];
