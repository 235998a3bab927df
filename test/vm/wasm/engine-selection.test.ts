import test from 'ava';
import { programFrom } from '../run-program.ts';

const TAIL_CALL_IN_SUBPROG = 'call local f\nexit\nf:\nmov %r2, 0\nmov %r3, 0\ncall 12\nmov %r0, 2\nexit';

test('auto selects the wasm engine for an ordinary program', (t) => {
  t.is(programFrom('mov %r0, 2\nexit').engine, 'wasm');
  t.is(programFrom('mov %r0, 2\nexit', [], { engine: 'interp' }).engine, 'interp');
});

test('a tail call inside a bpf-to-bpf function compiles: wasm and auto run it on the compiled engine, with the interpreter\'s result', (t) => {
  const wasm = programFrom(TAIL_CALL_IN_SUBPROG, [], { engine: 'wasm' });
  const auto = programFrom(TAIL_CALL_IN_SUBPROG);
  const interp = programFrom(TAIL_CALL_IN_SUBPROG, [], { engine: 'interp' });
  t.is(wasm.engine, 'wasm');
  t.is(auto.engine, 'wasm');
  const expected = interp.run(new Uint8Array(14)).fault;
  t.like(expected, { kind: 'bad-helper-arg' });
  t.like(wasm.run(new Uint8Array(14)).fault, { kind: expected!.kind, pc: expected!.pc });
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
