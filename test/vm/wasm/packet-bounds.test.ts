import test from 'ava';
import { assembleText } from '../../../lib/isa/assemble-text.ts';
import type { ObjectSpec } from '../../../lib/object/types.ts';
import { imageOf } from './image-of.ts';
import { CTX, END, packetBounds, UNKNOWN } from '../../../lib/vm/wasm/packet-bounds.ts';
import { loadXdpProgram } from '../../../lib/xdp/xdp-program.ts';

/**
 * The compiler drops the packet check of an access the program bounds-checked itself against
 * data_end (packet-bounds.ts). The analysis must claim only what holds, and every access it
 * cannot prove keeps its check: both engines fault alike on reads past the proof, after a
 * helper moved the window, and through pointers it lost track of.
 */


const CHECKED = ['ldxw %r2, [%r1+0]', 'ldxw %r3, [%r1+4]', 'mov %r4, %r2', 'add %r4, 14', 'jgt %r4, %r3, +2'];

test('a jgt of data + 14 against data_end proves 14 bytes on the fall-through side only', (t) => {
  const b = packetBounds(imageOf([...CHECKED, 'ldxb %r0, [%r2+13]', 'exit', 'mov %r0, 1', 'exit'].join('\n')));
  const reg = (pc: number, r: number): number => b.reg[pc * 11 + r]!;
  t.is(reg(0, 1), CTX);
  t.is(reg(2, 2), 0, 'r2 = data');
  t.is(reg(2, 3), END, 'r3 = data_end');
  t.is(reg(4, 4), 14, 'r4 = data + 14');
  t.is(b.safe[5], 14, 'fall-through: 14 bytes proven');
  t.is(b.safe[7], 0, 'taken: nothing proven');
});

test('a helper call forgets every packet fact but keeps the context in r6..r9', (t) => {
  const b = packetBounds(imageOf(['mov %r6, %r1', ...CHECKED, 'call 7', 'ldxb %r0, [%r2+0]', 'exit', 'mov %r0, 1', 'exit'].join('\n')));
  t.is(b.safe[6], 14);
  t.is(b.safe[7], 0);
  t.is(b.reg[7 * 11 + 2], UNKNOWN);
  t.is(b.reg[7 * 11 + 6], CTX);
});

test('merging paths keeps the smaller proof', (t) => {
  const text = ['ldxw %r2, [%r1+0]', 'ldxw %r3, [%r1+4]', 'mov %r4, %r2', 'add %r4, 20', 'mov %r5, %r2', 'add %r5, 10',
    'jeq %r0, 0, +2', 'jgt %r4, %r3, +3', 'ja +1', 'jgt %r5, %r3, +1', 'ldxb %r0, [%r2+0]', 'exit'].join('\n');
  const b = packetBounds(imageOf(text));
  t.is(b.safe[10], 10);
});

/** An XDP program from text without a prologue: r1 = ctx, as the kernel starts it. */
function load(text: string, engine: 'interp' | 'wasm') {
  const object: ObjectSpec = {
    name: 'test', license: 'GPL', maps: [],
    programs: [{ name: 'test', section: 'xdp', isXdp: true, frags: false, insns: assembleText(text), funcs: [{ insn: 0, name: 'test' }], lines: [] }],
  };
  return loadXdpProgram(object, { engine });
}

for (const [what, body] of [
  ['a read inside the proof', ['ldxb %r0, [%r2+13]', 'exit']],
  ['a read one byte past the proof', ['ldxh %r0, [%r2+13]', 'exit']],
  ['a read through data + 14 past the proof', ['ldxb %r0, [%r4+0]', 'exit']],
  ['a read after adjust_head moved the window', ['mov %r6, %r2', 'mov %r1, %r7', 'mov %r2, 40', 'call 44', 'ldxb %r0, [%r6+0]', 'exit']],
  ['a read below data', ['ldxb %r0, [%r2-1]', 'exit']],
  ['a write inside the proof', ['stb [%r2+0], 7', 'mov %r0, 2', 'exit']],
] as const) {
  test(`both engines agree on ${what}`, (t) => {
    const text = ['mov %r7, %r1', ...CHECKED, ...body, 'mov %r0, 1', 'exit'].join('\n');
    for (const size of [14, 15, 60]) {
      const frame = Uint8Array.from({ length: size }, (_, i) => i);
      const a = load(text, 'interp').run(frame), b = load(text, 'wasm').run(frame);
      t.deepEqual({ ...b, packet: [...b.packet] }, { ...a, packet: [...a.packet] }, `${size} bytes`);
    }
  });
}
