import test from 'ava';
import { ENGINES, hexBytes, onEngine } from './run-program.ts';

/**
 * Instruction-level cases per RFC 9669 conformance group, written out with their edge cases.
 * Each case: assembler text (bpf_conformance syntax), optional packet bytes (r1 points at them,
 * r2 = their length), expected r0 (64 bits). Every case runs on every engine.
 */
interface Case { group: string; name: string; asm: string; mem?: string; r0: bigint }

const C = (group: string, name: string, asm: string, r0: bigint, mem?: string): Case => ({ group, name, asm, r0, ...(mem === undefined ? {} : { mem }) });

const CASES: Case[] = [
  // ---- base64 ----
  C('base64', 'add carries into the high word', 'lddw %r0, 0xffffffff\nadd %r0, 1\nexit', 0x100000000n),
  C('base64', 'sub borrows through all 64 bits', 'mov %r0, 0\nsub %r0, 1\nexit', 0xffffffffffffffffn),
  C('base64', 'mov sign-extends its immediate', 'mov %r0, -1\nexit', 0xffffffffffffffffn),
  C('base64', 'and sign-extends its immediate', 'lddw %r0, 0x123456789abcdef0\nand %r0, 0xffff0000\nexit', 0x123456789abc0000n),
  C('base64', 'or and xor work on both halves', 'lddw %r0, 0xf0f0f0f00f0f0f0f\nlddw %r1, 0x0ff00ff00ff00ff0\nor %r0, %r1\nxor %r0, %r1\nexit', 0xf000f000000f000fn),
  C('base64', 'lsh masks a register count to 6 bits', 'mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit', 2n),
  C('base64', 'lsh by 32 or more moves low into high', 'mov %r0, 3\nlsh %r0, 36\nexit', 0x3000000000n),
  C('base64', 'rsh is logical', 'lddw %r0, 0x8000000000000000\nrsh %r0, 63\nexit', 1n),
  C('base64', 'arsh by 40 keeps the sign', 'lddw %r0, 0x8000000000000000\narsh %r0, 40\nexit', 0xffffffffff800000n),
  C('base64', 'arsh by 0 changes nothing', 'lddw %r0, 0x8000000000000001\narsh %r0, 0\nexit', 0x8000000000000001n),
  C('base64', 'neg negates 64 bits', 'mov %r0, 5\nneg %r0\nexit', 0xfffffffffffffffbn),
  C('base64', 'movsx from 32 bits sign-extends to 64', 'mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1\nexit', 0xffffffff80000000n),
  C('base64', 'movsx from 8 bits sign-extends to 64', 'mov %r1, 0x180\nmovsx864 %r0, %r1\nexit', 0xffffffffffffff80n),
  C('base64', 'lddw loads all 64 bits', 'lddw %r0, 0x123456789abcdef0\nexit', 0x123456789abcdef0n),
  C('base64', 'jgt compares unsigned', 'mov %r0, 0\nmov %r1, -1\njgt %r1, 5, +1\nexit\nmov %r0, 1\nexit', 1n),
  C('base64', 'jsgt compares signed', 'mov %r0, 0\nmov %r1, -1\njsgt %r1, 0, +1\nmov %r0, 1\nexit', 1n),
  C('base64', 'jset tests the high word too', 'lddw %r1, 0x100000000\nmov %r0, 0\nlddw %r2, 0x100000000\njset %r1, %r2, +1\nexit\nmov %r0, 1\nexit', 1n),
  C('base64', 'jeq with a negative immediate compares sign-extended', 'mov %r0, 0\nmov %r1, -2\njeq %r1, -2, +1\nexit\nmov %r0, 1\nexit', 1n),
  C('base64', 'jle and jlt on equal values', 'mov %r0, 0\nmov %r1, 7\njlt %r1, 7, +2\njle %r1, 7, +1\nexit\nmov %r0, 1\nexit', 1n),
  C('base64', 'jsle and jslt across the sign boundary', 'mov %r0, 0\nlddw %r1, 0x8000000000000000\njslt %r1, 0, +1\nexit\njsle %r1, -1, +1\nexit\nmov %r0, 1\nexit', 1n),
  C('base64', 'gotol jumps by its 32-bit immediate', 'mov %r0, 1\nja32 +1\nmov %r0, 2\nexit', 1n),
  C('base64', 'be16 swaps and zero-extends', 'lddw %r0, 0xffffffff00001234\nbe16 %r0\nexit', 0x3412n),
  C('base64', 'be32 swaps and zero-extends', 'lddw %r0, 0xffffffff12345678\nbe32 %r0\nexit', 0x78563412n),
  C('base64', 'be64 swaps all 8 bytes', 'lddw %r0, 0x0102030405060708\nbe64 %r0\nexit', 0x0807060504030201n),
  C('base64', 'le16 truncates', 'lddw %r0, 0x1234567812345678\nle16 %r0\nexit', 0x5678n),
  C('base64', 'le32 truncates', 'lddw %r0, 0x1234567812345678\nle32 %r0\nexit', 0x12345678n),
  C('base64', 'le64 keeps everything', 'lddw %r0, 0x1234567812345678\nle64 %r0\nexit', 0x1234567812345678n),
  C('base64', 'bswap16 (v4) swaps unconditionally', 'mov %r0, 0x1234\nswap16 %r0\nexit', 0x3412n),
  C('base64', 'bswap64 (v4) swaps all 8 bytes', 'lddw %r0, 0x0102030405060708\nswap64 %r0\nexit', 0x0807060504030201n),
  // ---- base32 ----
  C('base32', 'add32 wraps at 32 bits', 'mov32 %r0, -1\nadd32 %r0, 1\nexit', 0n),
  C('base32', 'add32 zero-extends the result', 'lddw %r0, 0xffffffff00000001\nadd32 %r0, 1\nexit', 2n),
  C('base32', 'sub32 zero-extends', 'mov32 %r0, 0\nsub32 %r0, 1\nexit', 0xffffffffn),
  C('base32', 'lsh32 masks a register count to 5 bits', 'mov32 %r0, 1\nmov32 %r1, 33\nlsh32 %r0, %r1\nexit', 2n),
  C('base32', 'arsh32 keeps the 32-bit sign', 'mov32 %r0, 0x80000000\narsh32 %r0, 4\nexit', 0xf8000000n),
  C('base32', 'rsh32 ignores the high word', 'lddw %r0, 0x180000000\nrsh32 %r0, 31\nexit', 1n),
  C('base32', 'neg32 zero-extends', 'mov32 %r0, 1\nneg32 %r0\nexit', 0xffffffffn),
  C('base32', 'mov32 from a register drops the high word', 'lddw %r1, 0x1122334455667788\nmov32 %r0, %r1\nexit', 0x55667788n),
  C('base32', 'movsx8 to 32 bits zero-extends the 32-bit result', 'mov32 %r1, 0x80\nmovsx832 %r0, %r1\nexit', 0xffffff80n),
  C('base32', 'jeq32 looks only at the low word', 'lddw %r1, 0x100000000\nmov %r0, 0\njeq32 %r1, 0, +1\nexit\nmov %r0, 1\nexit', 1n),
  C('base32', 'jslt32 is signed on 32 bits', 'mov32 %r1, 0x80000000\nmov %r0, 0\njslt32 %r1, 0, +1\nexit\nmov %r0, 1\nexit', 1n),
  C('base32', 'jgt32 is unsigned on 32 bits', 'lddw %r1, 0xffffffff00000001\nmov %r0, 0\njgt32 %r1, 1, +1\nmov %r0, 1\nexit', 1n),
  C('base32', 'jset32 ignores the high word', 'lddw %r1, 0xffffffff00000000\nmov %r0, 1\njset32 %r1, -1, +1\nexit\nmov %r0, 2\nexit', 1n),
  // ---- divmul32 ----
  C('divmul32', 'div32 by zero gives 0', 'mov32 %r0, 7\nmov32 %r1, 0\ndiv32 %r0, %r1\nexit', 0n),
  C('divmul32', 'mod32 by zero leaves the dividend, zero-extended', 'lddw %r0, 0x100000007\nmov %r1, 0\nmod32 %r0, %r1\nexit', 7n),
  C('divmul32', 'div32 looks only at the low 32 bits of the divisor', 'mov32 %r0, 10\nlddw %r1, 0x100000000\ndiv32 %r0, %r1\nexit', 0n),
  C('divmul32', 'div32 is unsigned', 'mov32 %r0, -1\ndiv32 %r0, 2\nexit', 0x7fffffffn),
  C('divmul32', 'sdiv32 truncates toward zero', 'mov32 %r0, -7\nsdiv32 %r0, 2\nexit', 0xfffffffdn),
  C('divmul32', 'sdiv32 INT_MIN by -1 wraps', 'mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit', 0x80000000n),
  C('divmul32', 'smod32 takes the sign of the dividend', 'mov32 %r0, -7\nsmod32 %r0, 3\nexit', 0xffffffffn),
  C('divmul32', 'smod32 INT_MIN by -1 is 0', 'mov32 %r0, 0x80000000\nsmod32 %r0, -1\nexit', 0n),
  C('divmul32', 'sdiv32 by zero gives 0', 'mov32 %r0, -7\nsdiv32 %r0, 0\nexit', 0n),
  C('divmul32', 'mul32 keeps the low 32 bits', 'mov32 %r0, 0x10000\nmul32 %r0, 0x10000\nexit', 0n),
  C('divmul32', 'mul32 of negatives', 'mov32 %r0, -2\nmul32 %r0, 3\nexit', 0xfffffffan),
  C('divmul32', 'mod32 is unsigned', 'mov32 %r0, -1\nmod32 %r0, 10\nexit', 5n),
  // ---- divmul64 ----
  C('divmul64', 'mul wraps at 64 bits', 'lddw %r0, 0x100000001\nlddw %r1, 0x100000001\nmul %r0, %r1\nexit', 0x200000001n),
  C('divmul64', 'mul of two large values', 'lddw %r0, 0x123456789abcdef0\nlddw %r1, 0xfedcba9876543210\nmul %r0, %r1\nexit', 0x236d88fe5618cf00n),
  C('divmul64', 'mul by a sign-extended immediate', 'lddw %r0, 0xffffffffffffffff\nmul %r0, 3\nexit', 0xfffffffffffffffdn),
  C('divmul64', 'div by zero gives 0', 'mov %r0, 9\nmov %r1, 0\ndiv %r0, %r1\nexit', 0n),
  C('divmul64', 'mod by zero leaves the dividend', 'lddw %r0, 0x123456789\nmov %r1, 0\nmod %r0, %r1\nexit', 0x123456789n),
  C('divmul64', 'div is unsigned', 'lddw %r0, 0xffffffffffffffff\ndiv %r0, 2\nexit', 0x7fffffffffffffffn),
  C('divmul64', 'div by imm -1 divides by 2^64-1', 'mov %r0, 10\ndiv %r0, -1\nexit', 0n),
  C('divmul64', 'div of a large value', 'lddw %r0, 0xdeadbeefcafebabe\nlddw %r1, 0x12345\ndiv %r0, %r1\nexit', 0xc3b6fa62cc6bn),
  C('divmul64', 'mod of a large value', 'lddw %r0, 0xdeadbeefcafebabe\nlddw %r1, 0x12345\nmod %r0, %r1\nexit', 0xe7n),
  C('divmul64', 'sdiv INT64_MIN by -1 wraps', 'lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit', 0x8000000000000000n),
  C('divmul64', 'smod INT64_MIN by -1 is 0', 'lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit', 0n),
  C('divmul64', 'sdiv truncates toward zero', 'mov %r0, -7\nsdiv %r0, 2\nexit', 0xfffffffffffffffdn),
  C('divmul64', 'smod takes the sign of the dividend', 'mov %r0, -7\nsmod %r0, 3\nexit', 0xffffffffffffffffn),
  // ---- atomic64 ----
  C('atomic64', 'lock add adds in memory', 'stdw [%r10-8], 5\nmov %r1, 3\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit', 8n),
  C('atomic64', 'lock add carries into the high word', 'lddw %r1, 0xffffffff\nstxdw [%r10-8], %r1\nmov %r1, 1\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit', 0x100000000n),
  C('atomic64', 'lock fetch add returns the old value', 'stdw [%r10-8], 5\nmov %r1, 3\nlock fetch add [%r10-8], %r1\nmov %r0, %r1\nexit', 5n),
  C('atomic64', 'lock or, and, xor', 'stdw [%r10-8], 0xc\nmov %r1, 3\nlock or [%r10-8], %r1\nmov %r1, 6\nlock and [%r10-8], %r1\nmov %r1, 1\nlock xor [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit', 7n),
  C('atomic64', 'lock fetch xor returns the old value', 'stdw [%r10-8], 0xf0\nmov %r1, 0xff\nlock fetch xor [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 16\nor %r0, %r1\nexit', 0x000f00f0n),
  C('atomic64', 'lock xchg swaps', 'stdw [%r10-8], 5\nlddw %r1, 0x100000009\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit', 0x10000000en),
  C('atomic64', 'lock cmpxchg writes when r0 matches and returns the old value', 'stdw [%r10-8], 5\nmov %r0, 5\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r1, [%r10-8]\nlsh %r1, 8\nor %r0, %r1\nexit', 0x905n),
  C('atomic64', 'lock cmpxchg leaves memory when r0 differs', 'stdw [%r10-8], 5\nmov %r0, 4\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r1, [%r10-8]\nlsh %r1, 8\nor %r0, %r1\nexit', 0x505n),
  // ---- atomic32 ----
  C('atomic32', 'lock add32 wraps in the low word only', 'lddw %r1, 0x11ffffffff\nstxdw [%r10-8], %r1\nmov %r1, 1\nlock add32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit', 0x1100000000n),
  C('atomic32', 'lock fetch add32 zero-extends the old value', 'stw [%r10-8], -1\nlddw %r1, 0xaaaaaaaa00000001\nlock fetch add32 [%r10-8], %r1\nmov %r0, %r1\nexit', 0xffffffffn),
  C('atomic32', 'lock cmpxchg32 compares the low word of r0', 'stw [%r10-8], 5\nlddw %r0, 0x100000005\nmov %r1, 9\nlock cmpxchg32 [%r10-8], %r1\nldxw %r1, [%r10-8]\nlsh %r1, 8\nor %r0, %r1\nexit', 0x905n),
  C('atomic32', 'lock xchg32 zero-extends', 'stw [%r10-8], -1\nmov %r1, 2\nlock xchg32 [%r10-8], %r1\nldxw %r0, [%r10-8]\nlsh %r1, 4\nor %r0, %r1\nexit', 0xffffffff2n),
  C('atomic32', 'lock fetch and32', 'stw [%r10-8], 0xff\nmov %r1, 0x0f\nlock fetch and32 [%r10-8], %r1\nldxw %r0, [%r10-8]\nlsh %r1, 8\nor %r0, %r1\nexit', 0xff0fn),
  // ---- packet (r1 = data, r2 = length) ----
  C('packet', 'ldxb', 'ldxb %r0, [%r1+2]\nexit', 0x11n, 'aa bb 11 22'),
  C('packet', 'ldxh is little-endian', 'ldxh %r0, [%r1+2]\nexit', 0x2211n, 'aa bb 11 22'),
  C('packet', 'ldxw', 'ldxw %r0, [%r1]\nexit', 0x2211bbaan, 'aa bb 11 22'),
  C('packet', 'ldxdw', 'ldxdw %r0, [%r1]\nexit', 0x8877665544332211n, '11 22 33 44 55 66 77 88'),
  C('packet', 'ldxbsx sign-extends', 'ldxbsx %r0, [%r1]\nexit', 0xffffffffffffff80n, '80'),
  C('packet', 'ldxhsx sign-extends', 'ldxhsx %r0, [%r1]\nexit', 0xffffffffffff8001n, '01 80'),
  C('packet', 'ldxwsx sign-extends', 'ldxwsx %r0, [%r1]\nexit', 0xffffffff80000001n, '01 00 00 80'),
  C('packet', 'stb/sth/stw/stdw then reads', 'stb [%r1], 0x11\nsth [%r1+1], 0x2233\nstw [%r1+3], -1\nldxdw %r0, [%r1]\nexit', 0x00ffffffff223311n, '00 00 00 00 00 00 00 00'),
  C('packet', 'stdw sign-extends its immediate', 'stdw [%r1], -2\nldxdw %r0, [%r1]\nexit', 0xfffffffffffffffen, '00 00 00 00 00 00 00 00'),
  C('packet', 'stxh stores the low 16 bits', 'lddw %r2, 0x1234567890abcdef\nstxh [%r1], %r2\nldxdw %r0, [%r1]\nexit', 0xcdefn, '00 00 00 00 00 00 00 00'),
  C('packet', 'r2 holds the packet length', 'mov %r0, %r2\nexit', 20n, '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'),
];

for (const engine of ENGINES) {
  const runAsm = onEngine(engine);
  for (const c of CASES) {
    test(`[${engine}] ${c.group}: ${c.name}`, (t) => {
      const run = runAsm(c.asm, hexBytes(c.mem ?? ''));
      t.is(run.result.fault, undefined, run.result.fault?.message);
      t.is(run.r0.toString(16), c.r0.toString(16));
    });
  }
}
