import test from 'ava';
import { assembleText } from '../../../lib/isa/assemble-text.ts';
import { MapType, type MapSpec } from '../../../lib/object/types.ts';
import { HashMap } from '../../../lib/vm/maps/hash-map.ts';
import { Errno } from '../../../lib/vm/maps/vm-map.ts';
import { MemoryLayout, VmMemory } from '../../../lib/vm/memory.ts';
import { ENGINES, onEngine, programFrom } from '../run-program.ts';

/** xorshift32, seeded: the same sequence on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

const hashSpec = (keySize: number, maxEntries: number, type: number = MapType.HASH): MapSpec => ({ name: 'h', section: '.maps', type, keySize, valueSize: 8, maxEntries, flags: 0, readOnly: false });

function newMap(spec: MapSpec): { map: HashMap; mem: VmMemory; layout: MemoryLayout } {
  const layout = new MemoryLayout();
  const map = new HashMap(spec, 0, layout, { lru: false });
  const mem = new VmMemory(layout);
  map.bind(mem);
  return { map, mem, layout };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

for (const keySize of [1, 3, 4, 5, 8, 13, 16]) {
  test(`a ${keySize}-byte-key hash map behaves as a JS Map under random updates and deletes, order and -E2BIG included`, (t) => {
    const maxEntries = 24;
    const { map } = newMap(hashSpec(keySize, maxEntries));
    const model = new Map<string, bigint>();
    const next = rng(keySize * 7919);
    // Few distinct keys (many collisions in value space, many deletes): exercises probing and back-shifts.
    const keyOf = (): Uint8Array => { const k = new Uint8Array(keySize); const v = next() % 40; for (let i = 0; i < keySize; i++) k[i] = i === 0 ? v : (v * 31 + i) & 0xff; return k; };
    for (let step = 0; step < 3000; step++) {
      const key = keyOf();
      const k = hex(key);
      const op = next() % 3;
      if (op === 0) {
        const got = map.delete(key);
        t.is(got, model.has(k) ? 0 : -Errno.ENOENT);
        model.delete(k);
      } else if (op === 1) {
        const value = new Uint8Array(8);
        new DataView(value.buffer).setBigUint64(0, BigInt(step), true);
        const got = map.update(key, value, 0);
        if (!model.has(k) && model.size === maxEntries) t.is(got, -Errno.E2BIG);
        else { t.is(got, 0); model.set(k, BigInt(step)); }
      } else {
        t.is(map.lookup(key) !== 0, model.has(k));
      }
      if (step % 97 === 0) {
        t.deepEqual(map.entries().map(([kk, v]) => `${hex(kk)}=${new DataView(v.buffer).getBigUint64(0, true)}`), [...model].map(([kk, v]) => `${kk}=${v}`));
        t.is(map.size, model.size);
      }
    }
  });
}

test('the hash index lies in no region: no program access or helper argument can reach it', (t) => {
  const { map, mem } = newMap(hashSpec(4, 16));
  const at = map.table!.bucketsAt;
  t.is(mem.translate(at, 4, false), 1);
  t.is(mem.translate(map.table!.keysAt, 4, false), 1);
  t.false(mem.regions.some((r) => at >= r.start && at < r.end));
});

for (const engine of ENGINES) {
  const runAsm = onEngine(engine);
  test(`[${engine}] a program finds hash map keys it inserted, misses absent ones, and sees a deleted key vanish`, (t) => {
    // update key 7 → 0x55; r6 = *lookup(7); r7 = lookup(8); delete 7; r8 = lookup(7); r0 = r6 | r7 | r8.
    const body = assembleText([
      'stw [%r10-4], 7', 'stw [%r10-8], 8', 'stdw [%r10-16], 0x55',
      'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 0', 'call 2',
      'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1', 'ldxdw %r6, [%r0]',
      'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -8', 'call 1', 'mov %r7, %r0',
      'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 3',
      'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1', 'mov %r8, %r0',
      'mov %r0, %r6', 'or %r0, %r7', 'or %r0, %r8', 'exit',
    ].join('\n')).map((insn) => (insn.code === 0x18 ? { ...insn, src: 1 } : insn)); // map-handle loads
    const run = runAsm(body, [], { maps: [hashSpec(4, 8)] });
    t.is(run.result.fault, undefined);
    t.is(run.r0, 0x55n);
    t.is(run.result.helperCalls, 5);
    t.is(run.prog.vm.helperTotals[1], 3);
  });
}

test('the compiled engine looks HASH keys up inline (the host helper is not called) and gets the same answers', (t) => {
  const body = assembleText([
    'stw [%r10-32], 7', 'stdw [%r10-16], 0x55',
    'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -32', 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 0', 'call 2',
    'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -32', 'call 1', 'ldxdw %r6, [%r0]',
    'stw [%r10-32], 8', 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -32', 'call 1', 'or %r0, %r6', 'exit',
  ].join('\n')).map((insn) => (insn.code === 0x18 ? { ...insn, src: 1 } : insn));
  for (const keySize of [3, 4, 13]) {
    const prog = programFrom(body, [hashSpec(keySize, 8)], { engine: 'wasm' });
    t.is(prog.engine, 'wasm');
    let hostLookups = 0;
    const lookup = prog.vm.helpers[1]!;
    prog.vm.helpers[1] = (vm) => { hostLookups++; lookup(vm); };
    const r = prog.run(new Uint8Array(14));
    t.is(r.fault, undefined);
    t.is(r.action, 0x55, `key size ${keySize}`);
    t.is(r.helperCalls, 3);
    t.is(hostLookups, 0);
  }
});

test('inline and host hash lookups agree on present, absent and deleted keys across probe runs', (t) => {
  // r0 = lookup(map, first 5 packet bytes copied to the stack) — the value pointer or 0.
  const copy = [0, 1, 2, 3, 4].flatMap((i) => [`ldxb %r3, [%r1+${i}]`, `stxb [%r10-${8 - i}], %r3`]);
  const body = assembleText([...copy, 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -8', 'call 1', 'exit'].join('\n'))
    .map((insn) => (insn.code === 0x18 ? { ...insn, src: 1 } : insn));
  const next = rng(99);
  const keys = Array.from({ length: 120 }, () => Uint8Array.from({ length: 5 }, () => next() & 3)); // few distinct bytes: collisions
  const progs = (['interp', 'wasm'] as const).map((engine) => programFrom(body, [hashSpec(5, 64)], { engine }));
  for (const p of progs) {
    const m = p.vm.maps[0]!;
    keys.forEach((k, i) => { m.update(k, new Uint8Array(8).fill(i), 0); if (i % 3 === 0) m.delete(keys[(i * 7) % keys.length]!); });
  }
  let hits = 0;
  for (const k of keys) {
    const frame = new Uint8Array(14);
    frame.set(k);
    const [a, b] = progs.map((p) => p.run(frame));
    t.is(b!.action, a!.action);
    t.is(a!.action, progs[0]!.vm.maps[0]!.lookup(k));
    if (a!.action !== 0) hits++;
  }
  t.true(hits > 10 && hits < keys.length, `hits ${hits}`);
});

for (const n of [100, 250]) {
test(`${n} inlined LRU lookups mark their nodes (through the touch log${n > 200 ? ', which overflows to the host helper' : ''}): eviction afterwards matches the interpreter`, (t) => {
  // n lookups of key (r6 & 3) in a loop, more than the touch log holds, then r0 = 0.
  const body = asmHandles([
    'mov %r6, 0', 'mov %r1, %r6', 'and %r1, 3', 'stxw [%r10-4], %r1', 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1',
    'add %r6, 1', `jlt %r6, ${n}, -9`, 'mov %r0, 0', 'exit',
  ]);
  const spec: MapSpec = { ...hashSpec(4, 8, MapType.LRU_HASH) };
  const states = (['interp', 'wasm'] as const).map((engine) => {
    const p = programFrom(body, [spec], { engine });
    const m = p.vm.maps[0]!;
    const key = (i: number): Uint8Array => Uint8Array.of(i, 0, 0, 0);
    for (let i = 0; i < 8; i++) m.update(key(i), new Uint8Array(8).fill(i), 0);
    let hostLookups = 0;
    const lookup = p.vm.helpers[1]!;
    p.vm.helpers[1] = (vm) => { hostLookups++; lookup(vm); };
    const r = p.run(new Uint8Array(14));
    t.is(r.fault, undefined);
    t.is(r.helperCalls, n);
    // New keys evict the unreferenced ones first (keys 4..7 were never looked up).
    for (let i = 10; i < 16; i++) m.update(key(i), new Uint8Array(8).fill(i), 0);
    return { keys: m.entries().map(([k]) => k[0]), hostLookups };
  });
  t.deepEqual(states[1]!.keys, states[0]!.keys);
  if (n > 200) t.true(states[1]!.hostLookups > 0 && states[1]!.hostLookups < n, `host lookups ${states[1]!.hostLookups}`);
  else t.is(states[1]!.hostLookups, 0);
  t.log(`keys after eviction: ${states[0]!.keys.join(' ')}`);
});
}

function asmHandles(lines: string[]): ReturnType<typeof assembleText> {
  return assembleText(lines.join('\n')).map((insn) => (insn.code === 0x18 ? { ...insn, src: 1 } : insn));
}
