import type { Instruction } from './instruction.ts';
import { AluOp, AtomicOp, Class, JmpOp, Mode, Op, PseudoCall, PseudoLd, Size, SIZE_MASK, Source } from './opcode.ts';
import { helperName } from './helper-ids.ts';

/**
 * One instruction as text, in the syntax LLVM and the kernel share ("pseudo-C").
 *
 * `style: 'llvm'` (default) prints what `llvm-objdump -d` prints for `-target bpf`:
 *   `r2 = *(u32 *)(r1 + 4)`, `if r3 > r2 goto +41`, `r1 = 1234605616436508552 ll`, `call 1`.
 * `style: 'kernel'` prints what the kernel's verifier log and `bpftool prog dump xlated` print:
 *   `r2 = *(u32 *)(r1 +4)`, `if r3 > 0x29 goto pc+41`, `r1 = 0x1122334455667788`,
 *   `call bpf_map_lookup_elem#1`, `call pc+3`.
 * v4 instructions that LLVM 14 cannot print use the spelling of newer LLVM / the kernel:
 * `r1 = (s8)r2`, `r1 s/= r2`, `r0 = bswap16 r0`, `r1 = *(s8 *)(r2 + 3)`, `gotol +5`.
 */

export type DisasmStyle = 'llvm' | 'kernel';

export interface FormatOptions {
  /** Default 'llvm'. */
  style?: DisasmStyle;
  /** Name helper calls (`call bpf_map_lookup_elem#1`). Default: false for llvm, true for kernel. */
  helperNames?: boolean;
  /**
   * Names the map an lddw refers to (`src` = PseudoLd.MAP_FD or MAP_VALUE, `imm` = map index, as
   * the loader leaves them). Returning undefined falls back to the number.
   */
  mapName?: (mapIndex: number) => string | undefined;
  /** Names the function starting at slot `pc` (bpf-to-bpf call and callback targets). */
  funcName?: (pc: number) => string | undefined;
}

const ALU_SYMBOL: Readonly<Record<number, string>> = {
  [AluOp.ADD]: '+=',
  [AluOp.SUB]: '-=',
  [AluOp.MUL]: '*=',
  [AluOp.DIV]: '/=',
  [AluOp.OR]: '|=',
  [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=',
  [AluOp.RSH]: '>>=',
  [AluOp.MOD]: '%=',
  [AluOp.XOR]: '^=',
  [AluOp.MOV]: '=',
  [AluOp.ARSH]: 's>>=',
};

const JMP_SYMBOL: Readonly<Record<number, string>> = {
  [JmpOp.JEQ]: '==',
  [JmpOp.JGT]: '>',
  [JmpOp.JGE]: '>=',
  [JmpOp.JSET]: '&',
  [JmpOp.JNE]: '!=',
  [JmpOp.JSGT]: 's>',
  [JmpOp.JSGE]: 's>=',
  [JmpOp.JLT]: '<',
  [JmpOp.JLE]: '<=',
  [JmpOp.JSLT]: 's<',
  [JmpOp.JSLE]: 's<=',
};

const SIZE_NAME: Readonly<Record<number, string>> = { [Size.B]: 'u8', [Size.H]: 'u16', [Size.W]: 'u32', [Size.DW]: 'u64' };
const SIZE_BITS: Readonly<Record<number, number>> = { [Size.B]: 8, [Size.H]: 16, [Size.W]: 32, [Size.DW]: 64 };

/** Atomic read-modify-write operations without FETCH, as `lock *(u64 *)(r1 + 0) += r2`. */
const ATOMIC_SYMBOL: Readonly<Record<number, string>> = {
  [AtomicOp.ADD]: '+=',
  [AtomicOp.OR]: '|=',
  [AtomicOp.AND]: '&=',
  [AtomicOp.XOR]: '^=',
};
const ATOMIC_FETCH_NAME: Readonly<Record<number, string>> = {
  [AtomicOp.ADD]: 'add',
  [AtomicOp.OR]: 'or',
  [AtomicOp.AND]: 'and',
  [AtomicOp.XOR]: 'xor',
};

class Formatter {
  readonly kernel: boolean;
  readonly helperNames: boolean;

  constructor(readonly opts: FormatOptions) {
    this.kernel = opts.style === 'kernel';
    this.helperNames = opts.helperNames ?? this.kernel;
  }

  /** `(r1 + 4)` (llvm) or `(r1 +4)` (kernel). */
  mem(reg: number, off: number): string {
    if (this.kernel) return `(r${reg} ${off < 0 ? '-' : '+'}${Math.abs(off)})`;
    return `(r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;
  }

  /** Relative jump target: `+41` (llvm) or `pc+41` (kernel). */
  rel(delta: number): string {
    const s = delta < 0 ? `${delta}` : `+${delta}`;
    return this.kernel ? `pc${s}` : s;
  }

  /** Immediate of a conditional jump: decimal (llvm) or unsigned hex (kernel). */
  jmpImm(imm: number): string {
    return this.kernel ? `0x${(imm >>> 0).toString(16)}` : `${imm}`;
  }

  alu(insn: Instruction): string {
    const cls = insn.code & 0x07;
    const op = insn.code & 0xf0;
    const is64 = cls === Class.ALU64;
    const reg = is64 ? 'r' : 'w';
    const dst = `${reg}${insn.dst}`;
    const srcIsReg = (insn.code & Source.X) !== 0;
    if (op === AluOp.NEG) return `${dst} = -${dst}`;
    if (op === AluOp.END) {
      if (is64) return `r${insn.dst} = bswap${insn.imm} r${insn.dst}`;
      return `r${insn.dst} = ${srcIsReg ? 'be' : 'le'}${insn.imm} r${insn.dst}`;
    }
    const sym = ALU_SYMBOL[op];
    if (sym === undefined) return unknown(insn);
    const operand = srcIsReg ? `${reg}${insn.src}` : `${insn.imm}`;
    if (op === AluOp.MOV && insn.off !== 0) {
      if (!srcIsReg || ![8, 16, 32].includes(insn.off) || (!is64 && insn.off === 32)) return unknown(insn);
      return `${dst} = (s${insn.off})${operand}`;
    }
    if ((op === AluOp.DIV || op === AluOp.MOD) && insn.off === 1) return `${dst} s${sym} ${operand}`;
    return `${dst} ${sym} ${operand}`;
  }

  jmp(pc: number, insn: Instruction): string {
    const cls = insn.code & 0x07;
    const op = insn.code & 0xf0;
    if (insn.code === Op.EXIT) return 'exit';
    if (insn.code === Op.CALL) return this.call(pc, insn);
    if (insn.code === (Class.JMP | JmpOp.CALL | Source.X)) return `callx r${insn.dst}`;
    if (insn.code === Op.JA) return `goto ${this.rel(insn.off)}`;
    if (insn.code === Op.GOTOL) return `gotol ${this.rel(insn.imm)}`;
    const sym = JMP_SYMBOL[op];
    if (sym === undefined) return unknown(insn);
    const reg = cls === Class.JMP32 ? 'w' : 'r';
    const rhs = (insn.code & Source.X) !== 0 ? `${reg}${insn.src}` : this.jmpImm(insn.imm);
    return `if ${reg}${insn.dst} ${sym} ${rhs} goto ${this.rel(insn.off)}`;
  }

  call(pc: number, insn: Instruction): string {
    if (insn.src === PseudoCall.CALL) {
      const target = pc + 1 + insn.imm;
      const name = this.opts.funcName?.(target);
      if (name !== undefined) return `call ${name}`;
      return this.kernel ? `call ${this.rel(insn.imm)}` : `call ${insn.imm}`;
    }
    if (insn.src === PseudoCall.KFUNC) return `call kernel-function#${insn.imm}`;
    const name = this.helperNames ? helperName(insn.imm) : undefined;
    if (name !== undefined) return `call ${name}#${insn.imm}`;
    return this.kernel ? `call #${insn.imm}` : `call ${insn.imm}`;
  }

  lddw(pc: number, insn: Instruction): string {
    const dst = `r${insn.dst}`;
    switch (insn.src) {
      case PseudoLd.IMM64:
        return this.kernel ? `${dst} = 0x${insn.imm64.toString(16)}` : `${dst} = ${BigInt.asIntN(64, insn.imm64)} ll`;
      case PseudoLd.MAP_FD:
      case PseudoLd.MAP_VALUE: {
        const name = this.opts.mapName?.(insn.imm);
        if (name === undefined && !this.kernel) break;
        const map = `map[${name ?? `#${insn.imm}`}]`;
        if (insn.src === PseudoLd.MAP_FD) return `${dst} = ${map}`;
        const off = Number(insn.imm64 >> 32n) | 0;
        return off === 0 ? `${dst} = ${map}` : `${dst} = ${map} + ${off}`;
      }
      case PseudoLd.FUNC: {
        const name = this.opts.funcName?.(pc + 1 + insn.imm);
        if (name !== undefined) return `${dst} = ${name}`;
        if (this.kernel) return `${dst} = ${this.rel(insn.imm)}`;
        break;
      }
      default:
        break;
    }
    // What llvm-objdump prints for any pseudo source it does not interpret.
    return `ld_pseudo ${dst}, ${insn.src}, ${insn.imm}`;
  }

  load(insn: Instruction): string {
    const size = insn.code & SIZE_MASK;
    const mode = insn.code & 0xe0;
    const type = SIZE_NAME[size]!;
    switch (mode) {
      case Mode.MEM:
        return `r${insn.dst} = *(${type} *)${this.mem(insn.src, insn.off)}`;
      case Mode.MEMSX:
        if (size === Size.DW) return unknown(insn);
        return `r${insn.dst} = *(s${SIZE_BITS[size]!} *)${this.mem(insn.src, insn.off)}`;
      default:
        return unknown(insn);
    }
  }

  legacyPacketLoad(insn: Instruction): string {
    const size = insn.code & SIZE_MASK;
    const mode = insn.code & 0xe0;
    if (size === Size.DW) return unknown(insn);
    const type = SIZE_NAME[size]!;
    if (mode === Mode.ABS) return `r0 = *(${type} *)skb[${insn.imm}]`;
    if (mode === Mode.IND) {
      if (this.kernel) return `r0 = *(${type} *)skb[r${insn.src} + ${insn.imm}]`;
      return insn.imm === 0 ? `r0 = *(${type} *)skb[r${insn.src}]` : `r0 = *(${type} *)skb[r${insn.src} + ${insn.imm}]`;
    }
    return unknown(insn);
  }

  store(insn: Instruction): string {
    const size = insn.code & SIZE_MASK;
    const mode = insn.code & 0xe0;
    const type = SIZE_NAME[size]!;
    const cls = insn.code & 0x07;
    if (mode === Mode.MEM) {
      const value = cls === Class.STX ? `r${insn.src}` : `${insn.imm}`;
      return `*(${type} *)${this.mem(insn.dst, insn.off)} = ${value}`;
    }
    if (mode === Mode.ATOMIC && cls === Class.STX && (size === Size.W || size === Size.DW)) return this.atomic(insn, size === Size.DW);
    return unknown(insn);
  }

  /**
   * Register names follow each tool: the kernel always says `r`; llvm-objdump says `r` for a
   * 32-bit `lock +=` (its default decoder table) and `w` for every other 32-bit atomic.
   */
  atomic(insn: Instruction, is64: boolean): string {
    const reg = is64 || this.kernel ? 'r' : 'w';
    const type = is64 ? 'u64' : 'u32';
    const src = `${reg}${insn.src}`;
    const where = this.mem(insn.dst, insn.off);
    const sym = ATOMIC_SYMBOL[insn.imm];
    // llvm-objdump decodes 32-bit `lock … +=` with its default table (`r`), the others only with alu32 (`w`).
    if (sym !== undefined) return `lock *(${type} *)${where} ${sym} ${insn.imm === AtomicOp.ADD ? 'r' : reg}${insn.src}`;
    const fetchName = ATOMIC_FETCH_NAME[insn.imm & ~AtomicOp.FETCH];
    if ((insn.imm & AtomicOp.FETCH) !== 0 && fetchName !== undefined) {
      const fn = this.kernel && is64 ? `atomic64_fetch_${fetchName}` : `atomic_fetch_${fetchName}`;
      return `${src} = ${fn}((${type} *)${where}, ${src})`;
    }
    // llvm: `r2 = xchg_64(r1 + 0, r2)`; kernel: `r2 = atomic64_xchg((u64 *)(r1 +0), r2)`.
    const addr = where.slice(1, -1);
    if (insn.imm === AtomicOp.XCHG) {
      if (this.kernel) return `${src} = atomic${is64 ? '64' : ''}_xchg((${type} *)${where}, ${src})`;
      return `${src} = ${is64 ? 'xchg_64' : 'xchg32_32'}(${addr}, ${src})`;
    }
    if (insn.imm === AtomicOp.CMPXCHG) {
      const r0 = `${reg}0`;
      if (this.kernel) return `${r0} = atomic${is64 ? '64' : ''}_cmpxchg((${type} *)${where}, ${r0}, ${src})`;
      return `${r0} = ${is64 ? 'cmpxchg_64' : 'cmpxchg32_32'}(${addr}, ${r0}, ${src})`;
    }
    return unknown(insn);
  }

  format(insns: readonly Instruction[], pc: number): string {
    const insn = insns[pc];
    if (insn === undefined) throw new RangeError(`no instruction at pc ${pc} (program has ${insns.length} slots)`);
    switch (insn.code & 0x07) {
      case Class.ALU:
      case Class.ALU64:
        return this.alu(insn);
      case Class.JMP:
      case Class.JMP32:
        return this.jmp(pc, insn);
      case Class.LDX:
        return this.load(insn);
      case Class.ST:
      case Class.STX:
        return this.store(insn);
      case Class.LD:
        if (insn.code === Op.LDDW) return this.lddw(pc, insn);
        return this.legacyPacketLoad(insn);
      default:
        return unknown(insn);
    }
  }
}

function unknown(insn: Instruction): string {
  return `<unknown opcode 0x${insn.code.toString(16).padStart(2, '0')}>`;
}

/**
 * Text of the instruction in slot `pc` of `insns` (slot-indexed; an lddw's second slot is not
 * meant to be formatted on its own). Never throws for a bad opcode: prints `<unknown opcode 0x..>`.
 */
export function formatInstruction(insns: readonly Instruction[], pc: number, opts: FormatOptions = {}): string {
  return new Formatter(opts).format(insns, pc);
}

/** A reusable formatter bound to options (avoids re-reading options per instruction). */
export function instructionFormatter(opts: FormatOptions = {}): (insns: readonly Instruction[], pc: number) => string {
  const f = new Formatter(opts);
  return (insns, pc) => f.format(insns, pc);
}
