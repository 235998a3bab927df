import test from 'ava';
import type { MapSpec } from '../../lib/object/types.ts';
import { MapType } from '../../lib/object/types.ts';
import { HashMap } from '../../lib/vm/maps/hash-map.ts';
import { MemoryLayout, VmMemory } from '../../lib/vm/memory.ts';
import { ENGINES, runAsm } from './run-program.ts';

/** Assembler lines that put `text` + NUL on the stack at r10-len..; r1 = its address, r2 = its size. */
function fmtOnStack(text: string): string {
  const bytes = [...new TextEncoder().encode(text), 0];
  const base = -((bytes.length + 7) & ~7);
  const lines = bytes.map((b, i) => `stb [%r10${base + i}], ${b}`);
  lines.push('mov %r1, %r10', `add %r1, ${base}`, `mov %r2, ${bytes.length}`);
  return lines.join('\n');
}

const printk = (fmt: string, args: string[]): { lines: readonly string[]; r0: bigint } => {
  const prog = `${fmtOnStack(fmt)}\n${args.join('\n')}\ncall 6\nexit`;
  const run = runAsm(prog);
  return { lines: run.result.printk, r0: run.r0 };
};

for (const engine of ENGINES) {
  test(`[${engine}] trace_printk formats d, x, llx and drops the trailing newline`, (t) => {
    const r = printk('a=%d b=%x c=%llx\n', ['mov %r3, -5', 'mov %r4, 0x1ff', 'lddw %r5, 0x123456789']);
    t.deepEqual(r.lines, ['a=-5 b=1ff c=123456789']);
    t.is(r.r0, BigInt('a=-5 b=1ff c=123456789\n'.length));
  });

  test(`[${engine}] trace_printk honours width and the 0 and - flags`, (t) => {
    t.deepEqual(printk('%5d|%-4u|%05x', ['mov %r3, 42', 'mov %r4, 7', 'mov %r5, 0xab']).lines, ['   42|7   |000ab']);
  });

  test(`[${engine}] trace_printk: 32-bit %u of a negative value, %c and %%`, (t) => {
    t.deepEqual(printk('%u %c%c 100%%', ['mov %r3, -5', 'mov %r4, 0x41', 'mov %r5, 0x42']).lines, ['4294967291 AB 100%']);
  });

  test(`[${engine}] trace_printk refuses unknown conversions and a fourth argument with -EINVAL`, (t) => {
    const bad = printk('%q', ['mov %r3, 1']);
    t.deepEqual(bad.lines, []);
    t.is(BigInt.asIntN(64, bad.r0), -22n);
    t.is(BigInt.asIntN(64, printk('%d %d %d %d', ['mov %r3, 1', 'mov %r4, 1', 'mov %r5, 1']).r0), -22n);
  });

  test(`[${engine}] get_prandom_u32 is deterministic for a seed`, (t) => {
    const a = runAsm('call 7\nexit', [], { seed: 42 }).r0;
    t.is(runAsm('call 7\nexit', [], { seed: 42 }).r0, a);
    t.not(runAsm('call 7\nexit', [], { seed: 43 }).r0, a);
  });

  test(`[${engine}] ktime_get_ns returns the packet timestamp`, (t) => {
    const prog = runAsm('call 5\nexit').prog;
    prog.run(new Uint8Array(14), { tsNs: 1_700_000_000_123_456_789n });
    t.is(prog.vm.L[0]! >>> 0, Number(1_700_000_000_123_456_789n & 0xffffffffn));
    t.is(prog.vm.H[0]! >>> 0, Number(1_700_000_000_123_456_789n >> 32n));
  });
}

const hashSpec = (type: number, maxEntries: number): MapSpec => ({ name: 'h', section: '.maps', type, keySize: 4, valueSize: 4, maxEntries, flags: 0, readOnly: false });
const k = (n: number): Uint8Array => Uint8Array.of(n, 0, 0, 0);

test('a full hash map refuses a new key with -E2BIG and honours NOEXIST/EXIST', (t) => {
  const layout = new MemoryLayout();
  const m = new HashMap(hashSpec(MapType.HASH, 2), 0, layout, { lru: false });
  m.bind(new VmMemory(layout));
  t.is(m.update(k(1), k(10), 0), 0);
  t.is(m.update(k(2), k(20), 1), 0);
  t.is(m.update(k(3), k(30), 0), -7);
  t.is(m.update(k(1), k(11), 1), -17);
  t.is(m.update(k(9), k(11), 2), -2);
  t.is(m.update(k(1), k(12), 2), 0);
  t.is(m.update(k(1), k(12), 4 | 8), -22);
  t.is(m.delete(k(9)), -2);
  t.is(m.delete(k(2)), 0);
  t.is(m.update(k(3), k(30), 0), 0);
});

test('an LRU hash evicts the least recently used key (lookups count as use)', (t) => {
  const layout = new MemoryLayout();
  const m = new HashMap(hashSpec(MapType.LRU_HASH, 2), 0, layout, { lru: true });
  m.bind(new VmMemory(layout));
  m.update(k(1), k(10), 0);
  m.update(k(2), k(20), 0);
  t.not(m.lookup(k(1)), 0);
  t.is(m.update(k(3), k(30), 0), 0);
  t.deepEqual(m.entries().map(([key]) => key[0]).sort(), [1, 3]);
});
