import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/**
 * Socket helpers XDP may call. A replay has no sockets: every lookup answers "no matching
 * socket" (NULL) as the kernel does when none matches, so the helpers that need a socket
 * (sk_release, tcp_check_syncookie, tcp_gen_syncookie) cannot be reached with a valid one;
 * given anything they answer -EINVAL. skc_to_*_sock casts of NULL are NULL.
 *
 * The raw SYN-cookie helpers work without sockets. Their MSS handling is the kernel's (the MSS
 * option, else 536 / 1220, rounded down to the kernel's MSS table, returned in the upper 32
 * bits); the cookie itself is keyed by a fixed key, not by the kernel's boot-time secret, so cookie
 * values differ from the kernel's while a cookie we generated checks as valid and any other
 * fails (-EACCES) — a documented difference.
 */

const nul = (vm: Vm): void => vm.ret(0);
const einval = (vm: Vm): void => vm.ret(-Errno.EINVAL);

const MSS_V4 = [536, 1300, 1440, 1460];
const MSS_V6 = [1220, 1420, 1440, 8940];

/** The key of our cookies (fixed: the same cookies on every run). */
const COOKIE_KEY = 0x5bd1e995;

/** FNV-1a over the addresses and ports, mixed with COOKIE_KEY. */
function flowHash(addrs: Uint8Array, ports: Uint8Array): number {
  let h = (0x811c9dc5 ^ COOKIE_KEY) >>> 0;
  for (const b of addrs) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  for (const b of ports) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The TCP MSS option in a header of `len` bytes, or 0. */
function mssOption(th: Uint8Array): number {
  let i = 20;
  while (i < th.length) {
    const kind = th[i]!;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    if (i + 1 >= th.length) break;
    const len = th[i + 1]!;
    if (len < 2 || i + len > th.length) break;
    if (kind === 2 && len === 4) return (th[i + 2]! << 8) | th[i + 3]!;
    i += len;
  }
  return 0;
}

function rawGen(vm: Vm, v6: boolean): void {
  const thLen = vm.L[3]! >>> 0;
  const ip = vm.argBytes(1, v6 ? 40 : 20, false);
  if (ip === undefined) return;
  const th = vm.argBytes(2, thLen, false);
  if (th === undefined) return;
  if (thLen < 20 || thLen !== (th[12]! >> 4) * 4) { vm.ret(-Errno.EINVAL); return; }
  const table = v6 ? MSS_V6 : MSS_V4;
  const want = mssOption(th) || table[0]!;
  let idx = table.length - 1;
  while (idx > 0 && table[idx]! > want) idx--;
  const addrs = v6 ? ip.subarray(8, 40) : ip.subarray(12, 20);
  const seq = ((th[4]! << 24) | (th[5]! << 16) | (th[6]! << 8) | th[7]!) >>> 0;
  const cookie = ((((flowHash(addrs, th.subarray(0, 4)) + seq) >>> 0) & ~3) | idx) >>> 0;
  vm.retBig((BigInt(table[idx]!) << 32n) | BigInt(cookie));
}

function rawCheck(vm: Vm, v6: boolean): void {
  const ip = vm.argBytes(1, v6 ? 40 : 20, false);
  if (ip === undefined) return;
  const th = vm.argBytes(2, 20, false);
  if (th === undefined) return;
  const be32 = (at: number): number => ((th[at]! << 24) | (th[at + 1]! << 16) | (th[at + 2]! << 8) | th[at + 3]!) >>> 0;
  const cookie = (be32(8) - 1) >>> 0;
  const seq = (be32(4) - 1) >>> 0;
  const addrs = v6 ? ip.subarray(8, 40) : ip.subarray(12, 20);
  const expect = (((flowHash(addrs, th.subarray(0, 4)) + seq) >>> 0) & ~3) >>> 0;
  vm.ret(((cookie & ~3) >>> 0) === expect ? 0 : -Errno.EACCES);
}

export const SOCKET_HELPERS: readonly HelperDef[] = [
  { id: 84, name: 'sk_lookup_tcp', fn: nul },
  { id: 85, name: 'sk_lookup_udp', fn: nul },
  { id: 86, name: 'sk_release', fn: einval },
  { id: 99, name: 'skc_lookup_tcp', fn: nul },
  { id: 100, name: 'tcp_check_syncookie', fn: einval },
  { id: 110, name: 'tcp_gen_syncookie', fn: einval },
  { id: 136, name: 'skc_to_tcp6_sock', fn: nul },
  { id: 137, name: 'skc_to_tcp_sock', fn: nul },
  { id: 138, name: 'skc_to_tcp_timewait_sock', fn: nul },
  { id: 139, name: 'skc_to_tcp_request_sock', fn: nul },
  { id: 140, name: 'skc_to_udp6_sock', fn: nul },
  { id: 178, name: 'skc_to_unix_sock', fn: nul },
  { id: 196, name: 'skc_to_mptcp_sock', fn: nul },
  { id: 204, name: 'tcp_raw_gen_syncookie_ipv4', fn: (vm) => rawGen(vm, false) },
  { id: 205, name: 'tcp_raw_gen_syncookie_ipv6', fn: (vm) => rawGen(vm, true) },
  { id: 206, name: 'tcp_raw_check_syncookie_ipv4', fn: (vm) => rawCheck(vm, false) },
  { id: 207, name: 'tcp_raw_check_syncookie_ipv6', fn: (vm) => rawCheck(vm, true) },
];
