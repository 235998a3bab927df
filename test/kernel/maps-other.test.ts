import test from 'ava';
import { requireKernel } from '../helpers/kernel.ts';
import { compileProg } from './compile-prog.ts';
import { diffMaps, inputFrame } from './maps-compare.ts';

/** maps-other.c: op | flags << 8 | prefixlen << 16 | key << 32, value. */
function op(o: number, flags = 0, key = 0, value = 0n, plen = 0): Uint8Array {
  return inputFrame(BigInt(o) | (BigInt(flags) << 8n) | (BigInt(plen) << 16n) | (BigInt(key >>> 0) << 32n), value);
}

/** An IPv4 address as the u32 whose little-endian bytes are the address bytes. */
function ip(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return (a! | (b! << 8) | (c! << 16) | (d! << 24)) >>> 0;
}

const lpmUpdate = (addr: string, plen: number, value: number, flags = 0): Uint8Array => op(0, flags, ip(addr), BigInt(value), plen);
const lpmLookup = (addr: string, plen = 32): Uint8Array => op(1, 0, ip(addr), 0n, plen);
const lpmDelete = (addr: string, plen: number): Uint8Array => op(2, 0, ip(addr), 0n, plen);

const LPM = [
  lpmUpdate('10.0.0.0', 8, 1), lpmUpdate('10.1.0.0', 16, 2), lpmUpdate('10.1.2.0', 24, 3), lpmUpdate('0.0.0.0', 0, 4), lpmUpdate('192.168.1.1', 32, 5),
  lpmLookup('10.1.2.3'), lpmLookup('10.1.3.3'), lpmLookup('10.2.0.0'), lpmLookup('11.0.0.1'), lpmLookup('192.168.1.1'), lpmLookup('192.168.1.2'),
  lpmLookup('10.1.2.3', 12), lpmLookup('10.1.2.3', 16), lpmLookup('10.1.2.3', 0), lpmLookup('10.1.2.3', 255),
  lpmUpdate('10.0.0.0', 33, 9), lpmUpdate('10.1.99.99', 16, 9, 1), lpmUpdate('10.9.0.0', 16, 9, 2), lpmUpdate('10.1.0.0', 16, 9, 3),
  lpmUpdate('172.16.0.0', 12, 6), lpmUpdate('172.32.0.0', 12, 7), lpmUpdate('10.1.77.0', 16, 8, 2),
  lpmLookup('10.1.200.1'), lpmDelete('10.0.0.0', 8), lpmDelete('10.0.0.0', 8), lpmLookup('10.2.0.0'), lpmDelete('10.0.0.0', 40),
  lpmDelete('10.1.2.0', 23), lpmUpdate('172.32.0.0', 12, 7), lpmLookup('172.31.255.255'), lpmLookup('172.32.0.1'),
];

const QUEUE = [
  ...[1, 2, 3, 4, 5].map((v) => op(3, 0, 0, BigInt(v))), op(3, 2, 0, 6n), op(3, 1, 0, 7n), op(3, 3, 0, 7n), op(3, 4, 0, 7n),
  op(5), op(4), op(4), op(4), op(4), op(4), op(5), op(3, 2, 0, 8n), op(5), op(4),
  ...[1, 2, 3, 4, 5].map((v) => op(6, 0, 0, BigInt(v))), op(6, 2, 0, 6n), op(6, 1, 0, 7n),
  op(8), op(7), op(7), op(7), op(7), op(7), op(8), op(6, 2, 0, 8n), op(8), op(7),
];

const RINGBUF = [
  op(11, 0), op(11, 1), op(11, 2), op(11, 3), op(11, 4),
  op(9, 0), op(9, 1), op(9, 2, 1), op(9, 2), op(9, 5), op(9, 3), op(9, 4),
  ...Array.from({ length: 16 }, (_, n) => op(10, n % 3, n, 0x1122334455667788n)), op(10, 4, 8),
  ...Array.from({ length: 20 }, () => op(9, 1)),
  op(11, 0), op(11, 2), op(11, 3), op(9, 0), op(10, 0, 8),
];

const PERF = [op(12, 0), op(12, 1), op(12, 255), op(12, 2), op(12, 5), op(12, 0, 40), op(12, 0, 30), op(13)];

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] LPM trie: longest-prefix lookups, prefixlen limits, flags, -ENOSPC when full and deletes match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-other', 'v3'), 'maps_other', LPM, { engine });
    t.log(`kernel: ${report.kernel.map((r) => r | 0).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });

  test(`[${engine}] queue and stack: push (full → -E2BIG, BPF_EXIST overwrites the oldest), pop, peek and empty maps match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-other', 'v3'), 'maps_other', QUEUE, { engine });
    t.log(`kernel: ${report.kernel.map((r) => (r | 0).toString(16)).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });

  test(`[${engine}] ring buffer without a reader: reserve/submit/discard positions, output flags and sizes, and reservations failing when full match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-other', 'v3'), 'maps_other', RINGBUF, { engine, load: { ringbufConsumer: 'none' } });
    t.log(`kernel: ${report.kernel.map((r) => (r >>> 0).toString(16)).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });

  test(`[${engine}] perf_event_output errors (bad flags, ctx length beyond the frame, index ≥ max_entries, no perf event open) match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-other', 'v3'), 'maps_other', PERF, {
      engine,
      // A kernel test run has no perf event open in any slot.
      setup: (vm) => { for (const i of [0, 1]) vm.maps.get('perf')!.delete(Uint8Array.of(i, 0, 0, 0)); },
    });
    t.log(`kernel: ${report.kernel.map((r) => r | 0).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });
}

/** Few values in a 64-entry filter: the kernel's false-positive rate is far below one in 40 lookups. */
const BLOOM = [
  ...[3, 9, 27, 81].map((v) => op(14, 0, 0, BigInt(v))), op(14, 1, 0, 5n), op(14, 2, 0, 5n),
  ...[3, 9, 27, 81, 5, 4, 10, 1000, 123456].map((v) => op(15, 0, 0, BigInt(v))),
];

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] bloom filter: push flags and peek answers for added and absent values match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-other', 'v3'), 'maps_other', BLOOM, { engine });
    t.log(`kernel: ${report.kernel.map((r) => r | 0).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });
}

/** reserve_dynptr: sizes 8, 3, 0, 5000 (> ring), 2^24; flags; write of 8 bytes into short samples; submit and discard; a full ring. */
const DYNPTR = [
  op(16, 0, 8, 0n), op(16, 0, 8, 1n), op(16, 0, 3, 0n), op(16, 0, 0, 0n), op(16, 0, 5000, 0n), op(16, 0, 0x1000000, 0n), op(16, 1, 8, 0n),
  op(11, 0), op(11, 3), op(16, 0, 4081, 0n), op(16, 0, 4000, 0n), op(16, 0, 100, 0n), op(16, 0, 8, 0n), op(11, 0), op(10, 0, 8), op(10, 0, 0), op(9, 0),
];

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] ringbuf dynptrs: reserve errors (flags, size, no room), writes within the sample, submit/discard positions match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-other', 'v3'), 'maps_other', DYNPTR, { engine, load: { ringbufConsumer: 'none' } });
    t.log(`kernel: ${report.kernel.map((r) => (r >>> 0).toString(16)).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });
}

/** IPv6-sized trie: prefixes of 0/17/48/64/65/96/127/128 bits over 12 significant address bytes. */
function lpm6(o: number, hi: bigint, lo: number, plen: number): Uint8Array {
  return op(o, 0, lo, hi, plen);
}
const H = 0x0123456789abcdefn;
const LPM6 = [
  lpm6(17, H, 0x11223344, 48), lpm6(17, H, 0x11223344, 64), lpm6(17, H, 0x11223344, 65), lpm6(17, H, 0x11223344, 96), lpm6(17, H, 0x11223345, 96),
  lpm6(17, H, 0x11223344, 127), lpm6(17, 0n, 0, 0), lpm6(17, H ^ (1n << 15n), 0, 17), lpm6(17, H, 0x11223344, 128), lpm6(17, H, 0x11223344, 129),
  ...[128, 127, 96, 95, 65, 64, 63, 48, 47, 17, 0].map((p) => lpm6(18, H, 0x11223344, p)),
  lpm6(18, H, 0x99223344, 128), lpm6(18, H, 0x11223345, 128), lpm6(18, H ^ 1n, 0x11223344, 128), lpm6(18, H ^ (1n << 63n), 0, 128), lpm6(18, H ^ (1n << 15n), 7, 128),
];

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] LPM trie with 16-byte keys: matches at byte and bit boundaries up to /128 agree with the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-other', 'v3'), 'maps_other', LPM6, { engine });
    t.log(`kernel: ${report.kernel.map((r) => (r >>> 0).toString(16)).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });
}
