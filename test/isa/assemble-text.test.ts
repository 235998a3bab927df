import test from 'ava';
import { assembleText, parseConformanceData } from '../../lib/isa/assemble-text.ts';
import { asm, assemble, R0, R1, R2, R6, R10 } from '../../lib/isa/asm.ts';
import { UsageError } from '../../lib/errors.ts';

test('assembles the bpf_conformance syntax into the same instructions as the DSL', (t) => {
  const text = `
# comment line
mov %r0, 1
ldxh %r0, [%r1+2]
jeq %r1, 0x10, +3
lddw %r0, 0x123456789
call 1
add32 %r1, %r2
be16 %r0
stxdw [%r10-8], %r1
stdw [%r10-4], 0x88776655     # wraps to int32
lock fetch add32 [%r1-8], %r2
exit`;
  t.deepEqual(
    assembleText(text),
    assemble([
      asm.mov64Imm(R0, 1),
      asm.ldxh(R0, R1, 2),
      asm.jeqImm(R1, 0x10, 3),
      asm.lddw(R0, 0x123456789n),
      asm.call(1),
      asm.add32Reg(R1, R2),
      asm.be(R0, 16),
      asm.stxdw(R10, -8, R1),
      asm.stdw(R10, -4, 0x88776655 | 0),
      asm.atomic32('fetch_add', R1, -8, R2),
      asm.exit(),
    ]),
  );
});

test('accepts registers without %, labels, call local and the implicit exit label', (t) => {
  const insns = assembleText(`ldxw r6, [r10-4]
call local func1
jne %r0, 15, failed
ja exit
failed: mov %r0, -1
exit
func1:
mov32 %r0, 15
exit`);
  t.deepEqual(insns, assemble([
    asm.ldxw(R6, R10, -4),
    asm.callLocal('f'),
    asm.jneImm(R0, 15, 'failed'),
    asm.ja('exit'),
    asm.label('failed'),
    asm.mov64Imm(R0, -1),
    asm.label('exit'),
    asm.exit(),
    asm.label('f'),
    asm.mov32Imm(R0, 15),
    asm.exit(),
  ]));
});

test('assembles v4 mnemonics: movsx, sign-extending loads, sdiv/smod, swap, ja32', (t) => {
  const insns = assembleText(`movsx832 %r1, %r2
movsx3264 %r1, %r2
ldxhsx %r1, [%r2+6]
sdiv32 %r1, 3
smod %r1, %r2
swap16 %r3
ja32 +2
lock cmpxchg32 [%r1+0], %r2
lock xchg [%r1+8], %r2`);
  t.deepEqual(insns.map((i) => [i.code, i.off, i.imm]), [
    [0xbc, 8, 0], [0xbf, 32, 0], [0x89, 6, 0], [0x34, 1, 3], [0x9f, 1, 0], [0xd7, 0, 16], [0x06, 0, 2], [0xc3, 0, 0xf1], [0xdb, 8, 0xe1],
  ]);
});

test('reports the line and the reason for bad input', (t) => {
  const cases: [string, RegExp][] = [
    ['mov %r0, 1\nfrob %r1', /line 2: unknown mnemonic "frob"/],
    ['mov %r0', /line 1: mov takes 2 operands, found 1/],
    ['mov %r16, 1', /expected a register/],
    ['ldxw %r0, %r1', /expected \[reg\+offset\]/],
    ['mov %r0, 0x100000000', /does not fit in 32 bits/],
    ['ldxw %r0, [%r1+40000]', /does not fit in 16 bits/],
    ['ja nowhere', /unknown label "nowhere"/],
    ['call remote 3', /unknown call mode/],
    ['lock nand [%r1], %r2', /unknown atomic operation/],
  ];
  for (const [src, re] of cases) t.throws(() => assembleText(src), { instanceOf: UsageError, message: re }, src);
});

test('parses a conformance .data file into asm, memory and result', (t) => {
  const c = parseConformanceData(`# Copyright
-- asm
ldxh %r0, [%r1+2]
exit
-- mem
aa bb 11 22
cc dd
-- result
0x2211
`);
  t.is(c.asm, 'ldxh %r0, [%r1+2]\nexit\n');
  t.deepEqual(c.mem, Uint8Array.from([0xaa, 0xbb, 0x11, 0x22, 0xcc, 0xdd]));
  t.is(c.result, 0x2211n);
  t.is(parseConformanceData('-- asm\nexit\n-- result\n-1\n').result, 0xffffffffffffffffn);
  t.is(parseConformanceData('-- asm\nexit\n-- error\nDivision by zero\n').error, 'Division by zero');
});
