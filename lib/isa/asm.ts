import { UsageError } from '../errors.ts';
import { encodeInstructions, type Instruction } from './instruction.ts';
import { AluOp, AtomicOp, Class, JmpOp, Mode, Op, PseudoCall, PseudoLd, Size, Source } from './opcode.ts';
import { helperId } from './helper-ids.ts';

/**
 * A small instruction DSL for tests, after cilium/ebpf's `asm` package:
 *
 *   assemble([
 *     asm.ldxw(R2, R1, 4),
 *     asm.jgtReg(R3, R2, 'out'),
 *     asm.mov64Imm(R0, 2),
 *     asm.label('out'),
 *     asm.exit(),
 *   ]) → Instruction[] (slot-indexed; lddw takes two slots)
 *
 * Jump and call targets stay symbolic (a label name) until `assemble()`, or are given as a
 * relative slot offset (a number). Names: `<op><64|32><Imm|Reg>` for arithmetic,
 * `<jop>[32]<Imm|Reg>` for conditional jumps, `ldx<b|h|w|dw>` / `ldxs<b|h|w>` (sign-extending),
 * `stx<size>` / `st<size>`, `atomic64(op, …)` / `atomic32(op, …)`.
 */

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

/** Jump target: a label name, or a relative offset in slots (`+N` means pc + 1 + N). */
export type Target = string | number;

export type AsmItem =
  | { kind: 'insn'; insn: Instruction; ref?: { label: string; field: 'off' | 'imm' } }
  | { kind: 'label'; name: string };

function insn(code: number, fields: Partial<Omit<Instruction, 'code'>> = {}): Instruction {
  return { code, dst: fields.dst ?? 0, src: fields.src ?? 0, off: fields.off ?? 0, imm: fields.imm ?? 0, imm64: fields.imm64 ?? 0n };
}

function item(i: Instruction, target?: Target, field: 'off' | 'imm' = 'off'): AsmItem {
  if (target === undefined) return { kind: 'insn', insn: i };
  if (typeof target === 'number') {
    i[field] = target;
    return { kind: 'insn', insn: i };
  }
  return { kind: 'insn', insn: i, ref: { label: target, field } };
}

/** Two's-complement wrap of any JS integer to int32 (accepts 0xffffffff as -1). */
export function toImm32(value: number): number {
  if (!Number.isInteger(value)) throw new UsageError(`immediate ${value} is not an integer`);
  return value | 0;
}

const ALU_OPS = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, or: AluOp.OR, and: AluOp.AND,
  lsh: AluOp.LSH, rsh: AluOp.RSH, mod: AluOp.MOD, xor: AluOp.XOR, mov: AluOp.MOV, arsh: AluOp.ARSH,
  sdiv: AluOp.DIV, smod: AluOp.MOD,
} as const;
type AluName = keyof typeof ALU_OPS;

export const JMP_OPS = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
} as const;
type JmpName = keyof typeof JMP_OPS;

const SIZES = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW } as const;
type SizeName = keyof typeof SIZES;

export type AtomicName = 'add' | 'or' | 'and' | 'xor' | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_xor' | 'xchg' | 'cmpxchg';
export const ATOMIC_IMM: Readonly<Record<AtomicName, number>> = {
  add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR,
  fetch_add: AtomicOp.ADD | AtomicOp.FETCH, fetch_or: AtomicOp.OR | AtomicOp.FETCH,
  fetch_and: AtomicOp.AND | AtomicOp.FETCH, fetch_xor: AtomicOp.XOR | AtomicOp.FETCH,
  xchg: AtomicOp.XCHG, cmpxchg: AtomicOp.CMPXCHG,
};

type AluFns = { [K in `${AluName}${'64' | '32'}${'Imm' | 'Reg'}`]: (dst: number, srcOrImm: number) => AsmItem };
type JmpFns = { [K in `${JmpName}${'' | '32'}${'Imm' | 'Reg'}`]: (dst: number, srcOrImm: number, target: Target) => AsmItem };
type LdxFns = { [K in `ldx${SizeName}` | `ldxs${Exclude<SizeName, 'dw'>}`]: (dst: number, src: number, off: number) => AsmItem };
type StxFns = { [K in `stx${SizeName}`]: (dst: number, off: number, src: number) => AsmItem };
type StFns = { [K in `st${SizeName}`]: (dst: number, off: number, imm: number) => AsmItem };

function buildAlu(): AluFns {
  const out: Record<string, (dst: number, x: number) => AsmItem> = {};
  for (const [name, op] of Object.entries(ALU_OPS)) {
    const off = name === 'sdiv' || name === 'smod' ? 1 : 0;
    for (const [width, cls] of [['64', Class.ALU64], ['32', Class.ALU]] as const) {
      out[`${name}${width}Imm`] = (dst, imm) => item(insn(cls | op | Source.K, { dst, off, imm: toImm32(imm) }));
      out[`${name}${width}Reg`] = (dst, src) => item(insn(cls | op | Source.X, { dst, src, off }));
    }
  }
  return out as AluFns;
}

function buildJmp(): JmpFns {
  const out: Record<string, (dst: number, x: number, t: Target) => AsmItem> = {};
  for (const [name, op] of Object.entries(JMP_OPS)) {
    for (const [width, cls] of [['', Class.JMP], ['32', Class.JMP32]] as const) {
      out[`${name}${width}Imm`] = (dst, imm, t) => item(insn(cls | op | Source.K, { dst, imm: toImm32(imm) }), t);
      out[`${name}${width}Reg`] = (dst, src, t) => item(insn(cls | op | Source.X, { dst, src }), t);
    }
  }
  return out as JmpFns;
}

function buildMem(): LdxFns & StxFns & StFns {
  const out: Record<string, (a: number, b: number, c: number) => AsmItem> = {};
  for (const [name, size] of Object.entries(SIZES)) {
    out[`ldx${name}`] = (dst, src, off) => item(insn(Class.LDX | Mode.MEM | size, { dst, src, off }));
    if (name !== 'dw') out[`ldxs${name}`] = (dst, src, off) => item(insn(Class.LDX | Mode.MEMSX | size, { dst, src, off }));
    out[`stx${name}`] = (dst, off, src) => item(insn(Class.STX | Mode.MEM | size, { dst, src, off }));
    out[`st${name}`] = (dst, off, imm) => item(insn(Class.ST | Mode.MEM | size, { dst, off, imm: toImm32(imm) }));
  }
  return out as LdxFns & StxFns & StFns;
}

function lddwItem(dst: number, src: number, imm64: bigint): AsmItem {
  const v = BigInt.asUintN(64, imm64);
  return item(insn(Op.LDDW, { dst, src, imm: Number(BigInt.asIntN(32, v)), imm64: v }));
}

function atomic(is64: boolean, op: AtomicName, dst: number, off: number, src: number): AsmItem {
  return item(insn(Class.STX | Mode.ATOMIC | (is64 ? Size.DW : Size.W), { dst, src, off, imm: ATOMIC_IMM[op] }));
}

export const asm = {
  ...buildAlu(),
  ...buildJmp(),
  ...buildMem(),
  label: (name: string): AsmItem => ({ kind: 'label', name }),
  neg64: (dst: number): AsmItem => item(insn(Class.ALU64 | AluOp.NEG, { dst })),
  neg32: (dst: number): AsmItem => item(insn(Class.ALU | AluOp.NEG, { dst })),
  /** `dst = (s<bits>)src`, 64-bit result. */
  movsx64: (dst: number, src: number, bits: 8 | 16 | 32): AsmItem => item(insn(Class.ALU64 | AluOp.MOV | Source.X, { dst, src, off: bits })),
  /** `wdst = (s<bits>)wsrc`, 32-bit result zero-extended. */
  movsx32: (dst: number, src: number, bits: 8 | 16): AsmItem => item(insn(Class.ALU | AluOp.MOV | Source.X, { dst, src, off: bits })),
  le: (dst: number, bits: 16 | 32 | 64): AsmItem => item(insn(Class.ALU | AluOp.END | Source.K, { dst, imm: bits })),
  be: (dst: number, bits: 16 | 32 | 64): AsmItem => item(insn(Class.ALU | AluOp.END | Source.X, { dst, imm: bits })),
  bswap: (dst: number, bits: 16 | 32 | 64): AsmItem => item(insn(Class.ALU64 | AluOp.END, { dst, imm: bits })),
  lddw: (dst: number, value: bigint | number): AsmItem => lddwItem(dst, 0, BigInt(value)),
  /** lddw of a map reference as the loader leaves it: src = MAP_FD, imm = map index. */
  ldMapFd: (dst: number, mapIndex: number): AsmItem => lddwItem(dst, PseudoLd.MAP_FD, BigInt(mapIndex)),
  /** lddw of a map value address: src = MAP_VALUE, imm = map index, high half = byte offset. */
  ldMapValue: (dst: number, mapIndex: number, byteOffset: number): AsmItem =>
    lddwItem(dst, PseudoLd.MAP_VALUE, (BigInt(byteOffset >>> 0) << 32n) | BigInt(mapIndex >>> 0)),
  /** lddw of a function address (callbacks): src = FUNC, imm = target - (pc + 1). */
  ldFunc: (dst: number, target: Target): AsmItem => item(insn(Op.LDDW, { dst, src: PseudoLd.FUNC }), target, 'imm'),
  ldabs: (size: Exclude<SizeName, 'dw'>, imm: number): AsmItem => item(insn(Class.LD | Mode.ABS | SIZES[size], { imm: toImm32(imm) })),
  ldind: (size: Exclude<SizeName, 'dw'>, src: number, imm: number): AsmItem =>
    item(insn(Class.LD | Mode.IND | SIZES[size], { src, imm: toImm32(imm) })),
  atomic64: (op: AtomicName, dst: number, off: number, src: number): AsmItem => atomic(true, op, dst, off, src),
  atomic32: (op: AtomicName, dst: number, off: number, src: number): AsmItem => atomic(false, op, dst, off, src),
  ja: (target: Target): AsmItem => item(insn(Op.JA), target),
  /** JMP32 JA: 32-bit relative target in imm (v4). */
  gotol: (target: Target): AsmItem => item(insn(Op.GOTOL), target, 'imm'),
  /** Helper call by id or name (`'bpf_map_lookup_elem'` or `'map_lookup_elem'`). */
  call: (helper: number | string): AsmItem => {
    const id = typeof helper === 'number' ? helper : helperId(helper);
    if (id === undefined) throw new UsageError(`asm: unknown helper "${String(helper)}"`);
    return item(insn(Op.CALL, { imm: id }));
  },
  /** bpf-to-bpf call: src = 1, imm = target - (pc + 1). */
  callLocal: (target: Target): AsmItem => item(insn(Op.CALL, { src: PseudoCall.CALL }), target, 'imm'),
  callx: (reg: number): AsmItem => item(insn(Op.CALL | Source.X, { dst: reg })),
  exit: (): AsmItem => item(insn(Op.EXIT)),
  /** Any raw instruction (negative tests: reserved fields, unknown opcodes). */
  raw: (code: number, fields: Partial<Omit<Instruction, 'code'>> = {}): AsmItem => item(insn(code, fields)),
};

/** Resolve labels and lay out slots: an lddw becomes two slots (second: opcode 0, imm = high half). */
export function assemble(items: readonly AsmItem[]): Instruction[] {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const it of items) {
    if (it.kind === 'label') {
      if (labels.has(it.name)) throw new UsageError(`asm: duplicate label "${it.name}"`);
      labels.set(it.name, pc);
    } else {
      pc += it.insn.code === Op.LDDW ? 2 : 1;
    }
  }
  const out: Instruction[] = [];
  for (const it of items) {
    if (it.kind === 'label') continue;
    const i = { ...it.insn };
    if (it.ref !== undefined) {
      const target = labels.get(it.ref.label);
      if (target === undefined) throw new UsageError(`asm: insn ${out.length}: unknown label "${it.ref.label}"`);
      const delta = target - (out.length + 1);
      if (it.ref.field === 'off' && (delta < -32768 || delta > 32767)) {
        throw new UsageError(`asm: insn ${out.length}: jump to "${it.ref.label}" (${delta}) does not fit in 16 bits; use gotol`);
      }
      i[it.ref.field] = delta;
    }
    if (i.code === Op.LDDW) {
      if (i.src === PseudoLd.FUNC) i.imm64 = BigInt(i.imm >>> 0);
      out.push(i, insn(0, { imm: Number(BigInt.asIntN(32, i.imm64 >> 32n)) }));
    } else {
      out.push(i);
    }
  }
  return out;
}

/** assemble() then encode to little-endian bytes. */
export function assembleBytes(items: readonly AsmItem[]): Uint8Array {
  return encodeInstructions(assemble(items));
}
