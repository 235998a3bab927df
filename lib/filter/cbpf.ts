/**
 * Classic BPF (the packet-filter language libpcap compiles tcpdump expressions to):
 * parsing `tcpdump -ddd` output, validation, and an interpreter.
 *
 * Instruction: { code: u16, jt: u8, jf: u8, k: u32 }   (linux/filter.h, pcap/bpf.h)
 *
 *   code: | op / mode (3-4 bits) | src / size (1-2 bits) | class (3 bits) |
 *
 * Semantics follow libpcap's bpf_filter(): a load outside the packet rejects the packet
 * (returns 0), so does division by zero; memory M[0..15] starts zeroed; the return value is
 * the snapshot length to keep, and any non-zero value means "matches".
 */
import { UsageError } from '../errors.ts';

export interface CbpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const CbpfClass = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07 } as const;
export const CbpfSize = { W: 0x00, H: 0x08, B: 0x10 } as const;
export const CbpfMode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0 } as const;
export const CbpfJmp = { JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40 } as const;
export const CbpfAlu = { ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0 } as const;
export const CBPF_MEMWORDS = 16;
const LOAD_MODES: ReadonlySet<number> = new Set(Object.values(CbpfMode));
/** Linux's limit on classic BPF program length (BPF_MAXINSNS). */
export const CBPF_MAXINSNS = 4096;

/** Parse the decimal listing `tcpdump -ddd` prints: a count line, then `code jt jf k` per line. */
export function parseCbpfListing(text: string): CbpfInsn[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const count = Number(lines[0]);
  if (!Number.isInteger(count) || count < 1 || count > CBPF_MAXINSNS) {
    throw new UsageError(`filter: expected an instruction count on the first line of the compiled filter, found "${lines[0] ?? ''}"`);
  }
  if (lines.length - 1 !== count) {
    throw new UsageError(`filter: compiled filter announces ${count} instructions but has ${lines.length - 1}`);
  }
  const insns = lines.slice(1).map((line, i) => {
    const f = line.split(/\s+/).map(Number);
    if (f.length !== 4 || f.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new UsageError(`filter: instruction ${i}: expected "code jt jf k", found "${line}"`);
    }
    return { code: f[0]!, jt: f[1]!, jf: f[2]!, k: f[3]! >>> 0 };
  });
  validateCbpf(insns);
  return insns;
}

/** Reject programs the kernel's sk_chk_filter / libpcap's bpf_validate would reject. */
export function validateCbpf(insns: readonly CbpfInsn[]): void {
  const bad = (i: number, why: string): never => {
    throw new UsageError(`filter: instruction ${i} (code 0x${insns[i]!.code.toString(16)}): ${why}`);
  };
  if (insns.length === 0 || insns.length > CBPF_MAXINSNS) throw new UsageError(`filter: program length ${insns.length} outside 1..${CBPF_MAXINSNS}`);
  for (let i = 0; i < insns.length; i++) {
    const { code, jt, jf, k } = insns[i]!;
    const cls = code & 0x07;
    switch (cls) {
      case CbpfClass.LD:
      case CbpfClass.LDX: {
        const mode = code & 0xe0;
        if (mode === CbpfMode.MEM && k >= CBPF_MEMWORDS) bad(i, `memory slot ${k} out of range 0..15`);
        if (!LOAD_MODES.has(mode) || (mode === CbpfMode.MSH && cls !== CbpfClass.LDX)) bad(i, 'unknown load mode');
        break;
      }
      case CbpfClass.ST:
      case CbpfClass.STX:
        if (k >= CBPF_MEMWORDS) bad(i, `memory slot ${k} out of range 0..15`);
        break;
      case CbpfClass.ALU: {
        const op = code & 0xf0;
        if (op > CbpfAlu.XOR) bad(i, 'unknown ALU operation');
        if ((op === CbpfAlu.DIV || op === CbpfAlu.MOD) && (code & 0x08) === 0 && k === 0) bad(i, 'division by constant zero');
        break;
      }
      case CbpfClass.JMP: {
        const op = code & 0xf0;
        if (op > CbpfJmp.JSET) bad(i, 'unknown jump');
        const targets = op === CbpfJmp.JA ? [k] : [jt, jf];
        for (const off of targets) if (i + 1 + off >= insns.length) bad(i, `jump by ${off} leaves the program`);
        break;
      }
      case CbpfClass.RET:
      case CbpfClass.MISC:
        break;
    }
  }
  const last = insns[insns.length - 1]!;
  if ((last.code & 0x07) !== CbpfClass.RET) bad(insns.length - 1, 'program does not end with a return');
}

/**
 * Run a validated classic BPF program over a packet. `wireLen` is the original length
 * (what `len` loads see); `data` holds the captured bytes. Returns the filter's return value.
 */
export function runCbpf(insns: readonly CbpfInsn[], data: Uint8Array, wireLen = data.length): number {
  const mem = new Uint32Array(CBPF_MEMWORDS);
  const len = data.length;
  let a = 0;
  let x = 0;
  let pc = 0;
  const load = (at: number, size: number): number | undefined => {
    if (at < 0 || at + size > len) return undefined;
    if (size === 4) return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
    if (size === 2) return (data[at]! << 8) | data[at + 1]!;
    return data[at]!;
  };
  for (;;) {
    const { code, jt, jf, k } = insns[pc++]!;
    switch (code & 0x07) {
      case CbpfClass.LD:
      case CbpfClass.LDX: {
        const toX = (code & 0x07) === CbpfClass.LDX;
        const size = (code & 0x18) === CbpfSize.W ? 4 : (code & 0x18) === CbpfSize.H ? 2 : 1;
        let v: number | undefined;
        switch (code & 0xe0) {
          case CbpfMode.IMM: v = k; break;
          case CbpfMode.ABS: v = load(k, size); break;
          case CbpfMode.IND: v = load((x + k) >>> 0, size); break;
          case CbpfMode.MEM: v = mem[k]!; break;
          case CbpfMode.LEN: v = wireLen >>> 0; break;
          case CbpfMode.MSH: { const b = load(k, 1); v = b === undefined ? undefined : (b & 0x0f) << 2; break; }
        }
        if (v === undefined) return 0;
        if (toX) x = v; else a = v;
        break;
      }
      case CbpfClass.ST: mem[k] = a; break;
      case CbpfClass.STX: mem[k] = x; break;
      case CbpfClass.ALU: {
        const b = (code & 0x08) !== 0 ? x : k;
        switch (code & 0xf0) {
          case CbpfAlu.ADD: a = (a + b) >>> 0; break;
          case CbpfAlu.SUB: a = (a - b) >>> 0; break;
          case CbpfAlu.MUL: a = Math.imul(a, b) >>> 0; break;
          case CbpfAlu.DIV: if (b === 0) return 0; a = Math.floor(a / b) >>> 0; break;
          case CbpfAlu.MOD: if (b === 0) return 0; a = (a % b) >>> 0; break;
          case CbpfAlu.OR: a = (a | b) >>> 0; break;
          case CbpfAlu.AND: a = (a & b) >>> 0; break;
          case CbpfAlu.XOR: a = (a ^ b) >>> 0; break;
          case CbpfAlu.LSH: a = b >= 32 ? 0 : (a << b) >>> 0; break;
          case CbpfAlu.RSH: a = b >= 32 ? 0 : a >>> b; break;
          case CbpfAlu.NEG: a = -a >>> 0; break;
        }
        break;
      }
      case CbpfClass.JMP: {
        const b = (code & 0x08) !== 0 ? x : k;
        let taken: boolean;
        switch (code & 0xf0) {
          case CbpfJmp.JA: pc += k; continue;
          case CbpfJmp.JEQ: taken = a === b; break;
          case CbpfJmp.JGT: taken = a > b; break;
          case CbpfJmp.JGE: taken = a >= b; break;
          default: taken = (a & b) !== 0; break;
        }
        pc += taken ? jt : jf;
        break;
      }
      case CbpfClass.RET: {
        const rval = code & 0x18;
        return rval === 0x10 ? a : rval === 0x08 ? x : k;
      }
      case CbpfClass.MISC:
        if ((code & 0xf8) === 0x80) a = x; // TXA
        else x = a; // TAX
        break;
    }
  }
}
