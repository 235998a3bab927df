import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/** Time, randomness, CPU and checksum helpers. Deterministic: time = the packet's timestamp. */

function ktimeGetNs(vm: Vm): void {
  vm.retBig(vm.tsNs);
}

/** The kernel's tick rate on the measured machine (CONFIG_HZ=250): one jiffy = 4 ms. */
export const HZ = 250;
const NS_PER_JIFFY = 1_000_000_000n / BigInt(HZ);
/** TAI − UTC since 2017 (packet timestamps are UTC). */
const TAI_OFFSET_NS = 37_000_000_000n;

/** bpf_ktime_get_coarse_ns: the last tick's time (packet time rounded down to a jiffy). */
function ktimeGetCoarseNs(vm: Vm): void {
  vm.retBig(vm.tsNs - (vm.tsNs % NS_PER_JIFFY));
}

/** bpf_ktime_get_tai_ns: packet time + 37 s. */
function ktimeGetTaiNs(vm: Vm): void {
  vm.retBig(vm.tsNs + TAI_OFFSET_NS);
}

/** bpf_jiffies64: packet time in jiffies (HZ = 250), counted from the epoch. */
function jiffies64(vm: Vm): void {
  vm.retBig(vm.tsNs / NS_PER_JIFFY);
}

function getPrandomU32(vm: Vm): void {
  vm.ret(vm.nextRandom());
}

function zero(vm: Vm): void {
  vm.ret(0);
}

/** 32-bit one's-complement partial sum of `bytes` (16-bit little-endian words, odd tail byte low) added to `sum`. */
export function csumPartial(bytes: Uint8Array, sum: number): number {
  let s = sum >>> 0;
  const n = bytes.length;
  let i = 0;
  for (; i + 1 < n; i += 2) s += bytes[i]! | (bytes[i + 1]! << 8);
  if (i < n) s += bytes[i]!;
  while (s > 0xffffffff) s = (s % 4294967296) + Math.floor(s / 4294967296);
  return s;
}

function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return (s + (s > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Fold a 32-bit sum to 16 bits (csum_from32to16). */
export function csumFold16(sum: number): number {
  const s = ((sum >>> 0) + (((sum >>> 16) | (sum << 16)) >>> 0)) >>> 0;
  return s >>> 16;
}

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed): the kernel (≥ 6.13) returns the
 * one's-complement difference folded to 16 bits and accepts any sizes.
 */
function csumDiff(vm: Vm): void {
  const fromSize = vm.L[2]! >>> 0, toSize = vm.L[4]! >>> 0;
  const from = vm.argBytes(1, fromSize, false);
  if (from === undefined) return;
  const to = vm.argBytes(3, toSize, false);
  if (to === undefined) return;
  const seed = vm.L[5]! >>> 0;
  let ret = seed;
  if (fromSize && toSize) ret = csumAdd(csumPartial(to, ret), ~csumPartial(from, 0) >>> 0);
  else if (toSize) ret = csumPartial(to, ret);
  else if (fromSize) ret = ~csumPartial(from, ~ret >>> 0) >>> 0;
  vm.ret(csumFold16(ret));
}

export const MISC_HELPERS: readonly HelperDef[] = [
  { id: 5, name: 'ktime_get_ns', fn: ktimeGetNs },
  { id: 7, name: 'get_prandom_u32', fn: getPrandomU32 },
  { id: 8, name: 'get_smp_processor_id', fn: (vm) => vm.ret(vm.cpu.cpu) },
  { id: 28, name: 'csum_diff', fn: csumDiff },
  { id: 42, name: 'get_numa_node_id', fn: zero },
  { id: 125, name: 'ktime_get_boot_ns', fn: ktimeGetNs },
  { id: 118, name: 'jiffies64', fn: jiffies64 },
  { id: 160, name: 'ktime_get_coarse_ns', fn: ktimeGetCoarseNs },
  { id: 208, name: 'ktime_get_tai_ns', fn: ktimeGetTaiNs },
];
