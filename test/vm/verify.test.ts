import test from 'ava';
import { ObjectError } from '../../lib/errors.ts';
import { assembleText } from '../../lib/isa/assemble-text.ts';
import type { Instruction } from '../../lib/isa/instruction.ts';
import { PROLOGUE, programFrom } from './run-program.ts';

const I = (code: number, f: Partial<Instruction> = {}): Instruction => ({ code, dst: f.dst ?? 0, src: f.src ?? 0, off: f.off ?? 0, imm: f.imm ?? 0, imm64: 0n });
const EXIT = I(0x95);

/** Load-time refusals: [title, program, message pattern]. Indexes are the program's own + PROLOGUE. */
const BAD: [string, Instruction[] | string, RegExp][] = [
  ['an unknown opcode', [I(0xff), EXIT], new RegExp(`insn ${PROLOGUE}: unknown`)],
  ['register r11', [I(0xb7, { dst: 11 }), EXIT], /invalid destination register r11/],
  ['a write to r10', [I(0xb7, { dst: 10 }), EXIT], /r10 \(frame pointer\) is read-only/],
  ['a jump past the end', [I(0x05, { off: 5 }), EXIT], /jump to insn \d+ is outside the program/],
  ['a jump into the middle of an lddw', 'ja +1\nlddw %r0, 1\nexit', /the middle of an lddw/],
  ['a program not ending in exit', [I(0xb7)], /does not end with exit/],
  ['an unknown helper id', [I(0x85, { imm: 9999 }), EXIT], /unknown helper id 9999/],
  ['a helper the kernel does not allow for XDP, by name', [I(0x85, { imm: 9 }), EXIT], /insn \d+: helper bpf_skb_store_bytes \(9\) is not allowed for XDP programs/],
  ['a helper that may sleep', [I(0x85, { imm: 148 }), EXIT], /helper bpf_copy_from_user \(148\) may sleep/],
  ['a kfunc call', [I(0x85, { src: 2, imm: 1234 }), EXIT], /kfunc calls are not supported/],
  ['may_goto', [I(0xe5), EXIT], /may_goto is not supported/],
  ['a legacy ld_abs', [I(0x30, { imm: 1 }), EXIT], /ld_abs\/ld_ind\) are not allowed in XDP/],
  ['load-acquire', [I(0xdb, { dst: 1, src: 2, imm: 0x100 }), EXIT], /load-acquire\/store-release are not supported/],
  ['an 8-bit atomic', [I(0xd3, { dst: 1, src: 2, imm: 0 }), EXIT], /atomic operations of size 1/],
  ['a non-zero reserved imm on a register ALU op', [I(0x0f, { dst: 1, src: 2, imm: 1 }), EXIT], /reserved imm field is not zero/],
  ['a non-zero src on an immediate ALU op', [I(0x07, { dst: 1, src: 2, imm: 1 }), EXIT], /reserved src field is not zero/],
  ['an invalid byte-swap width', [I(0xdc, { imm: 24 }), EXIT], /invalid byte-swap width 24/],
  ['an invalid movsx offset', [I(0xbc, { dst: 1, src: 2, off: 32 }), EXIT], /invalid offset 32/],
  ['a call into the middle of an lddw', 'call local x\nlddw %r0, 1\nexit\nx:\nexit', /./],
];

for (const [title, prog, pattern] of BAD) {
  test(`refuses ${title} at load, naming the instruction`, (t) => {
    const insns = typeof prog === 'string' ? assembleText(prog) : prog;
    if (title.startsWith('a call into')) insns[0]!.imm = 1; // target = second lddw slot
    const err = t.throws(() => programFrom(insns), { instanceOf: ObjectError });
    t.is(err.code, 'VERIFY');
    t.regex(err.message, pattern);
    t.regex(err.message, /program "test": insn \d+/);
  });
}

test('accepts every instruction class the interpreter implements', (t) => {
  t.notThrows(() => programFrom('mov %r0, 1\nlddw %r1, 0x1234567890\nlock fetch add [%r10-8], %r0\nsdiv %r0, 3\nswap64 %r0\nja32 +0\nexit'));
});
