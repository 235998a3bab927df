import type { ProgramImage } from '../verify.ts';

/**
 * Registers whose value is a compile-time constant at each instruction: what `lddw` (map
 * values, globals such as .rodata) and `mov` of an immediate put there, carried through
 * register moves and `add` of an immediate, merged over every path (a forward data-flow
 * fixpoint). The compiler turns an access whose base is such a constant, and whose bytes lie
 * inside one fixed map/global region, into a plain constant address with no check — the check
 * could only ever succeed.
 *
 * Conservative by construction: values are kept only in [0, 2^32); every other write makes
 * the register unknown; helper calls clobber r0..r5; bpf-to-bpf call targets and return points,
 * and every instruction not reached from pc 0 (callback bodies), know nothing.
 */

/** `known[pc * 11 + r]`: r's value before instruction pc, NaN when not a known constant. */
export type KnownValues = Float64Array;

const REGS = 11;
const LIMIT = 4294967296;

const fit = (v: number): number => (v >= 0 && v < LIMIT ? v : NaN);

export function knownValues(image: ProgramImage): KnownValues {
  const n = image.length;
  const known = new Float64Array(n * REGS).fill(NaN);
  /** 0 unvisited, 1 visited (state in `known`). */
  const seen = new Uint8Array(n);
  const work: number[] = [];
  const cur = new Float64Array(REGS);
  const unknown = new Float64Array(REGS).fill(NaN);
  // Entry points that know nothing: bpf-to-bpf call targets and the instruction after each call.
  const pinned = new Uint8Array(n + 1);
  for (let pc = 0; pc < n; pc++) {
    if (image.op[pc] === 0x18) { pc++; continue; }
    if (image.op[pc] === 0x85 && image.src[pc] !== 0) {
      const t = pc + image.imm[pc]! + 1;
      if (t >= 0 && t < n) pinned[t] = 1;
      pinned[pc + 1] = 1;
    }
  }
  const flow = (to: number, state: Float64Array): void => {
    if (to < 0 || to >= n) return;
    const at = to * REGS;
    if (!seen[to]) {
      seen[to] = 1;
      if (!pinned[to]) for (let r = 0; r < REGS; r++) known[at + r] = state[r]!;
      work.push(to);
      return;
    }
    let changed = false;
    for (let r = 0; r < REGS; r++) {
      const old = known[at + r]!;
      if (!Number.isNaN(old) && old !== state[r]) { known[at + r] = NaN; changed = true; }
    }
    if (changed) work.push(to);
  };
  flow(0, unknown);
  while (work.length > 0) {
    const pc = work.pop()!;
    for (let r = 0; r < REGS; r++) cur[r] = known[pc * REGS + r]!;
    const op = image.op[pc]!, d = image.dst[pc]!, s = image.src[pc]!, imm = image.imm[pc]!, off = image.off[pc]!;
    const cls = op & 7;
    if (op === 0x18) {
      cur[d] = image.immHi[pc] === 0 ? imm >>> 0 : NaN;
      flow(pc + 2, cur);
      continue;
    }
    if (cls === 5 || cls === 6) {
      if (op === 0x95) continue;
      if (op === 0x05) { flow(pc + off + 1, cur); continue; }
      if (op === 0x06) { flow(pc + imm + 1, cur); continue; }
      if (op === 0x85) {
        if (s === 0) for (let r = 0; r <= 5; r++) cur[r] = NaN;
        else { cur.fill(NaN); if (s === 1) flow(pc + imm + 1, cur); }
        flow(pc + 1, cur);
        continue;
      }
      if ((op & 0xf0) === 0x80) { cur.fill(NaN); flow(pc + 1, cur); continue; } // callx and friends
      flow(pc + off + 1, cur);
      flow(pc + 1, cur);
      continue;
    }
    if (cls === 7) {
      const aop = op & 0xf0, x = (op & 0x08) !== 0;
      if (aop === 0xb0 && off === 0) cur[d] = x ? cur[s]! : fit(imm);
      else if (aop === 0x00) cur[d] = fit(cur[d]! + (x ? cur[s]! : imm));
      else cur[d] = NaN;
    } else if (cls === 4) {
      cur[d] = op === 0xb4 && off === 0 ? imm >>> 0 : NaN;
    } else if (cls === 1) {
      cur[d] = NaN;
    } else if (cls === 3 && (op & 0xe0) === 0xc0) {
      cur[s] = NaN; cur[0] = NaN; // atomics: fetch/xchg write src, cmpxchg writes r0
    } else if (cls === 0) {
      cur.fill(NaN);
    }
    flow(pc + 1, cur);
  }
  return known;
}
