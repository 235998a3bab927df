import test from 'ava';
import { assembleText } from '../../../lib/isa/assemble-text.ts';
import { MapType, type MapSpec } from '../../../lib/object/types.ts';
import { LruList } from '../../../lib/vm/maps/lru-list.ts';
import { ENGINES, onEngine, programFrom } from '../run-program.ts';

const spec = (type: number, flags: number, name = 'm'): MapSpec => ({ name, section: '.maps', type, keySize: 4, valueSize: 8, maxEntries: 4, flags, readOnly: (flags & 0x80) !== 0 });

/** r1 = map 0, key 1 and value 5 on the stack, then `call id`. */
function callOnMap(id: number): ReturnType<typeof assembleText> {
  const body = assembleText(['stw [%r10-8], 1', 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -8', 'stdw [%r10-16], 5', 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 0', `call ${id}`, 'exit'].join('\n'));
  body[1] = { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, imm64: 0n };
  return body;
}

for (const engine of ENGINES) {
  const runAsm = onEngine(engine);
  test(`[${engine}] a program write to a BPF_F_RDONLY_PROG map or a read of a BPF_F_WRONLY_PROG map faults, naming the flag`, (t) => {
    const ro = runAsm(callOnMap(2), [], { maps: [spec(MapType.HASH, 0x80)] });
    t.regex(ro.result.fault?.message ?? '', /BPF_F_RDONLY_PROG/);
    const del = runAsm(callOnMap(3), [], { maps: [spec(MapType.HASH, 0x80)] });
    t.regex(del.result.fault?.message ?? '', /BPF_F_RDONLY_PROG/);
    const wo = runAsm(callOnMap(1), [], { maps: [spec(MapType.HASH, 0x100)] });
    t.regex(wo.result.fault?.message ?? '', /BPF_F_WRONLY_PROG/);
    const ok = runAsm(callOnMap(2), [], { maps: [spec(MapType.HASH, 0)] });
    t.is(ok.result.fault, undefined);
    t.is(ok.r0, 0n);
  });

  test(`[${engine}] queue helpers refuse a map that is not a queue, stack or bloom filter`, (t) => {
    const bad = runAsm(callOnMap(87), [], { maps: [spec(MapType.HASH, 0)] });
    t.regex(bad.result.fault?.message ?? '', /not a QUEUE, STACK or BLOOM_FILTER/);
  });
}

test('the LRU list model refills target_free nodes at a time and shrinks the inactive list from its tail, sparing referenced nodes', (t) => {
  const lru = new LruList(4, 1);
  const owned = new Set<number>();
  lru.evict = (n) => owned.delete(n);
  t.is(lru.targetFree, 2, 'clamp(4 / 1 CPU / 2, 1, 128)');
  const taken: number[] = [];
  for (let i = 0; i < 4; i++) { const n = lru.pop(); owned.add(n); taken.push(n); }
  // The global free list holds node 3 first (populate adds at the head); each refill moves two
  // nodes to the head of the CPU's free list, so they come out in reverse.
  t.deepEqual(taken, [2, 3, 0, 1]);
  lru.touch(3);
  t.is(lru.pop(), 0, 'a full map: the refill evicts the two oldest unreferenced nodes (2, then 0)');
  t.deepEqual([...owned].sort(), [1, 3], 'the referenced node 3 survives');
});

test('the LRU list model steals a node from another CPU\'s pending list when the running CPU and the global lists have none', (t) => {
  const lru = new LruList(1, 2);
  const owned = new Set<number>();
  lru.evict = (n) => owned.delete(n);
  lru.cpu = 0;
  owned.add(lru.pop());
  t.deepEqual([...owned], [0], 'the only node is pending on CPU 0');
  lru.cpu = 1;
  t.is(lru.pop(), 0, 'CPU 1 steals it');
  t.is(owned.size, 0, 'evicting its key');
  owned.add(0);
  lru.cpu = 0;
  t.is(lru.pop(), 0, 'and CPU 0 steals it back');
});

test('map definitions the kernel refuses at creation are refused at load, naming the map and the rule', (t) => {
  const base = { section: '.maps', keySize: 8, valueSize: 8, maxEntries: 4, readOnly: false };
  const cases: [MapSpec, RegExp][] = [
    [{ ...base, name: 'trie', type: MapType.LPM_TRIE, flags: 0 }, /trie.*BPF_F_NO_PREALLOC/],
    [{ ...base, name: 'lru', type: MapType.LRU_HASH, flags: 1 }, /lru.*preallocated/],
    [{ ...base, name: 'q', type: MapType.QUEUE, flags: 0 }, /q.*key_size must be 0/],
    [{ ...base, name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 3000, flags: 0 }, /rb.*power of two/],
    [{ ...base, name: 'h', type: MapType.HASH, maxEntries: 0, flags: 0 }, /h.*max_entries is 0/],
  ];
  for (const [spec, message] of cases) {
    t.throws(() => programFrom('mov %r0, 2\nexit', [spec]), { message });
  }
  const perf = programFrom('mov %r0, 2\nexit', [{ ...base, keySize: 4, valueSize: 4, name: 'perf', type: MapType.PERF_EVENT_ARRAY, maxEntries: 0, flags: 0 }], { cpus: 3 });
  t.is(perf.maps.get('perf')!.entries().length, 3, 'max_entries 0: one slot per CPU, all open');
});

test('a host update of a per-CPU map sets every CPU: one value for all, or one 8-byte slot per CPU', (t) => {
  const spec: MapSpec = { name: 'pc', section: '.maps', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, readOnly: false };
  const p = programFrom('mov %r0, 2\nexit', [spec], { cpus: 2 });
  const h = p.maps.get('pc')!;
  t.is(h.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(7, 0, 0, 0)), 0);
  t.is(h.update(Uint8Array.of(2, 0, 0, 0), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0)), 0);
  t.deepEqual(h.percpu!.entries().map(([k, vs]) => [k[0], vs.map((v) => v[0])]), [[1, [7, 7]], [2, [1, 2]]]);
});
