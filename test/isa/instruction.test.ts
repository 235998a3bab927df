import test from 'ava';
import { decodeInstructions, encodeInstructions } from '../../lib/isa/instruction.ts';
import { FormatError } from '../../lib/errors.ts';

test('decodes an lddw pair into two slots carrying the 64-bit constant', (t) => {
  const bytes = Uint8Array.from([
    0x18, 0x01, 0, 0, 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, // r1 = 0x5566778811223344 ll
    0x95, 0, 0, 0, 0, 0, 0, 0, // exit
  ]);
  const insns = decodeInstructions(bytes);
  t.is(insns.length, 3);
  t.is(insns[0]!.dst, 1);
  t.is(insns[0]!.imm64, 0x5566778811223344n);
  t.is(insns[2]!.code, 0x95);
  t.deepEqual(encodeInstructions(insns), bytes);
});

test('decodes negative offsets and immediates, src in the high nibble', (t) => {
  const bytes = Uint8Array.from([0x6d, 0x21, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]); // if r1 s> r2 goto -2
  const [insn] = decodeInstructions(bytes);
  t.like(insn, { code: 0x6d, dst: 1, src: 2, off: -2, imm: -1 });
});

test('rejects an lddw without its second slot, naming the byte offset', (t) => {
  const err = t.throws(() => decodeInstructions(Uint8Array.from([0x18, 0, 0, 0, 0, 0, 0, 0]), 64), { instanceOf: FormatError });
  t.is(err?.byteOffset, 64);
  t.regex(err?.message ?? '', /second slot/);
});
