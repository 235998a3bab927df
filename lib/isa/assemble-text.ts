import { UsageError } from '../errors.ts';
import type { Instruction } from './instruction.ts';
import { asm, assemble, ATOMIC_IMM, JMP_OPS, type AsmItem, type AtomicName, type Target } from './asm.ts';
import { Op, PseudoCall } from './opcode.ts';

/**
 * Text assembler for the syntax of the bpf_conformance suite and uBPF's assembler
 * (`tests/*.data` "-- asm" sections):
 *
 *   mov %r0, 1            add32 %r1, %r2         neg %r3          be16 %r0   le32 %r0   swap64 %r0
 *   sdiv %r1, 3           smod32 %r1, %r2        movsx1632 %r0, %r1   (from 16 bits, 32-bit result)
 *   ldxh %r0, [%r1+2]     ldxbsx %r0, [%r1-1]    stxdw [%r10-8], %r1  stw [%r10-4], 0x44332211
 *   lddw %r0, 0x123456789 jeq %r1, 0x10, +3      jsgt32 %r1, %r2, label   ja +1   ja32 label (gotol)
 *   call 1 | call helper 1 | call local label | call runtime 7   callx %r2   exit
 *   lock add [%r1+0], %r2      lock fetch xor32 [%r1+4], %r2      lock cmpxchg [%r1], %r2
 *   label:                # comment
 *
 * Registers may be written with or without `%`. Immediates are decimal or 0x-hex, wrapped to
 * 32 bits (0xffffffff = -1); lddw takes 64 bits. The first `exit` is also the label `exit`.
 */

const REG = /^%?r(\d{1,2})$/;
const MEM = /^\[\s*(%?r\d{1,2})\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?\s*\]$/i;

class Line {
  constructor(readonly no: number, readonly text: string) {}

  fail(msg: string): never {
    throw new UsageError(`asm: line ${this.no}: ${msg} in "${this.text.trim()}"`);
  }

  reg(s: string | undefined): number {
    const m = REG.exec(s ?? '');
    if (m === null || Number(m[1]) > 15) this.fail(`expected a register, found "${s ?? ''}"`);
    return Number(m[1]);
  }

  isReg(s: string | undefined): boolean {
    return REG.test(s ?? '');
  }

  bigint(s: string | undefined): bigint {
    if (s === undefined || !/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(s)) this.fail(`expected a number, found "${s ?? ''}"`);
    const neg = s.startsWith('-');
    const body = s.replace(/^[+-]/, '');
    const v = BigInt(body);
    return neg ? -v : v;
  }

  imm32(s: string | undefined): number {
    const v = this.bigint(s);
    if (v < -(2n ** 31n) || v >= 2n ** 32n) this.fail(`immediate ${s ?? ''} does not fit in 32 bits`);
    return Number(BigInt.asIntN(32, v));
  }

  mem(s: string | undefined): { reg: number; off: number } {
    const m = MEM.exec(s ?? '');
    if (m === null) this.fail(`expected [reg+offset], found "${s ?? ''}"`);
    const off = m[3] === undefined ? 0 : Number(BigInt(m[3])) * (m[2] === '-' ? -1 : 1);
    if (off < -32768 || off > 32767) this.fail(`offset ${off} does not fit in 16 bits`);
    return { reg: this.reg(m[1]), off };
  }

  target(s: string | undefined): Target {
    if (s === undefined) this.fail('missing jump target');
    if (/^[+-]/.test(s)) return Number(this.bigint(s));
    if (!/^[A-Za-z_.][\w.]*$/.test(s)) this.fail(`bad label "${s}"`);
    return s;
  }

  count(ops: readonly string[], n: number, mnemonic: string): void {
    if (ops.length !== n) this.fail(`${mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, found ${ops.length}`);
  }
}

/** Split operands on commas and spaces, keeping `[ … ]` together. */
function splitOperands(rest: string): string[] {
  const out: string[] = [];
  const re = /\[[^\]]*\]|[^\s,]+/g;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) out.push(m[0]);
  return out;
}

const ALU_NAMES = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'mod', 'smod', 'xor', 'mov', 'arsh'] as const;
type AluText = (typeof ALU_NAMES)[number];

function aluItem(l: Line, name: AluText, is32: boolean, ops: string[]): AsmItem {
  l.count(ops, 2, name);
  const dst = l.reg(ops[0]);
  const key = `${name}${is32 ? '32' : '64'}${l.isReg(ops[1]) ? 'Reg' : 'Imm'}` as const;
  return asm[key](dst, l.isReg(ops[1]) ? l.reg(ops[1]) : l.imm32(ops[1]));
}

function parseLine(l: Line, mnemonic: string, ops: string[]): AsmItem {
  const m = mnemonic.toLowerCase();
  // Arithmetic: add, add32, add64, sdiv32, …
  const alu = /^([a-z]+?)(32|64)?$/.exec(m);
  if (alu !== null && (ALU_NAMES as readonly string[]).includes(alu[1]!)) return aluItem(l, alu[1] as AluText, alu[2] === '32', ops);
  let x: RegExpExecArray | null;
  if ((x = /^neg(32|64)?$/.exec(m)) !== null) {
    l.count(ops, 1, m);
    return x[1] === '32' ? asm.neg32(l.reg(ops[0])) : asm.neg64(l.reg(ops[0]));
  }
  if ((x = /^(be|le|swap|bswap)(16|32|64)$/.exec(m)) !== null) {
    l.count(ops, 1, m);
    const bits = Number(x[2]) as 16 | 32 | 64;
    const dst = l.reg(ops[0]);
    return x[1] === 'be' ? asm.be(dst, bits) : x[1] === 'le' ? asm.le(dst, bits) : asm.bswap(dst, bits);
  }
  if ((x = /^movsx(8|16|32)(32|64)$/.exec(m)) !== null) {
    l.count(ops, 2, m);
    const from = Number(x[1]) as 8 | 16 | 32;
    if (x[2] === '32') {
      if (from === 32) l.fail('movsx3232 does not exist');
      return asm.movsx32(l.reg(ops[0]), l.reg(ops[1]), from);
    }
    return asm.movsx64(l.reg(ops[0]), l.reg(ops[1]), from);
  }
  if ((x = /^ldx(b|h|w|dw)(sx)?$/.exec(m)) !== null || (x = /^ldxs(b|h|w)()$/.exec(m)) !== null) {
    l.count(ops, 2, m);
    const size = x[1] as 'b' | 'h' | 'w' | 'dw';
    const signed = x[2] === 'sx' || m.startsWith('ldxs');
    const dst = l.reg(ops[0]);
    const { reg, off } = l.mem(ops[1]);
    if (signed) {
      if (size === 'dw') l.fail('there is no sign-extending 64-bit load');
      return asm[`ldxs${size}`](dst, reg, off);
    }
    return asm[`ldx${size}`](dst, reg, off);
  }
  if ((x = /^st(x?)(b|h|w|dw)$/.exec(m)) !== null) {
    l.count(ops, 2, m);
    const size = x[2] as 'b' | 'h' | 'w' | 'dw';
    const { reg, off } = l.mem(ops[0]);
    return x[1] === 'x' ? asm[`stx${size}`](reg, off, l.reg(ops[1])) : asm[`st${size}`](reg, off, l.imm32(ops[1]));
  }
  if ((x = /^ld(abs|ind)(b|h|w)$/.exec(m)) !== null) {
    const size = x[2] as 'b' | 'h' | 'w';
    if (x[1] === 'abs') {
      l.count(ops, 1, m);
      return asm.ldabs(size, l.imm32(ops[0]));
    }
    l.count(ops, 2, m);
    return asm.ldind(size, l.reg(ops[0]), l.imm32(ops[1]));
  }
  if (m === 'lddw') {
    l.count(ops, 2, m);
    const v = l.bigint(ops[1]);
    if (v < -(2n ** 63n) || v >= 2n ** 64n) l.fail(`lddw immediate ${ops[1] ?? ''} does not fit in 64 bits`);
    return asm.lddw(l.reg(ops[0]), v);
  }
  if ((x = /^(j[a-z]+?)(32)?$/.exec(m)) !== null && x[1]! in JMP_OPS) {
    l.count(ops, 3, m);
    const key = `${x[1] as keyof typeof JMP_OPS}${x[2] === '32' ? '32' : ''}${l.isReg(ops[1]) ? 'Reg' : 'Imm'}` as const;
    return asm[key](l.reg(ops[0]), l.isReg(ops[1]) ? l.reg(ops[1]) : l.imm32(ops[1]), l.target(ops[2]));
  }
  if (m === 'ja') {
    l.count(ops, 1, m);
    return asm.ja(l.target(ops[0]));
  }
  if (m === 'ja32' || m === 'gotol') {
    l.count(ops, 1, m);
    return asm.gotol(l.target(ops[0]));
  }
  if (m === 'exit') {
    l.count(ops, 0, m);
    return asm.exit();
  }
  if (m === 'callx') {
    l.count(ops, 1, m);
    return asm.callx(l.reg(ops[0]));
  }
  if (m === 'call') return callItem(l, ops);
  if (m === 'lock') return lockItem(l, ops);
  return l.fail(`unknown mnemonic "${mnemonic}"`);
}

function callItem(l: Line, ops: string[]): AsmItem {
  const [mode, target] = ops.length === 1 ? ['helper', ops[0]] : [ops[0], ops[1]];
  if (ops.length < 1 || ops.length > 2) l.fail('call takes a helper id, or a mode and a target');
  switch (mode) {
    case 'helper':
      return asm.call(l.imm32(target));
    case 'local':
      return asm.callLocal(l.target(target));
    case 'runtime':
      return asm.raw(Op.CALL, { src: PseudoCall.KFUNC, imm: l.imm32(target) });
    default:
      return l.fail(`unknown call mode "${mode ?? ''}"`);
  }
}

function lockItem(l: Line, ops: string[]): AsmItem {
  const fetch = ops[0] === 'fetch';
  const rest = fetch ? ops.slice(1) : ops;
  l.count(rest, 3, 'lock');
  const x = /^(add|or|and|xor|xchg|cmpxchg)(32|64)?$/.exec(rest[0]!.toLowerCase());
  if (x === null) return l.fail(`unknown atomic operation "${rest[0]!}"`);
  const base = x[1]!;
  const name = (base === 'xchg' || base === 'cmpxchg' ? base : fetch ? `fetch_${base}` : base) as AtomicName;
  if (ATOMIC_IMM[name] === undefined) l.fail(`unknown atomic operation "${rest[0]!}"`);
  const { reg, off } = l.mem(rest[1]);
  const src = l.reg(rest[2]);
  return x[2] === '32' ? asm.atomic32(name, reg, off, src) : asm.atomic64(name, reg, off, src);
}

/** Parse assembler text into DSL items (labels kept symbolic). */
export function parseAsm(source: string): AsmItem[] {
  const items: AsmItem[] = [];
  let sawExit = false;
  const lines = source.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const text = raw.replace(/(^|\s)(#|\/\/|;).*$/, '').trim();
    if (text === '') continue;
    const l = new Line(i + 1, raw);
    const label = /^([A-Za-z_.][\w.]*):\s*(.*)$/.exec(text);
    if (label !== null) {
      items.push(asm.label(label[1]!));
      if (label[2] === '') continue;
    }
    const body = label !== null ? label[2]! : text;
    const sp = body.search(/\s/);
    const mnemonic = sp < 0 ? body : body.slice(0, sp);
    const ops = sp < 0 ? [] : splitOperands(body.slice(sp + 1));
    const it = parseLine(l, mnemonic, ops);
    if (!sawExit && mnemonic.toLowerCase() === 'exit') {
      sawExit = true;
      if (!items.some((x) => x.kind === 'label' && x.name === 'exit')) items.push(asm.label('exit'));
    }
    items.push(it);
  }
  return items;
}

/** Assemble text to slot-indexed instructions (see the syntax above). Errors: UsageError with the line. */
export function assembleText(source: string): Instruction[] {
  return assemble(parseAsm(source));
}

/** Sections of a bpf_conformance `.data` file (`-- asm`, `-- mem`, `-- result`, `-- error`, …). */
export interface ConformanceCase {
  /** Every section by name, body text without the header line. */
  sections: Record<string, string>;
  asm?: string;
  /** `-- mem` hex bytes. Empty if the section is absent. */
  mem: Uint8Array;
  /** `-- result` as a 64-bit value. */
  result?: bigint;
  /** `-- error` text (the run is expected to fail with it). */
  error?: string;
}

export function parseConformanceData(text: string): ConformanceCase {
  const sections: Record<string, string> = {};
  let current: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const h = /^--\s*(.+?)\s*$/.exec(line);
    if (h !== null) {
      current = h[1]!;
      sections[current] = '';
    } else if (current !== undefined) {
      sections[current] += `${line}\n`;
    }
  }
  const memHex = (sections.mem ?? '').replace(/#.*$/gm, '').trim();
  const bytes = memHex === '' ? [] : memHex.split(/\s+/).map((b) => {
    if (!/^[0-9a-f]{2}$/i.test(b)) throw new UsageError(`conformance data: bad mem byte "${b}"`);
    return parseInt(b, 16);
  });
  const out: ConformanceCase = { sections, mem: Uint8Array.from(bytes) };
  if (sections.asm !== undefined) out.asm = sections.asm;
  const res = sections.result?.replace(/#.*$/gm, '').trim();
  if (res !== undefined && res !== '') out.result = BigInt.asUintN(64, BigInt(res.startsWith('-') ? -BigInt(res.slice(1)) : BigInt(res)));
  const err = sections.error?.trim();
  if (err !== undefined && err !== '') out.error = err;
  return out;
}
