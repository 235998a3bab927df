import test from 'ava';
import { asm, assemble, assembleBytes, R0, R1, R2, R3, R10, type AsmItem } from '../../lib/isa/asm.ts';
import { decodeInstructions, type Instruction } from '../../lib/isa/instruction.ts';
import { UsageError } from '../../lib/errors.ts';

function ins(code: number, f: Partial<Omit<Instruction, 'code'>> = {}): Instruction {
  return { code, dst: f.dst ?? 0, src: f.src ?? 0, off: f.off ?? 0, imm: f.imm ?? 0, imm64: f.imm64 ?? 0n };
}

const cases: { name: string; have: AsmItem; want: Instruction }[] = [
  { name: 'mov64Imm', have: asm.mov64Imm(R0, 1), want: ins(0xb7, { dst: 0, imm: 1 }) },
  { name: 'mov32Reg', have: asm.mov32Reg(R0, R1), want: ins(0xbc, { dst: 0, src: 1 }) },
  { name: 'add64Imm negative', have: asm.add64Imm(R1, -4), want: ins(0x07, { dst: 1, imm: -4 }) },
  { name: 'add32Imm wraps 0xffffffff to -1', have: asm.add32Imm(R1, 0xffffffff), want: ins(0x04, { dst: 1, imm: -1 }) },
  { name: 'arsh64Reg', have: asm.arsh64Reg(R1, R2), want: ins(0xcf, { dst: 1, src: 2 }) },
  { name: 'sdiv64Reg sets offset 1', have: asm.sdiv64Reg(R1, R2), want: ins(0x3f, { dst: 1, src: 2, off: 1 }) },
  { name: 'smod32Imm sets offset 1', have: asm.smod32Imm(R1, 3), want: ins(0x94, { dst: 1, off: 1, imm: 3 }) },
  { name: 'neg64', have: asm.neg64(R3), want: ins(0x87, { dst: 3 }) },
  { name: 'movsx64 from 8 bits', have: asm.movsx64(R1, R2, 8), want: ins(0xbf, { dst: 1, src: 2, off: 8 }) },
  { name: 'movsx32 from 16 bits', have: asm.movsx32(R1, R2, 16), want: ins(0xbc, { dst: 1, src: 2, off: 16 }) },
  { name: 'be16', have: asm.be(R0, 16), want: ins(0xdc, { dst: 0, imm: 16 }) },
  { name: 'le32', have: asm.le(R0, 32), want: ins(0xd4, { dst: 0, imm: 32 }) },
  { name: 'bswap64', have: asm.bswap(R0, 64), want: ins(0xd7, { dst: 0, imm: 64 }) },
  { name: 'ldxw', have: asm.ldxw(R2, R1, 4), want: ins(0x61, { dst: 2, src: 1, off: 4 }) },
  { name: 'ldxsb', have: asm.ldxsb(R1, R2, 3), want: ins(0x91, { dst: 1, src: 2, off: 3 }) },
  { name: 'stxdw', have: asm.stxdw(R10, -8, R1), want: ins(0x7b, { dst: 10, src: 1, off: -8 }) },
  { name: 'sth', have: asm.sth(R10, -2, 0x1234), want: ins(0x6a, { dst: 10, off: -2, imm: 0x1234 }) },
  { name: 'atomic64 add', have: asm.atomic64('add', R1, 0, R2), want: ins(0xdb, { dst: 1, src: 2, imm: 0x00 }) },
  { name: 'atomic32 fetch_or', have: asm.atomic32('fetch_or', R1, 4, R2), want: ins(0xc3, { dst: 1, src: 2, off: 4, imm: 0x41 }) },
  { name: 'atomic64 xchg', have: asm.atomic64('xchg', R1, 0, R2), want: ins(0xdb, { dst: 1, src: 2, imm: 0xe1 }) },
  { name: 'atomic32 cmpxchg', have: asm.atomic32('cmpxchg', R1, 0, R2), want: ins(0xc3, { dst: 1, src: 2, imm: 0xf1 }) },
  { name: 'jgtReg with numeric offset', have: asm.jgtReg(R3, R2, 41), want: ins(0x2d, { dst: 3, src: 2, off: 41 }) },
  { name: 'jeq32Imm', have: asm.jeq32Imm(R1, 5, -1), want: ins(0x16, { dst: 1, imm: 5, off: -1 }) },
  { name: 'jsetImm', have: asm.jsetImm(R1, 0x40, 2), want: ins(0x45, { dst: 1, imm: 0x40, off: 2 }) },
  { name: 'ja', have: asm.ja(-1), want: ins(0x05, { off: -1 }) },
  { name: 'gotol puts the target in imm', have: asm.gotol(70000), want: ins(0x06, { imm: 70000 }) },
  { name: 'call by id', have: asm.call(1), want: ins(0x85, { imm: 1 }) },
  { name: 'call by name', have: asm.call('bpf_xdp_adjust_head'), want: ins(0x85, { imm: 44 }) },
  { name: 'callLocal', have: asm.callLocal(3), want: ins(0x85, { src: 1, imm: 3 }) },
  { name: 'exit', have: asm.exit(), want: ins(0x95) },
  { name: 'ldabs h', have: asm.ldabs('h', 12), want: ins(0x28, { imm: 12 }) },
  { name: 'ldind b', have: asm.ldind('b', R2, 1), want: ins(0x50, { src: 2, imm: 1 }) },
];

for (const c of cases) {
  test(`DSL ${c.name} builds the expected instruction`, (t) => {
    t.deepEqual(assemble([c.have]), [c.want]);
  });
}

test('resolves forward and backward labels to slot offsets, counting lddw as two slots', (t) => {
  const insns = assemble([
    asm.label('top'),
    asm.jeqImm(R1, 0, 'out'),
    asm.lddw(R2, 0x1122334455667788n),
    asm.ja('top'),
    asm.label('out'),
    asm.exit(),
  ]);
  t.is(insns.length, 5);
  t.is(insns[0]!.off, 3); // pc 0 → 4
  t.is(insns[1]!.imm64, 0x1122334455667788n);
  t.is(insns[1]!.imm, 0x55667788);
  t.is(insns[2]!.imm, 0x11223344);
  t.is(insns[3]!.off, -4); // pc 3 → 0
});

test('resolves call and gotol labels into imm', (t) => {
  const insns = assemble([asm.callLocal('f'), asm.gotol('end'), asm.label('f'), asm.mov64Imm(R0, 0), asm.label('end'), asm.exit()]);
  t.is(insns[0]!.imm, 1);
  t.is(insns[1]!.imm, 1);
});

test('encodes map and map-value lddw the way the loader leaves them', (t) => {
  const [fd, , val] = assemble([asm.ldMapFd(R1, 3), asm.ldMapValue(R2, 4, 8)]);
  t.like(fd, { code: 0x18, dst: 1, src: 1, imm: 3 });
  t.like(val, { code: 0x18, dst: 2, src: 2, imm: 4, imm64: (8n << 32n) | 4n });
});

test('assembleBytes agrees with decodeInstructions', (t) => {
  const items = [asm.lddw(R0, -1), asm.stxw(R10, -4, R0), asm.exit()];
  t.deepEqual(decodeInstructions(assembleBytes(items)), assemble(items));
});

test('rejects unknown labels, duplicate labels, jumps beyond 16 bits and unknown helpers', (t) => {
  t.throws(() => assemble([asm.ja('nowhere')]), { instanceOf: UsageError, message: /unknown label "nowhere"/ });
  t.throws(() => assemble([asm.label('a'), asm.label('a')]), { instanceOf: UsageError, message: /duplicate label/ });
  const far: AsmItem[] = [asm.ja('end'), ...Array.from({ length: 40000 }, () => asm.mov64Imm(R0, 0)), asm.label('end'), asm.exit()];
  t.throws(() => assemble(far), { instanceOf: UsageError, message: /does not fit in 16 bits/ });
  t.throws(() => asm.call('bpf_nope'), { instanceOf: UsageError });
});
