import test from 'ava';
import { requireKernel } from '../helpers/kernel.ts';
import type { OracleSeed } from '../helpers/oracle.ts';
import { compileProg } from './compile-prog.ts';
import { diffMaps, inputFrame } from './maps-compare.ts';

/** maps-inner.c: op | sel << 8 | flags << 16 | key << 32, value. */
function op(o: number, sel = 0, key = 0, value = 0n, flags = 0): Uint8Array {
  return inputFrame(BigInt(o) | (BigInt(sel) << 8n) | (BigInt(flags) << 16n) | (BigInt(key >>> 0) << 32n), value);
}

const u32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };

const MAP_IN_MAP = [
  op(0, 0, 1, 111n), op(1, 0, 1), op(1, 1, 1), op(0, 2, 3, 222n), op(1, 2, 3), op(1, 2, 9), op(0, 0, 9, 5n), op(1, 5, 0), op(1, 0, 3),
  ...[1, 2, 3, 4, 5].map((k) => op(2, 7, k, BigInt(k * 100))), op(2, 7, 1, 9n, 1), op(2, 7, 9, 9n, 2), op(2, 7, 2, 9n, 2),
  op(3, 7, 2), op(3, 7, 5), op(3, 3, 1), op(2, 3, 1, 1n),
];

/** redirect_map over DEVMAP_HASH (key 5 → lo), CPUMAP (CPU 1 has a queue) and an empty XSKMAP. */
const REDIRECT = [
  op(4, 0, 5), op(4, 0, 6), op(4, 0, 6, 0n, 2), op(4, 0, 6, 0n, 8), op(4, 0, 6, 0n, 0x18), op(4, 0, 5, 0n, 0x10), op(4, 0, 5, 0n, 4), op(4, 0, 5, 0n, 0x20),
  op(5, 0, 1), op(5, 0, 0), op(5, 0, 0, 0n, 1), op(5, 0, 9, 0n, 2), op(5, 0, 1, 0n, 8), op(5, 0, 1, 0n, 0x10), op(5, 0, 1, 0n, 3),
  op(6, 0, 0), op(6, 0, 0, 0n, 2), op(6, 0, 9, 0n, 3), op(6, 0, 0, 0n, 8), op(6, 0, 0, 0n, 4),
  op(7, 0, 5), op(7, 0, 6),
];

const SEEDS: OracleSeed[] = [
  { map: 'dev_hash', key: u32(5), value: u32(1) },
  { map: 'cpus', key: u32(1), value: Uint8Array.of(192, 0, 0, 0, 0, 0, 0, 0) },
];

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] array and hash of maps: lookups give inner maps that map helpers use; empty slots and missing keys give NULL as in the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-inner', 'v3'), 'maps_inner', MAP_IN_MAP, { engine });
    t.log(`kernel: ${report.kernel.map((r) => r | 0).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });

  test(`[${engine}] redirect_map through DEVMAP_HASH, CPUMAP and XSKMAP (targets, fallback actions, broadcast and invalid flags) and DEVMAP_HASH lookups match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffMaps(compileProg('maps-inner', 'v3'), 'maps_inner', REDIRECT, { engine, seeds: SEEDS });
    t.log(`kernel: ${report.kernel.map((r) => r | 0).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });
}
