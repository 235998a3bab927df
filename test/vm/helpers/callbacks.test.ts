import test from 'ava';
import { assembleText } from '../../../lib/isa/assemble-text.ts';
import type { Instruction } from '../../../lib/isa/instruction.ts';
import { ENGINES, onEngine, PROLOGUE } from '../run-program.ts';

/** bpf_loop callbacks (Vm.callback) on both engines: arguments, callee-saved registers, early stop, budget and faults inside the callback. */

/** Body with `lddw %r2, <callback at insn cbAt>` at insn `at` (pseudo source 4). */
function withCallback(lines: string[], at: number, cbAt: number): Instruction[] {
  const body = assembleText(lines.join('\n'));
  body[at] = { code: 0x18, dst: 2, src: 4, off: 0, imm: cbAt - at - 1, imm64: 0n };
  return body;
}

const MAIN = (nr: string): string[] => [
  'mov %r6, 7', `mov %r1, ${nr}`, 'lddw %r2, 0', 'mov %r3, %r10', 'add %r3, -8', 'stdw [%r10-8], 0', 'mov %r4, 0', 'call 181',
  'ldxdw %r1, [%r10-8]', 'lsh %r1, 16', 'add %r0, %r1', 'lsh %r6, 8', 'add %r0, %r6', 'exit',
];

for (const engine of ENGINES) {
  const runAsm = onEngine(engine);

  test(`[${engine}] bpf_loop calls the callback with the index and context, keeps r6 and returns the iteration count`, (t) => {
    const cb = ['ldxdw %r3, [%r2]', 'add %r3, %r1', 'stxdw [%r2], %r3', 'mov %r6, 99', 'mov %r0, 0', 'exit'];
    const r = runAsm(withCallback([...MAIN('5'), ...cb], 2, 15));
    t.is(r.result.fault, undefined);
    t.is(r.r0, 5n + (10n << 16n) + (7n << 8n));
  });

  test(`[${engine}] bpf_loop stops after the iteration whose callback returns non-zero, counting it`, (t) => {
    const cb = ['mov %r0, 0', 'jne %r1, 2, +1', 'mov %r0, 1', 'exit'];
    const r = runAsm(withCallback([...MAIN('10'), ...cb], 2, 15));
    t.is(r.r0 & 0xffn, 3n);
  });

  test(`[${engine}] bpf_loop refuses flags with -EINVAL and more than 2^23 iterations with -E2BIG`, (t) => {
    const cb = ['mov %r0, 0', 'exit'];
    const flags = withCallback(['mov %r1, 1', 'lddw %r2, 0', 'mov %r3, 0', 'mov %r4, 1', 'call 181', 'exit', ...cb], 1, 6);
    t.is(BigInt.asIntN(64, runAsm(flags).r0), -22n);
    const big = withCallback(['mov %r1, 0x800001', 'lddw %r2, 0', 'mov %r3, 0', 'mov %r4, 0', 'call 181', 'exit', ...cb], 1, 6);
    t.is(BigInt.asIntN(64, runAsm(big).r0), -7n);
  });

  test(`[${engine}] instructions run in callbacks count against the budget, and the budget fault points into the callback`, (t) => {
    const cb = ['mov %r0, 0', 'exit'];
    const prog = withCallback([...MAIN('1000'), ...cb], 2, 15);
    const ok = runAsm(prog);
    t.is(ok.result.fault, undefined);
    t.is(ok.result.insns, PROLOGUE + 14 + 1000 * 2);
    const r = runAsm(prog, [], { budget: 501 });
    t.is(r.result.fault?.kind, 'budget');
    t.true((r.result.fault?.pc ?? 0) >= PROLOGUE + 15);
    t.is(r.result.insns, 501);
  });

  test(`[${engine}] a callback that uses up the budget exactly stops at the next instruction after bpf_loop`, (t) => {
    const cb = ['mov %r0, 0', 'exit'];
    const prog = withCallback([...MAIN('10'), ...cb], 2, 15);
    const total = PROLOGUE + 8 + 20; // up to and including the call and its callbacks
    const r = runAsm(prog, [], { budget: total });
    t.is(r.result.fault?.kind, 'budget');
    t.is(r.result.fault?.pc, PROLOGUE + 9);
    t.is(r.result.insns, total);
  });

  test(`[${engine}] a memory fault inside a callback ends the run with XDP_ABORTED and the callback's instruction`, (t) => {
    const cb = ['ldxdw %r0, [%r1]', 'exit'];
    const r = runAsm(withCallback([...MAIN('3'), ...cb], 2, 15));
    t.is(r.result.fault?.kind, 'out-of-bounds');
    t.is(r.result.fault?.pc, PROLOGUE + 15);
    t.is(r.result.action, 0);
  });

  test(`[${engine}] a callback argument that is not a function reference is a helper fault`, (t) => {
    const r = runAsm('mov %r1, 1\nmov %r2, 5\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit');
    t.is(r.result.fault?.kind, 'bad-helper-arg');
  });
}
