/**
 * eBPF opcode bit layouts and constants (RFC 9669 §3–§5; linux include/uapi/linux/bpf_common.h, bpf.h).
 *
 * Arithmetic and jump instructions:    Load and store instructions:
 *   +-------+---+-----+                   +-----+----+-----+
 *   |  op   | S |class|                   |mode |size|class|
 *   +-------+---+-----+                   +-----+----+-----+
 *    7    4   3  2   0                     7   5 4  3 2   0
 */

/** Instruction class, `code & 0x07`. */
export const Class = {
  LD: 0x00, // non-standard loads: lddw (imm64), legacy packet access (abs/ind)
  LDX: 0x01, // load into register
  ST: 0x02, // store immediate
  STX: 0x03, // store register, atomics
  ALU: 0x04, // 32-bit arithmetic
  JMP: 0x05, // 64-bit jumps, call, exit
  JMP32: 0x06, // 32-bit jumps
  ALU64: 0x07, // 64-bit arithmetic
} as const;
export const CLASS_MASK = 0x07;

/** Source operand, `code & 0x08` (ALU/JMP classes). For END: 0 = to little-endian, 8 = to big-endian. */
export const Source = { K: 0x00, X: 0x08 } as const;
export const SOURCE_MASK = 0x08;

/** Arithmetic operation, `code & 0xf0` (ALU, ALU64). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30, // offset 1 = SDIV
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90, // offset 1 = SMOD
  XOR: 0xa0,
  MOV: 0xb0, // offset 8/16/32 = MOVSX
  ARSH: 0xc0,
  END: 0xd0, // byte swap; ALU64 class = unconditional BSWAP (v4)
} as const;
export const OP_MASK = 0xf0;

/** Jump operation, `code & 0xf0` (JMP, JMP32). */
export const JmpOp = {
  JA: 0x00, // JMP32 class: gotol, target in imm
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/** Access size, `code & 0x18` (load/store classes). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const SIZE_MASK = 0x18;
export const SIZE_BYTES: Readonly<Record<number, 1 | 2 | 4 | 8>> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/** Addressing mode, `code & 0xe0` (load/store classes). */
export const Mode = {
  IMM: 0x00, // lddw
  ABS: 0x20, // legacy packet load, absolute
  IND: 0x40, // legacy packet load, indirect
  MEM: 0x60,
  MEMSX: 0x80, // sign-extending load (v4)
  ATOMIC: 0xc0,
} as const;
export const MODE_MASK = 0xe0;

/** Atomic operation in `imm` of STX|ATOMIC (RFC 9669 §5.3). */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
  LOAD_ACQ: 0x100, // not supported yet
  STORE_REL: 0x110, // not supported yet
} as const;

/** `src` of an lddw (RFC 9669 §5.4; BPF_PSEUDO_* in bpf.h). */
export const PseudoLd = {
  IMM64: 0,
  MAP_FD: 1, // imm = map index after loading
  MAP_VALUE: 2, // imm = map index, next slot imm = offset into value
  BTF_ID: 3,
  FUNC: 4, // imm = relative insn of a subprogram (callbacks)
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** `src` of a call. */
export const PseudoCall = {
  HELPER: 0, // imm = helper id
  CALL: 1, // bpf-to-bpf; imm = relative target - 1
  KFUNC: 2, // imm = BTF id of a kernel function
} as const;

/** Frequently used full opcodes. */
export const Op = {
  LDDW: Class.LD | Size.DW | Mode.IMM, // 0x18
  CALL: Class.JMP | JmpOp.CALL, // 0x85
  EXIT: Class.JMP | JmpOp.EXIT, // 0x95
  JA: Class.JMP | JmpOp.JA, // 0x05
  GOTOL: Class.JMP32 | JmpOp.JA, // 0x06
} as const;

export function opClass(code: number): number {
  return code & CLASS_MASK;
}

export function isAluClass(code: number): boolean {
  const c = code & CLASS_MASK;
  return c === Class.ALU || c === Class.ALU64;
}

export function isJmpClass(code: number): boolean {
  const c = code & CLASS_MASK;
  return c === Class.JMP || c === Class.JMP32;
}
