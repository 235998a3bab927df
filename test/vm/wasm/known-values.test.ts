import test from 'ava';
import { assembleText } from '../../../lib/isa/assemble-text.ts';
import { MapType, type MapSpec } from '../../../lib/object/types.ts';
import { MAP_HANDLE_BASE } from '../../../lib/vm/memory.ts';
import { knownValues } from '../../../lib/vm/wasm/known-values.ts';
import { programFrom, PROLOGUE } from '../run-program.ts';

/**
 * The compiler drops the access check where known-values.ts proves it cannot fail: a constant
 * base inside a fixed region, or a non-NULL lookup result with the access inside the value.
 * The analysis must be exact where it claims something, and the engines must still agree on
 * every access it cannot prove (those keep the check and fault as the interpreter does).
 */

const arraySpec = (valueSize: number, maxEntries = 2): MapSpec => ({ name: 'a', section: '.maps', type: MapType.ARRAY, keySize: 4, valueSize, maxEntries, flags: 0, readOnly: false });

/** Map-handle loads (lddw src 1). */
const asm = (lines: string[]): ReturnType<typeof assembleText> => assembleText(lines.join('\n')).map((insn) => (insn.code === 0x18 ? { ...insn, src: 1 } : insn));

const LOOKUP = ['stw [%r10-4], 1', 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1'];

test('a lookup result is a maybe-NULL value pointer, not NULL past jeq 0, shifted by add, and forgotten on other writes', (t) => {
  const prog = programFrom(asm([...LOOKUP, 'jeq %r0, 0, +4', 'mov %r6, %r0', 'add %r6, 8', 'ldxdw %r1, [%r6]', 'mov %r6, 1', 'mov %r0, 0', 'exit']), [arraySpec(16)], { engine: 'interp' });
  const image = prog.image;
  const k = knownValues(image, (m) => (m === 0 ? 16 : -1));
  const at = (pc: number, r: number): number => k.ptr[(PROLOGUE + pc) * 11 + r]!;
  // pcs in the body: 0 stw, 1-2 lddw, 3 mov, 4 add, 5 call, 6 jeq, 7 mov, 8 add, 9 ldx, 10 mov, 11 mov, 12 exit
  t.is(k.value[(PROLOGUE + 3) * 11 + 1], MAP_HANDLE_BASE, 'r1 is the map handle');
  t.is(at(6, 0), 0, 'after the call: map 0, offset 0, maybe NULL');
  t.is(at(7, 0), 1, 'past jeq: not NULL');
  t.is(at(8, 6), 1);
  t.is(at(9, 6), (8 << 1) | 1, 'offset 8');
  t.is(at(11, 6), -1, 'overwritten');
  t.is(at(11, 0), 0, 'the jeq target merges NULL and non-NULL: maybe NULL');
});

for (const [what, lines] of [
  ['a read past the last element of an array map', [...LOOKUP.slice(0, 4), 'stw [%r10-4], 1', 'call 1', 'jeq %r0, 0, +2', 'ldxdw %r1, [%r0+16]', 'mov %r0, %r1', 'exit']],
  ['a read below a value', [...LOOKUP, 'jeq %r0, 0, +2', 'ldxdw %r1, [%r0-8]', 'mov %r0, %r1', 'exit']],
  ['a read through a lookup result not tested for NULL, after a miss', ['stw [%r10-4], 9', 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1', 'ldxdw %r1, [%r0]', 'exit']],
  ['a store into a read-only global through its constant address', ['lddw %r1, 0', 'stw [%r1], 1', 'mov %r0, 2', 'exit']],
] as const) {
  test(`both engines agree on ${what}`, (t) => {
    const maps = what.includes('read-only') ? [{ ...arraySpec(8, 1), name: '.rodata', readOnly: true }] : [arraySpec(16)];
    const body = what.includes('read-only')
      ? assembleText([...lines].join('\n')).map((insn) => (insn.code === 0x18 ? { ...insn, src: 2 } : insn))
      : asm([...lines]);
    const run = (engine: 'interp' | 'wasm') => programFrom(body, maps, { engine }).run(new Uint8Array(14));
    const a = run('interp'), b = run('wasm');
    t.deepEqual({ ...b, packet: [...b.packet] }, { ...a, packet: [...a.packet] });
    t.log(a.fault?.message ?? `action ${a.action}`);
  });
}
