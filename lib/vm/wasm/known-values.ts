import type { ProgramImage } from '../verify.ts';

/**
 * Registers whose value is a compile-time constant at each instruction: what `lddw` (map
 * values, globals such as .rodata) and `mov` of an immediate put there, carried through
 * register moves and `add` of an immediate, merged over every path (a forward data-flow
 * fixpoint). The compiler turns an access whose base is such a constant, and whose bytes lie
 * inside one fixed map/global region, into a plain constant address with no check — the check
 * could only ever succeed.
 *
 * Also which registers hold a map lookup's result (see KnownValues.ptr): an access inside the
 * value through one known not to be NULL needs no check either.
 *
 * Conservative by construction: values are kept only in [0, 2^32); every other write makes
 * the register unknown; helper calls clobber r0..r5; bpf-to-bpf call targets and return points,
 * and every instruction not reached from pc 0 (callback bodies), know nothing.
 */

/**
 * Per instruction pc and register r (index pc × 11 + r), before the instruction:
 * `value`: the register's value when it is a known constant, else NaN;
 * `ptr`: when the register holds what bpf_map_lookup_elem returned on map m (or a copy, plus
 * an immediate offset k with 0 ≤ k ≤ value size): m << 20 | k << 1 | nonNull, else -1.
 * nonNull is set past a `jeq r, 0` / `jne r, 0` that excluded NULL (the verifier's refinement):
 * such a pointer addresses a whole value inside the map's region, whatever the key was.
 */
export interface KnownValues { value: Float64Array; ptr: Int32Array }

/** Value size of the map behind a handle whose lookups return pointers to whole values inside its region (array, per-CPU array, hash maps), else -1. */
export type ValueSizeOf = (mapIndex: number) => number;

const REGS = 11;
const LIMIT = 4294967296;

const fit = (v: number): number => (v >= 0 && v < LIMIT ? v : NaN);

const HANDLE_BASE = 0xf000_0000;
const HANDLE_STRIDE = 16;

export function knownValues(image: ProgramImage, valueSizeOf: ValueSizeOf = () => -1): KnownValues {
  const n = image.length;
  const known = new Float64Array(n * REGS).fill(NaN);
  const ptrs = new Int32Array(n * REGS).fill(-1);
  /** 0 unvisited, 1 visited (state in `known`). */
  const seen = new Uint8Array(n);
  const work: number[] = [];
  const cur = new Float64Array(REGS);
  const unknown = new Float64Array(REGS).fill(NaN);
  const ptr = new Int32Array(REGS);
  const noPtr = new Int32Array(REGS).fill(-1);
  /** State of the taken branch of a null test (ptr2 for the other side). */
  const ptr2 = new Int32Array(REGS);
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
  const flow = (to: number, state: Float64Array, pstate: Int32Array = ptr): void => {
    if (to < 0 || to >= n) return;
    const at = to * REGS;
    if (!seen[to]) {
      seen[to] = 1;
      if (!pinned[to]) for (let r = 0; r < REGS; r++) { known[at + r] = state[r]!; ptrs[at + r] = pstate[r]!; }
      work.push(to);
      return;
    }
    let changed = false;
    for (let r = 0; r < REGS; r++) {
      const old = known[at + r]!;
      if (!Number.isNaN(old) && old !== state[r]) { known[at + r] = NaN; changed = true; }
      const p = ptrs[at + r]!, q = pstate[r]!;
      if (p !== -1 && p !== q) {
        // Same map and offset: maybe NULL on one side → maybe NULL; else unknown.
        const m = q !== -1 && (p | 1) === (q | 1) ? p & ~1 : -1;
        if (m !== p) { ptrs[at + r] = m; changed = true; }
      }
    }
    if (changed) work.push(to);
  };
  flow(0, unknown, noPtr);
  while (work.length > 0) {
    const pc = work.pop()!;
    for (let r = 0; r < REGS; r++) { cur[r] = known[pc * REGS + r]!; ptr[r] = ptrs[pc * REGS + r]!; }
    const op = image.op[pc]!, d = image.dst[pc]!, s = image.src[pc]!, imm = image.imm[pc]!, off = image.off[pc]!;
    const cls = op & 7;
    if (op === 0x18) {
      cur[d] = image.immHi[pc] === 0 ? imm >>> 0 : NaN;
      ptr[d] = -1;
      flow(pc + 2, cur);
      continue;
    }
    if ((op === 0x15 || op === 0x55) && imm === 0 && ptr[d] !== -1) {
      // jeq/jne r, 0 on a lookup result: the side where r ≠ 0 knows it is not NULL.
      ptr2.set(ptr);
      ptr2[d] = ptr[d]! | 1;
      if (op === 0x15) { flow(pc + off + 1, cur); flow(pc + 1, cur, ptr2); } else { flow(pc + off + 1, cur, ptr2); flow(pc + 1, cur); }
      continue;
    }
    if (cls === 5 || cls === 6) {
      if (op === 0x95) continue;
      if (op === 0x05) { flow(pc + off + 1, cur); continue; }
      if (op === 0x06) { flow(pc + imm + 1, cur); continue; }
      if (op === 0x85) {
        const handle = cur[1]!;
        if (s === 0) for (let r = 0; r <= 5; r++) { cur[r] = NaN; ptr[r] = -1; }
        else { cur.fill(NaN); ptr.fill(-1); if (s === 1) flow(pc + imm + 1, cur); }
        if (s === 0 && imm === 1 && handle >= HANDLE_BASE && (handle - HANDLE_BASE) % HANDLE_STRIDE === 0) {
          const m = (handle - HANDLE_BASE) / HANDLE_STRIDE;
          if (m < 2048 && valueSizeOf(m) >= 0) ptr[0] = m << 20;
        }
        flow(pc + 1, cur);
        continue;
      }
      if ((op & 0xf0) === 0x80) { cur.fill(NaN); ptr.fill(-1); flow(pc + 1, cur); continue; } // callx and friends
      flow(pc + off + 1, cur);
      flow(pc + 1, cur);
      continue;
    }
    if (cls === 7) {
      const aop = op & 0xf0, x = (op & 0x08) !== 0;
      const p = ptr[d]!;
      if (aop === 0xb0 && off === 0) { cur[d] = x ? cur[s]! : fit(imm); ptr[d] = x ? ptr[s]! : -1; }
      else if (aop === 0x00) {
        cur[d] = fit(cur[d]! + (x ? cur[s]! : imm));
        const k = ((p >> 1) & 0x7ffff) + imm;
        ptr[d] = p !== -1 && !x && k >= 0 && k <= valueSizeOf(p >>> 20) ? (p & ~0xfffff) | (k << 1) | (p & 1) : -1;
      } else { cur[d] = NaN; ptr[d] = -1; }
    } else if (cls === 4 || cls === 1) {
      cur[d] = op === 0xb4 && off === 0 ? imm >>> 0 : NaN;
      ptr[d] = -1;
    } else if (cls === 3 && (op & 0xe0) === 0xc0) {
      cur[s] = NaN; cur[0] = NaN; ptr[s] = -1; ptr[0] = -1; // atomics: fetch/xchg write src, cmpxchg writes r0
    } else if (cls === 0) {
      cur.fill(NaN); ptr.fill(-1);
    }
    flow(pc + 1, cur);
  }
  return { value: known, ptr: ptrs };
}
