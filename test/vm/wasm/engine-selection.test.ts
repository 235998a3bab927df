import test from 'ava';
import { ObjectError } from '../../../lib/errors.ts';
import { programFrom } from '../run-program.ts';

const TAIL_CALL_IN_SUBPROG = 'call local f\nexit\nf:\nmov %r2, 0\nmov %r3, 0\ncall 12\nmov %r0, 2\nexit';

test('auto selects the wasm engine for an ordinary program', (t) => {
  t.is(programFrom('mov %r0, 2\nexit').engine, 'wasm');
  t.is(programFrom('mov %r0, 2\nexit', [], { engine: 'interp' }).engine, 'interp');
});

test('a tail call inside a bpf-to-bpf function is refused by wasm and runs on the interpreter under auto', (t) => {
  const err = t.throws(() => programFrom(TAIL_CALL_IN_SUBPROG, [], { engine: 'wasm' }), { instanceOf: ObjectError });
  t.is(err?.code, 'WASM_UNSUPPORTED');
  t.regex(err!.message, /bpf_tail_call inside a bpf-to-bpf function/);
  const p = programFrom(TAIL_CALL_IN_SUBPROG);
  t.is(p.engine, 'interp');
  t.like(p.run(new Uint8Array(14)).fault, { kind: 'bad-helper-arg' });
});

test('a trace hook runs the packet on the interpreter even when wasm is selected', (t) => {
  const p = programFrom('mov %r0, 1\nadd %r0, 1\nexit', [], { engine: 'wasm' });
  let steps = 0;
  p.trace = () => { steps++; };
  const traced = p.run(new Uint8Array(14));
  t.is(steps, traced.insns);
  p.trace = undefined;
  const plain = p.run(new Uint8Array(14));
  t.is(steps, traced.insns);
  t.is(plain.action, traced.action);
  t.is(plain.insns, traced.insns);
});
