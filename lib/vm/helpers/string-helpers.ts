import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';
import { formatPrintk, readCString } from './printk-helpers.ts';

/**
 * bpf_strtol / bpf_strtoul / bpf_strncmp / bpf_snprintf, with the kernel's rules
 * (kernel/bpf/helpers.c __bpf_strtoull and bpf_bprintf_prepare).
 */

const ERANGE = 34;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 9 && c <= 13);

function digit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : 99;
}

/** [consumed, value, negative] or a negative errno. */
function strtoull(buf: Uint8Array, flags: bigint): [number, bigint, boolean] | number {
  let base = Number(flags & 0x1fn);
  if (buf.length === 0) return -Errno.EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return -Errno.EINVAL;
  if ((flags & ~0x1fn) !== 0n) return -Errno.EINVAL;
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return -Errno.EINVAL;
  // The kernel copies at most 63 bytes into a NUL-terminated scratch string.
  const s = buf.subarray(i, Math.min(buf.length, i + 63));
  const at = (k: number): number => (k < s.length ? s[k]! : 0);
  let k = 0;
  if (base === 0) base = at(0) === 0x30 ? ((at(1) | 0x20) === 0x78 && digit(at(2)) < 16 ? 16 : 8) : 10;
  if (base === 16 && at(0) === 0x30 && (at(1) | 0x20) === 0x78) k = 2;
  let v = 0n, n = 0, overflow = false;
  for (; k + n < s.length; n++) {
    const d = digit(at(k + n));
    if (d >= base) break;
    v = v * BigInt(base) + BigInt(d);
    if (v > 0xffffffffffffffffn) { overflow = true; v &= 0xffffffffffffffffn; }
  }
  if (overflow) return -ERANGE;
  if (n === 0) return -Errno.EINVAL;
  return [i + k + n, v, negative];
}

function strtoX(vm: Vm, signed: boolean): void {
  const len = vm.L[2]! >>> 0;
  const buf = vm.argBytes(1, len, false);
  if (buf === undefined) return;
  const res = vm.argBytes(4, 8, true);
  if (res === undefined) return;
  const flags = BigInt.asUintN(64, (BigInt(vm.H[3]!) << 32n) | BigInt(vm.L[3]! >>> 0));
  const r = strtoull(buf, flags);
  if (typeof r === 'number') { vm.ret(r); return; }
  const [consumed, v, negative] = r;
  let out: bigint;
  if (signed) {
    const val = negative ? BigInt.asIntN(64, -v) : BigInt.asIntN(64, v);
    if (negative ? val > 0n : val < 0n) { vm.ret(-ERANGE); return; }
    out = val;
  } else {
    if (negative) { vm.ret(-Errno.EINVAL); return; }
    out = v;
  }
  new DataView(res.buffer, res.byteOffset, 8).setBigUint64(0, BigInt.asUintN(64, out), true);
  vm.ret(consumed);
}

/** bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp, -1 / 0 / 1. */
function strncmp(vm: Vm): void {
  const n = vm.L[2]! >>> 0;
  const s1 = vm.argBytes(1, n, false);
  if (s1 === undefined) return;
  const a2 = vm.L[3]! >>> 0;
  for (let i = 0; i < n; i++) {
    if (vm.mem.translate(a2 + i, 1, false, true) !== 0) { vm.argBytes(3, i + 1, false); return; }
    const c1 = s1[i]!, c2 = vm.mem.u8[a2 + i]!;
    if (c1 !== c2) { vm.ret(c1 < c2 ? -1 : 1); return; }
    if (c1 === 0) break;
  }
  vm.ret(0);
}

/**
 * bpf_snprintf(str, str_size, fmt, data, data_len): data_len a multiple of 8 and ≤ 96
 * (-EINVAL), fmt by the printk rules with data_len / 8 arguments; writes at most str_size − 1
 * characters and a NUL; returns the full formatted length + 1.
 */
function snprintf(vm: Vm): void {
  const size = vm.L[2]! >>> 0;
  const str = vm.argBytes(1, size, true);
  if (str === undefined) return;
  const len = vm.L[5]! >>> 0;
  if (len % 8 !== 0 || len > 96 || (len !== 0 && vm.L[4] === 0 && vm.H[4] === 0)) { vm.ret(-Errno.EINVAL); return; }
  const data = vm.argBytes(4, len, false);
  if (data === undefined) return;
  const fmt = readCString(vm, vm.L[3]! >>> 0, 1024);
  if (fmt === undefined) { vm.ret(-Errno.EINVAL); return; }
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const args: bigint[] = [];
  for (let i = 0; i < len; i += 8) args.push(dv.getBigUint64(i, true));
  const text = formatPrintk(vm, fmt, args, args.length);
  if (text === undefined) { vm.ret(-Errno.EINVAL); return; }
  if (size > 0) {
    const n = Math.min(text.length, size - 1);
    for (let i = 0; i < n; i++) str[i] = text.charCodeAt(i) & 0xff;
    str[n] = 0;
  }
  vm.ret(text.length + 1);
}

export const STRING_HELPERS: readonly HelperDef[] = [
  { id: 105, name: 'strtol', fn: (vm) => strtoX(vm, true) },
  { id: 106, name: 'strtoul', fn: (vm) => strtoX(vm, false) },
  { id: 165, name: 'snprintf', fn: snprintf },
  { id: 182, name: 'strncmp', fn: strncmp },
];
