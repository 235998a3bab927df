import type { ProgramImage } from '../verify.ts';

/**
 * Packet accesses the program has bounds-checked itself, as the kernel's verifier finds them:
 * a register holding `data + k` (k a constant) compared against one holding `data_end`
 * (`if rA > rB goto`, and the other unsigned forms) proves `data + k ≤ data_end` on one side,
 * so an access `data + j` of `size` bytes with 0 ≤ j and j + size ≤ k lies inside the packet
 * window and needs no check — the check could only ever succeed.
 *
 * Assumes r1 = the context (CTX_ADDR) at pc 0: the compiler emits that guard at entry and runs
 * every other entry precisely. `data` and `data_end` are what `*(u32 *)(ctx + 0)` and
 * `*(u32 *)(ctx + 4)` load. Conservative by construction: for images without bpf-to-bpf calls
 * (callback bodies, not reached from pc 0, know nothing and are never compiled with it); any helper
 * call forgets every packet fact (helpers move the window) and clobbers r0..r5; a store to the
 * stack and its reload know nothing; merges keep what all paths agree on and the smallest proof.
 */
export interface PacketBounds {
  /** Per pc × 11 + r, before the instruction: CTX, END, a data offset k ≥ 0, or UNKNOWN. */
  reg: Int32Array;
  /** Per pc, before the instruction: bytes from data proven to lie before data_end (0 = none; -1 unreached). */
  safe: Int32Array;
}

export const UNKNOWN = -1;
export const CTX = -2;
export const END = -3;

const REGS = 11;
const MAX_OFFSET = 0xffff;
/** xdp_md field offsets (constants.ts XdpMd). */
const DATA_FIELD = 0, END_FIELD = 4;

export function packetBounds(image: ProgramImage): PacketBounds {
  const n = image.length;
  const reg = new Int32Array(n * REGS).fill(UNKNOWN);
  const safe = new Int32Array(n).fill(-1);
  const cur = new Int32Array(REGS);
  const work: number[] = [];
  const flow = (to: number, state: Int32Array, proven: number): void => {
    if (to < 0 || to >= n) return;
    const at = to * REGS;
    if (safe[to] === -1) {
      for (let r = 0; r < REGS; r++) reg[at + r] = state[r]!;
      safe[to] = proven;
      work.push(to);
      return;
    }
    // Merge: facts all paths agree on, the smallest proof (the lattice only descends: a fixpoint).
    let changed = false;
    for (let r = 0; r < REGS; r++) if (reg[at + r] !== UNKNOWN && reg[at + r] !== state[r]) { reg[at + r] = UNKNOWN; changed = true; }
    if (proven < safe[to]!) { safe[to] = proven; changed = true; }
    if (changed) work.push(to);
  };
  const entry = new Int32Array(REGS).fill(UNKNOWN);
  entry[1] = CTX;
  flow(0, entry, 0);
  while (work.length > 0) {
    const pc = work.pop()!;
    for (let r = 0; r < REGS; r++) cur[r] = reg[pc * REGS + r]!;
    const proven = safe[pc]!;
    const op = image.op[pc]!, d = image.dst[pc]!, s = image.src[pc]!, imm = image.imm[pc]!, off = image.off[pc]!;
    const cls = op & 7;
    if (op === 0x18) { cur[d] = UNKNOWN; flow(pc + 2, cur, proven); continue; }
    if (cls === 5 || cls === 6) {
      if (op === 0x95) continue;
      if (op === 0x05) { flow(pc + off + 1, cur, proven); continue; }
      if (op === 0x06) { flow(pc + imm + 1, cur, proven); continue; }
      if (op === 0x85) {
        for (let r = 0; r < REGS; r++) if (r <= 5 || cur[r] !== CTX) cur[r] = UNKNOWN;
        flow(pc + 1, cur, 0);
        continue;
      }
      // Unsigned 64-bit register compares of data + k against data_end.
      let taken = proven, fall = proven;
      const a = cur[d]!, b = cur[s]!;
      if (cls === 5 && (op & 0x08) !== 0) {
        const jop = op & 0xf0;
        if (a >= 0 && b === END) {
          if (jop === 0x20 || jop === 0x30) fall = Math.max(proven, a); // data+k > end, >= end: not taken
          if (jop === 0xa0 || jop === 0xb0) taken = Math.max(proven, a); // data+k < end, <= end: taken
        } else if (a === END && b >= 0) {
          if (jop === 0xa0 || jop === 0xb0) fall = Math.max(proven, b); // end < data+k, <= : not taken
          if (jop === 0x20 || jop === 0x30) taken = Math.max(proven, b); // end > data+k, >= : taken
        }
      }
      flow(pc + off + 1, cur, taken);
      flow(pc + 1, cur, fall);
      continue;
    }
    if (cls === 7) {
      const aop = op & 0xf0, x = (op & 0x08) !== 0;
      if (aop === 0xb0 && off === 0) cur[d] = x ? cur[s]! : UNKNOWN;
      else if (aop === 0x00 && !x && cur[d]! >= 0) {
        const k = cur[d]! + imm;
        cur[d] = k >= 0 && k <= MAX_OFFSET ? k : UNKNOWN;
      } else cur[d] = UNKNOWN;
    } else if (cls === 1) {
      cur[d] = cur[s] === CTX && op === 0x61 ? (off === DATA_FIELD ? 0 : off === END_FIELD ? END : UNKNOWN) : UNKNOWN;
    } else if (cls === 4) cur[d] = UNKNOWN;
    else if (cls === 3 && (op & 0xe0) === 0xc0) { cur[s] = UNKNOWN; cur[0] = UNKNOWN; }
    flow(pc + 1, cur, proven);
  }
  return { reg, safe };
}
