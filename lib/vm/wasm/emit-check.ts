import { CTX_ADDR, CTX_SIZE, MAX_CALL_FRAMES, STACK_BASE, STACK_FRAME_SIZE, STACK_FRAME_STRIDE, type Region } from '../memory.ts';
import type { Code } from './module-builder.ts';
import { Op } from './opcodes.ts';
import { PACKET_END_AT, PACKET_START_AT } from './scratch.ts';

/**
 * translate() over the region table, as code: map/global regions (at MAPS_BASE and above,
 * ascending, disjoint) by a binary search on constant starts, then the context, the stack
 * frames and the packet window below them.
 */
export function emitCheck(c: Code, regions: readonly Region[]): void {
  const A = 0, BASE = 1, SIZE = 2, WRITE = 3;
  const end = (): Code => c.get(A).get(SIZE).op(Op.i64_extend_i32_u).op(Op.i64_add);
  const ret = (v: number): void => { c.i32Const(v).op(Op.return); };
  // Not a 32-bit address, or below 0 after the offset: out of bounds.
  c.get(BASE).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz);
  c.get(A).i64Const(0n).op(Op.i64_lt_s).op(Op.i32_or).if(); ret(1); c.end();
  const fixed = regions.filter((r) => r.kind === 'map' || r.kind === 'global').sort((x, y) => x.start - y.start);
  if (fixed.length > 0) {
    c.get(A).i64Const(BigInt(fixed[0]!.start)).op(Op.i64_ge_u).if();
    // Leaf i: start_i ≤ a < start_(i+1) is known; the access fits iff a + size ≤ end_i.
    const leaf = (r: Region): void => {
      end().i64Const(BigInt(r.end)).op(Op.i64_gt_u).if(); ret(1); c.end();
      if (r.writable) ret(0);
      else { c.get(WRITE).if(); ret(2); c.end(); ret(0); }
    };
    const tree = (lo: number, hi: number): void => {
      if (lo === hi) { leaf(fixed[lo]!); return; }
      const mid = (lo + hi + 1) >> 1;
      c.get(A).i64Const(BigInt(fixed[mid]!.start)).op(Op.i64_lt_u).if();
      tree(lo, mid - 1);
      c.end();
      tree(mid, hi);
    };
    tree(0, fixed.length - 1);
    c.end();
  }
  // Context: aligned u32 loads of fields 0..19 only.
  c.get(A).i64Const(BigInt(CTX_ADDR)).op(Op.i64_ge_u);
  end().i64Const(BigInt(CTX_ADDR + CTX_SIZE)).op(Op.i64_le_u).op(Op.i32_and).if();
  c.get(WRITE).op(Op.i32_eqz).get(SIZE).i32Const(4).op(Op.i32_eq).op(Op.i32_and);
  c.get(A).i64Const(3n).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_and);
  c.get(A).i64Const(BigInt(CTX_ADDR + 20)).op(Op.i64_lt_u).op(Op.i32_and);
  c.if(); ret(0); c.end(); ret(3);
  c.end();
  // Stack frames: [STACK_BASE + k*stride, + 512) for k < 8; the gaps are guards.
  const stackEnd = STACK_BASE + MAX_CALL_FRAMES * STACK_FRAME_STRIDE;
  c.get(A).i64Const(BigInt(STACK_BASE)).op(Op.i64_ge_u).get(A).i64Const(BigInt(stackEnd)).op(Op.i64_lt_u).op(Op.i32_and).if();
  c.get(A).op(Op.i32_wrap_i64).i32Const(STACK_BASE).op(Op.i32_sub).i32Const(STACK_FRAME_STRIDE - 1).op(Op.i32_and);
  c.get(SIZE).op(Op.i32_add).i32Const(STACK_FRAME_SIZE).op(Op.i32_le_u).if(); ret(0); c.end(); ret(1);
  c.end();
  // Packet window.
  c.get(A).i32Const(0).mem(Op.i64_load32_u, PACKET_START_AT).op(Op.i64_ge_u);
  end().i32Const(0).mem(Op.i64_load32_u, PACKET_END_AT).op(Op.i64_le_u).op(Op.i32_and).if(); ret(0); c.end();
  ret(1);
}
