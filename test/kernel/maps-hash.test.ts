import test from 'ava';
import { requireKernel } from '../helpers/kernel.ts';
import { compileProg } from './compile-prog.ts';
import { diffMaps, inputFrame } from './maps-compare.ts';

/** maps-hash.c: op | map << 8 | flags << 16 | key << 32, value. */
const OP = { update: 0n, lookup: 1n, delete: 2n, add: 3n } as const;
const SEL = { hash4: 0n, hash4np: 1n, lru4: 2n, lru8: 3n, lru16: 4n, lrupc8: 5n, pchash: 6n, pcarr: 7n, arr4: 8n, lru5: 9n, percpuLookup: 10n, cpu: 11n } as const;

function op(o: bigint, sel: bigint, key: number, value = 0n, flags = 0): Uint8Array {
  return inputFrame(o | (sel << 8n) | (BigInt(flags) << 16n) | (BigInt(key) << 32n), value);
}

function flagSequence(sel: bigint): Uint8Array[] {
  return [
    ...[1, 2, 3, 4].map((k) => op(OP.update, sel, k, BigInt(k * 10))),
    op(OP.update, sel, 5, 50n), // full → -E2BIG
    op(OP.update, sel, 1, 11n, 1), // NOEXIST on existing → -EEXIST
    op(OP.update, sel, 9, 90n, 2), // EXIST on missing → -ENOENT
    op(OP.update, sel, 1, 12n, 2), // EXIST on existing → 0
    op(OP.update, sel, 1, 13n, 3), // unknown flags → -EINVAL
    op(OP.update, sel, 1, 14n, 4), // BPF_F_LOCK without a spin lock
    op(OP.update, sel, 6, 14n, 4),
    op(OP.update, sel, 2, 15n, 0),
    op(OP.lookup, sel, 3), op(OP.lookup, sel, 7),
    op(OP.add, sel, 3, 5n),
    op(OP.delete, sel, 2), op(OP.delete, sel, 2),
    op(OP.update, sel, 5, 50n, 1), op(OP.update, sel, 6, 60n),
    op(OP.lookup, sel, 5), op(OP.delete, sel, 9),
  ];
}

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] hash, no-prealloc hash, array, per-CPU hash and per-CPU array answer update flags, full maps and lookups as the kernel does`, (t) => {
    if (!requireKernel(t)) return;
    const obj = compileProg('maps-hash', 'v3');
    const packets = [SEL.hash4, SEL.hash4np, SEL.arr4, SEL.pchash, SEL.pcarr].flatMap(flagSequence);
    packets.push(op(0n, SEL.percpuLookup, 3, 0n, 0), op(0n, SEL.percpuLookup, 3, 0n, 1), op(0n, SEL.percpuLookup, 3, 0n, 7), op(0n, SEL.percpuLookup, 9, 0n, 0), op(0n, SEL.cpu, 0));
    const report = diffMaps(obj, 'maps_hash', packets, { engine });
    t.log(`${packets.length} packets; kernel returns: ${report.kernel.slice(0, 19).map((r) => r | 0).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });
}

/** Deterministic mix of inserts (mostly new keys), lookups and deletes over keys 1..3n. */
function lruSequence(sel: bigint, n: number, seed: number, lookups: boolean): Uint8Array[] {
  let x = seed;
  const rnd = (m: number): number => { x = (x * 1103515245 + 12345) >>> 0; return (x >>> 8) % m; };
  const out: Uint8Array[] = [];
  for (let i = 0; i < 12 * n; i++) {
    const r = rnd(10);
    const key = 1 + rnd(3 * n);
    if (!lookups || r < 5) out.push(op(OP.update, sel, key, BigInt(1000 + i), r === 0 ? 1 : r === 1 ? 2 : 0));
    else if (r < 9) out.push(op(OP.lookup, sel, key));
    else out.push(op(OP.delete, sel, key));
  }
  return out;
}

const LRU_MAPS: [string, bigint, number][] = [
  ['lru4', SEL.lru4, 4], ['lru5', SEL.lru5, 5], ['lru8', SEL.lru8, 8], ['lru16', SEL.lru16, 16], ['lrupc8', SEL.lrupc8, 8],
  ['lrunc6 (BPF_F_NO_COMMON_LRU)', 17n, 6], ['lrunc9 (BPF_F_NO_COMMON_LRU)', 18n, 9], ['lrupcnc8 (LRU_PERCPU, BPF_F_NO_COMMON_LRU)', 19n, 8],
];

for (const engine of ['interp', 'wasm'] as const) {
  for (const [name, sel, n] of LRU_MAPS) {
    test(`[${engine}] ${name}: LRU eviction over inserts, lookups, updates and deletes matches the kernel packet by packet`, (t) => {
      if (!requireKernel(t)) return;
      const obj = compileProg('maps-hash', 'v3');
      const packets = [
        ...Array.from({ length: 3 * n }, (_, i) => op(OP.update, sel, 100 + i, BigInt(i))),
        ...Array.from({ length: 3 * n }, (_, i) => op(OP.lookup, sel, 100 + i)),
        ...lruSequence(sel, n, 7 + n, false),
        ...lruSequence(sel, n, 99 + n, true),
      ];
      const report = diffMaps(obj, 'maps_hash', packets, { engine });
      if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
      t.deepEqual(report.differences, []);
    });
  }
}

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] for_each_map_elem over hash, array, per-CPU and LRU maps: visits, early stop, value writes and flags match the kernel`, (t) => {
    if (!requireKernel(t)) return;
    const obj = compileProg('maps-hash', 'v3');
    const walk = (sel: number, stop: number, flags = 0): Uint8Array => op(0n, BigInt(sel), stop, 0n, flags);
    const packets = [
      walk(12, 99), walk(13, 99), walk(14, 99), walk(15, 99), walk(16, 99), walk(12, 0, 1),
      ...[1, 2, 3].map((k) => op(OP.update, SEL.hash4, k, BigInt(k * 10))),
      ...[0, 2, 3].map((k) => op(OP.update, SEL.arr4, k, BigInt(k * 7 + 1))),
      ...[1, 3].map((k) => op(OP.update, SEL.pcarr, k, BigInt(k + 5))),
      ...[5, 6, 7].map((k) => op(OP.update, SEL.lru8, k, BigInt(k))),
      op(OP.update, SEL.pchash, 4, 44n),
      walk(13, 99), walk(13, 2), walk(13, 0), walk(14, 99), walk(14, 1), walk(16, 99), walk(13, 99, 2),
      // Hash iteration order is the kernel's bucket order: stop only on a key it must reach last or on the only key.
      walk(12, 99), walk(15, 99), op(OP.lookup, SEL.hash4, 2), op(OP.lookup, SEL.lru8, 6),
    ];
    const report = diffMaps(obj, 'maps_hash', packets, { engine });
    t.log(`kernel: ${report.kernel.map((r) => (r >>> 0).toString(16)).join(' ')}`);
    if (report.differences.length > 0) t.log(report.differences.slice(0, 12).join('\n'));
    t.deepEqual(report.differences, []);
  });
}
