import { asm, assemble, R0, R10, R1, R2, R3, R4, R5, R6, R7, R8, R9, type AsmItem, type AtomicName } from '../../lib/isa/asm.ts';
import type { Instruction } from '../../lib/isa/instruction.ts';

/**
 * Seeded generator of valid, terminating XDP programs for kernel differential fuzzing.
 *
 * Shape: r6 = ctx; r7 = data; if data + 192 > data_end → return 2. Stack slots 1..8 zeroed,
 * scalar registers r0-r5, r8, r9 loaded from the packet or constants. Then a straight-line
 * body of random ALU64/ALU32 (incl. v4 sdiv/smod/movsx/bswap), packet loads/stores (bytes
 * 0..63, all sizes, sign-extending loads), stack stores/loads, atomics on the stack, and
 * forward conditional jumps (JMP and JMP32) — forward only, so every program terminates.
 * Epilogue: registers stored to packet bytes 64..127, stack slots to 128..191, exit with r0.
 * Everything observable ends up in the output frame or the return value.
 */
export const FRAME_BYTES = 192;
const SCALARS = [R0, R1, R2, R3, R4, R5, R8, R9];

export class Rng {
  constructor(private s: number) { if (this.s === 0) this.s = 1; }
  next(): number { let x = this.s; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; this.s = x >>> 0; return this.s; }
  int(n: number): number { return this.next() % n; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  imm(): number {
    const r = this.int(6);
    if (r === 0) return this.pick([0, 1, -1, 0x7fffffff, -0x80000000, 31, 32, 63, 64]);
    if (r === 1) return this.int(16);
    return this.next() | 0;
  }
}

const ALU = ['add', 'sub', 'mul', 'div', 'mod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'mov', 'sdiv', 'smod'] as const;
const JMP = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'] as const;
const ATOMIC64: AtomicName[] = ['add', 'or', 'and', 'xor', 'fetch_add', 'fetch_or', 'fetch_and', 'fetch_xor', 'xchg', 'cmpxchg'];
/**
 * No 32-bit cmpxchg: when it succeeds on a stack slot holding a spilled register, the 6.18
 * verifier omits the zero-extension of r0 it normally inserts, and the x86-64 JIT's
 * `lock cmpxchg` leaves r0's upper half unchanged (seed 1822 found it). We zero-extend as
 * RFC 9669 says and as the kernel does otherwise; a known divergence (see the VM notes).
 */
const ATOMIC32: AtomicName[] = ATOMIC64.filter((op) => op !== 'cmpxchg');

type Asm = typeof asm;
type AluKey = keyof Asm & `${(typeof ALU)[number]}${'64' | '32'}${'Imm' | 'Reg'}`;
type JmpKey = keyof Asm & `${(typeof JMP)[number]}${'' | '32'}${'Imm' | 'Reg'}`;

export function randomProgram(seed: number, bodyLength = 40): Instruction[] {
  const rng = new Rng(seed);
  const items: AsmItem[] = [
    asm.mov64Reg(R6, R1),
    asm.ldxw(R7, R6, 0),
    asm.ldxw(R3, R6, 4),
    asm.mov64Reg(R2, R7),
    asm.add64Imm(R2, FRAME_BYTES),
    asm.jgtReg(R2, R3, 'short'),
  ];
  for (let k = 1; k <= 8; k++) items.push(asm.stdw(R10, -8 * k, 0));
  for (const r of SCALARS) {
    if (rng.int(3) === 0) items.push(asm.lddw(r, (BigInt(rng.next()) << 32n) | BigInt(rng.next())));
    else items.push(asm.ldxdw(r, R7, 8 * rng.int(8)));
  }
  const pending: { label: string; at: number }[] = [];
  let labels = 0;
  for (let i = 0; i < bodyLength; i++) {
    for (const p of pending.filter((q) => q.at === i)) items.push(asm.label(p.label));
    const d = rng.pick(SCALARS), s = rng.pick(SCALARS);
    const kind = rng.int(20);
    if (kind < 9) {
      const op = rng.pick(ALU);
      const wide = rng.int(2) === 0;
      const reg = rng.int(2) === 0;
      const key = `${op}${wide ? '64' : '32'}${reg ? 'Reg' : 'Imm'}` as AluKey;
      let imm = rng.imm();
      if (!reg && (op === 'lsh' || op === 'rsh' || op === 'arsh')) imm = rng.int(wide ? 64 : 32);
      if (!reg && (op === 'div' || op === 'mod' || op === 'sdiv' || op === 'smod') && imm === 0) imm = 7;
      items.push((asm[key] as (a: number, b: number) => AsmItem)(d, reg ? s : imm));
    } else if (kind === 9) {
      const r = rng.int(5);
      if (r === 0) items.push(rng.int(2) === 0 ? asm.neg64(d) : asm.neg32(d));
      else if (r === 1) items.push(rng.int(2) === 0 ? asm.be(d, rng.pick([16, 32, 64] as const)) : asm.le(d, rng.pick([16, 32, 64] as const)));
      else if (r === 2) items.push(asm.bswap(d, rng.pick([16, 32, 64] as const)));
      else if (r === 3) items.push(asm.movsx64(d, s, rng.pick([8, 16, 32] as const)));
      else items.push(asm.movsx32(d, s, rng.pick([8, 16] as const)));
    } else if (kind < 13) {
      const size = rng.pick(['b', 'h', 'w', 'dw'] as const);
      const bytes = { b: 1, h: 2, w: 4, dw: 8 }[size];
      const off = rng.int(64 / bytes) * bytes;
      const r = rng.int(4);
      if (r === 0) items.push(asm[`ldx${size}`](d, R7, off));
      else if (r === 1 && size !== 'dw') items.push(asm[`ldxs${size}`](d, R7, off));
      else if (r === 2) items.push(asm[`stx${size}`](R7, off, s));
      else items.push(asm[`st${size}`](R7, off, rng.imm()));
    } else if (kind < 15) {
      const slot = -8 * (1 + rng.int(8));
      const r = rng.int(3);
      if (r === 0) items.push(asm.stxdw(R10, slot, s));
      else if (r === 1) items.push(asm.ldxdw(d, R10, slot));
      else items.push(asm.stxw(R10, slot + 4 * rng.int(2), s));
    } else if (kind < 17) {
      const slot = -8 * (1 + rng.int(8));
      if (rng.int(2) === 0) items.push(asm.atomic64(rng.pick(ATOMIC64), R10, slot, s === R0 ? R1 : s));
      else items.push(asm.atomic32(rng.pick(ATOMIC32), R10, slot + 4 * rng.int(2), s === R0 ? R1 : s));
    } else {
      const label = `L${labels++}`;
      pending.push({ label, at: Math.min(bodyLength, i + 1 + rng.int(8)) });
      const key = `${rng.pick(JMP)}${rng.int(2) === 0 ? '' : '32'}${rng.int(2) === 0 ? 'Reg' : 'Imm'}` as JmpKey;
      items.push((asm[key] as (a: number, b: number, t: string) => AsmItem)(d, key.endsWith('Reg') ? s : rng.imm(), label));
    }
  }
  for (const p of pending.filter((q) => q.at >= bodyLength)) items.push(asm.label(p.label));
  SCALARS.forEach((r, k) => items.push(asm.stxdw(R7, 64 + 8 * k, r)));
  for (let k = 1; k <= 8; k++) items.push(asm.ldxdw(R1, R10, -8 * k), asm.stxdw(R7, 128 + 8 * (k - 1), R1));
  items.push(asm.exit(), asm.label('short'), asm.mov64Imm(R0, 2), asm.exit());
  return assemble(items);
}
