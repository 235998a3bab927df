import { ObjectError } from '../errors.ts';
import type { Instruction } from '../isa/instruction.ts';
import { AluOp, AtomicOp, Class, JmpOp, Mode, Op, PseudoCall, PseudoLd, Size, Source } from '../isa/opcode.ts';
import type { ProgramSpec, SourceLine } from '../object/types.ts';
import { SLEEPABLE_ONLY_HELPERS, XDP_ALLOWED_HELPERS } from './helpers/xdp-allowed.ts';

/**
 * Validate a linked program once, at load, into an immutable image the interpreter trusts.
 *
 * Checked: every opcode is one RFC 9669 defines (with its legal `off`/`src`/`imm` values),
 * registers 0..10, r10 never written, reserved fields zero, jump and call targets inside the
 * program and never into an lddw's second slot, the last slot is `exit` or a jump, helper
 * ids implemented. Refused with a clear message: kfunc calls, may_goto, arena accesses,
 * load-acquire/store-release, indirect jumps, and legacy ABS/IND packet loads (the kernel
 * refuses those for XDP too). We do NOT re-do the kernel verifier's type and range tracking:
 * what it would catch at load we catch at run time, as a fault.
 *
 * lddw pseudo sources are resolved here through `resolveLddw` (map handles, value addresses),
 * so the image carries the final 64-bit constant of every lddw.
 */
/**
 * What `lddw rX, <function>` (pseudo source 4, a callback for bpf_loop / for_each_map_elem)
 * yields: this base + the target's instruction index. Never mapped (like map handles), so a
 * program cannot dereference it; Vm.callback() decodes it.
 */
export const FUNC_PTR_BASE = 0xe000_0000;

export interface ProgramImage {
  readonly name: string;
  readonly length: number;
  readonly op: Uint8Array;
  /** Per slot: opcode | dst << 8 | src << 12 (one load in the interpreter's dispatch). */
  readonly word: Int32Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  /** imm; for an lddw's first slot: the low 32 bits of the resolved constant. */
  readonly imm: Int32Array;
  /** For an lddw's first slot: the high 32 bits of the resolved constant. */
  readonly immHi: Int32Array;
  /** Source line per slot, carried forward from the nearest preceding line_info entry. */
  readonly lines: readonly (SourceLine | undefined)[];
  readonly funcs: readonly { insn: number; name: string }[];
  readonly spec: ProgramSpec;
}

export interface VerifyOptions {
  /** Name of the helper if implemented; undefined → refused. `names` gives a name for the message. */
  helperImplemented(id: number): boolean;
  helperName(id: number): string | undefined;
  /** Resolve an lddw with pseudo source `src` (1, 2, 5, 6) to its 64-bit value as [lo, hi]. */
  resolveLddw(src: number, imm: number, offset: number, pc: number): [number, number];
}

const ALU_OPS = new Set<number>(Object.values(AluOp));
const COND_JMP = new Set<number>([JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE]);
const ATOMIC_IMMS = new Set<number>([AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.OR | AtomicOp.FETCH, AtomicOp.AND | AtomicOp.FETCH, AtomicOp.XOR | AtomicOp.FETCH, AtomicOp.XCHG, AtomicOp.CMPXCHG]);

export function verifyProgram(spec: ProgramSpec, options: VerifyOptions): ProgramImage {
  const insns = spec.insns;
  const n = insns.length;
  const lines: (SourceLine | undefined)[] = new Array<SourceLine | undefined>(n);
  let cur: SourceLine | undefined;
  const funcStarts = new Set(spec.funcs.map((f) => f.insn));
  for (let i = 0; i < n; i++) {
    if (funcStarts.has(i)) cur = undefined;
    cur = spec.lines[i] ?? cur;
    lines[i] = cur;
  }
  const fail = (pc: number, what: string): never => {
    const l = lines[pc];
    const where = l === undefined ? '' : ` (${l.file}:${l.line})`;
    throw new ObjectError('VERIFY', `program "${spec.name}": insn ${pc}${where}: ${what}`, { program: spec.name, section: spec.section });
  };
  if (n === 0) fail(0, 'program is empty');
  if (n > 1_000_000) fail(0, `program has ${n} instructions, more than 1,000,000`);

  const op = new Uint8Array(n), dst = new Uint8Array(n), src = new Uint8Array(n);
  const off = new Int16Array(n), imm = new Int32Array(n), immHi = new Int32Array(n);
  const second = new Uint8Array(n); // 1 = second slot of an lddw
  for (let pc = 0; pc < n; pc++) if (insns[pc]!.code === Op.LDDW) second[pc + 1] = 1;

  const target = (pc: number, rel: number, what: string): void => {
    const t = pc + rel + 1;
    if (t < 0 || t >= n) fail(pc, `${what} to insn ${t} is outside the program (0..${n - 1})`);
    if (second[t]) fail(pc, `${what} to insn ${t}, the middle of an lddw`);
  };
  const reg = (pc: number, r: number, role: string, write: boolean): void => {
    if (r > 10) fail(pc, `invalid ${role} register r${r}`);
    if (write && r === 10) fail(pc, 'r10 (frame pointer) is read-only');
  };

  for (let pc = 0; pc < n; pc++) {
    const insn: Instruction = insns[pc]!;
    const code = insn.code;
    op[pc] = code; dst[pc] = insn.dst; src[pc] = insn.src; off[pc] = insn.off; imm[pc] = insn.imm;
    const cls = code & 0x07;
    const hex = `0x${code.toString(16).padStart(2, '0')}`;
    switch (cls) {
      case Class.ALU:
      case Class.ALU64: {
        const aop = code & 0xf0;
        const x = (code & Source.X) !== 0;
        if (!ALU_OPS.has(aop)) fail(pc, `unknown ALU opcode ${hex}`);
        reg(pc, insn.dst, 'destination', true);
        if (aop === AluOp.END) {
          if (cls === Class.ALU64 && x) fail(pc, `unknown opcode ${hex}`);
          if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) fail(pc, `invalid byte-swap width ${insn.imm}`);
          if (insn.src !== 0 || insn.off !== 0) fail(pc, 'reserved fields of a byte swap are not zero');
          break;
        }
        if (aop === AluOp.NEG) {
          if (x || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) fail(pc, 'reserved fields of neg are not zero');
          break;
        }
        if (x) {
          reg(pc, insn.src, 'source', false);
          if (insn.imm !== 0) fail(pc, 'reserved imm field is not zero');
        } else if (insn.src !== 0) fail(pc, 'reserved src field is not zero');
        const okOff = aop === AluOp.DIV || aop === AluOp.MOD ? insn.off === 0 || insn.off === 1
          : aop === AluOp.MOV && x ? insn.off === 0 || insn.off === 8 || insn.off === 16 || (cls === Class.ALU64 && insn.off === 32)
          : insn.off === 0;
        if (!okOff) fail(pc, `invalid offset ${insn.off} for opcode ${hex}`);
        break;
      }
      case Class.JMP:
      case Class.JMP32: {
        const jop = code & 0xf0;
        const x = (code & Source.X) !== 0;
        if (jop === 0xe0) fail(pc, 'may_goto is not supported');
        if (jop === JmpOp.JA) {
          if (x) fail(pc, 'indirect jumps are not supported');
          if (insn.src !== 0 || insn.dst !== 0) fail(pc, 'reserved fields of ja are not zero');
          if (cls === Class.JMP) { if (insn.imm !== 0) fail(pc, 'reserved imm of ja is not zero'); target(pc, insn.off, 'jump'); }
          else { if (insn.off !== 0) fail(pc, 'reserved offset of gotol is not zero'); target(pc, insn.imm, 'jump'); }
          break;
        }
        if (cls === Class.JMP && jop === JmpOp.CALL) {
          if (x || insn.dst !== 0 || insn.off !== 0) fail(pc, 'reserved fields of call are not zero');
          if (insn.src === PseudoCall.KFUNC) fail(pc, `kfunc calls are not supported (BTF id ${insn.imm})`);
          if (insn.src === PseudoCall.CALL) { target(pc, insn.imm, 'call'); break; }
          if (insn.src !== PseudoCall.HELPER) fail(pc, `unknown call source ${insn.src}`);
          if (!options.helperImplemented(insn.imm) || !XDP_ALLOWED_HELPERS.has(insn.imm) || SLEEPABLE_ONLY_HELPERS.has(insn.imm)) {
            const name = options.helperName(insn.imm);
            if (name === undefined || insn.imm === 0) fail(pc, `unknown helper id ${insn.imm}`);
            if (!XDP_ALLOWED_HELPERS.has(insn.imm)) fail(pc, `helper bpf_${name} (${insn.imm}) is not allowed for XDP programs`);
            if (SLEEPABLE_ONLY_HELPERS.has(insn.imm)) fail(pc, `helper bpf_${name} (${insn.imm}) may sleep and XDP programs cannot be sleepable`);
            fail(pc, `helper bpf_${name} (${insn.imm}) is not implemented yet`);
          }
          break;
        }
        if (cls === Class.JMP && jop === JmpOp.EXIT) {
          if (x || insn.src !== 0 || insn.dst !== 0 || insn.off !== 0 || insn.imm !== 0) fail(pc, 'reserved fields of exit are not zero');
          break;
        }
        if (!COND_JMP.has(jop)) fail(pc, `unknown jump opcode ${hex}`);
        reg(pc, insn.dst, 'destination', false);
        if (x) { reg(pc, insn.src, 'source', false); if (insn.imm !== 0) fail(pc, 'reserved imm field is not zero'); }
        else if (insn.src !== 0) fail(pc, 'reserved src field is not zero');
        target(pc, insn.off, 'jump');
        break;
      }
      case Class.LD: {
        if (code !== Op.LDDW) {
          const mode = code & 0xe0;
          if (mode === Mode.ABS || mode === Mode.IND) fail(pc, 'legacy packet loads (ld_abs/ld_ind) are not allowed in XDP programs');
          fail(pc, `unknown opcode ${hex}`);
        }
        if (second[pc] || pc + 1 >= n) fail(pc, 'lddw without its second slot');
        const hi = insns[pc + 1]!;
        if (hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) fail(pc + 1, 'second slot of lddw has non-zero reserved fields');
        reg(pc, insn.dst, 'destination', true);
        if (insn.off !== 0) fail(pc, 'reserved offset of lddw is not zero');
        const s = insn.src;
        if (s === PseudoLd.IMM64) { imm[pc] = insn.imm; immHi[pc] = hi.imm; }
        else if (s === PseudoLd.MAP_FD || s === PseudoLd.MAP_VALUE || s === PseudoLd.MAP_IDX || s === PseudoLd.MAP_IDX_VALUE) {
          const [lo, h] = options.resolveLddw(s, insn.imm, hi.imm, pc);
          imm[pc] = lo; immHi[pc] = h;
        } else if (s === PseudoLd.FUNC) {
          target(pc, insn.imm, 'callback reference');
          imm[pc] = FUNC_PTR_BASE + pc + insn.imm + 1; immHi[pc] = 0;
        }
        else fail(pc, `lddw pseudo source ${s} is not supported`);
        pc++;
        op[pc] = 0;
        break;
      }
      case Class.LDX:
      case Class.ST:
      case Class.STX: {
        const mode = code & 0xe0, size = code & 0x18;
        if (mode === 0xa0) fail(pc, 'arena accesses are not supported');
        if (cls === Class.LDX) {
          if (!(mode === Mode.MEM || (mode === Mode.MEMSX && size !== Size.DW))) fail(pc, `unknown load opcode ${hex}`);
          reg(pc, insn.dst, 'destination', true); reg(pc, insn.src, 'source', false);
          if (insn.imm !== 0) fail(pc, 'reserved imm field is not zero');
        } else if (cls === Class.ST) {
          if (mode !== Mode.MEM) fail(pc, `unknown store opcode ${hex}`);
          reg(pc, insn.dst, 'destination', false);
          if (insn.src !== 0) fail(pc, 'reserved src field is not zero');
        } else if (mode === Mode.ATOMIC) {
          if (insn.imm === AtomicOp.LOAD_ACQ || insn.imm === AtomicOp.STORE_REL) fail(pc, 'load-acquire/store-release are not supported');
          if (size !== Size.W && size !== Size.DW) fail(pc, `atomic operations of size ${size === Size.B ? 1 : 2} are not supported`);
          if (!ATOMIC_IMMS.has(insn.imm)) fail(pc, `unknown atomic operation 0x${(insn.imm >>> 0).toString(16)}`);
          reg(pc, insn.dst, 'destination', false); reg(pc, insn.src, 'source', false);
        } else {
          if (mode !== Mode.MEM) fail(pc, `unknown store opcode ${hex}`);
          reg(pc, insn.dst, 'destination', false); reg(pc, insn.src, 'source', false);
          if (insn.imm !== 0) fail(pc, 'reserved imm field is not zero');
        }
        break;
      }
    }
  }
  const last = op[n - 1]!;
  const lastOk = last === Op.EXIT || last === Op.JA || last === Op.GOTOL;
  if (!lastOk || second[n - 1]) fail(n - 1, 'program does not end with exit or a jump');
  const word = new Int32Array(n);
  for (let pc = 0; pc < n; pc++) word[pc] = op[pc]! | (dst[pc]! << 8) | (src[pc]! << 12);
  return { name: spec.name, length: n, op, word, dst, src, off, imm, immHi, lines, funcs: spec.funcs, spec };
}
