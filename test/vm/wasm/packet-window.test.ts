import test from 'ava';
import { ENGINES, onEngine } from '../run-program.ts';

/**
 * The compiled packet fast path must not accept what the interpreter refuses: a base register
 * with its high bits set is out of bounds even when base + offset lands inside the window.
 */
for (const engine of ENGINES) {
  const runAsm = onEngine(engine);
  test(`[${engine}] a negative base brought back into the packet by the offset faults as out of bounds`, (t) => {
    const r = runAsm('mov %r3, %r1\nadd %r3, -0x7000\nldxb %r0, [%r3+0x7000]\nexit', [1, 2, 3]);
    t.is(r.result.fault?.kind, 'out-of-bounds');
  });

  test(`[${engine}] the same load from the packet pointer itself reads the byte`, (t) => {
    const r = runAsm('mov %r3, %r1\nldxb %r0, [%r3+1]\nexit', [1, 2, 3]);
    t.is(r.result.fault, undefined);
    t.is(r.r0, 2n);
  });
}

test('both engines report the same fault for a negative base brought back into the packet', (t) => {
  const [a, b] = ENGINES.map((engine) => onEngine(engine)('mov %r3, %r1\nadd %r3, -0x7000\nldxh %r0, [%r3+0x7000]\nexit', [1, 2, 3]).result.fault);
  t.deepEqual(b, a);
});
