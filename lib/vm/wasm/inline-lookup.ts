import { STACK_FRAME_SIZE } from '../memory.ts';
import { HASH_MUL1, HASH_MUL2, HASH_ROT, HASH_SEED } from '../maps/slot-table.ts';
import { L, type FuncContext } from './compile.ts';
import { Op } from './opcodes.ts';
import { INFO, TOUCH_CAP, TOUCH_LOG } from './scratch.ts';

const R = (r: number): number => L.reg + r;

/**
 * bpf_map_lookup_elem inline, as the kernel's JIT does for arrays: array maps (index bound
 * check) and HASH / PERCPU_HASH on one CPU (a probe of the map's SlotTable in the store), with
 * the key in the current stack frame. Same pointer the helper would return (or 0); the call is
 * counted in run-info word 8. Anything else (other maps, keys elsewhere) falls through to the
 * host helper. Leaves two blocks open: the outer one ends after the helper call.
 */
export function inlineLookup(f: FuncContext): void {
  const c = f.c;
  const counted = (): void => { c.i32Const(0).i32Const(0).mem(Op.i32_load, INFO + 32).i32Const(1).op(Op.i32_add).mem(Op.i32_store, INFO + 32); };
  c.block().block();
  // a = r2 - fp, the key's offset in the frame (huge for negative or non-32-bit r2)
  c.get(R(2)).get(L.fp).op(Op.i64_extend_i32_u).op(Op.i64_sub).tee(L.a).i64Const(BigInt(STACK_FRAME_SIZE - 1)).op(Op.i64_gt_u).brIf(0);
  for (const m of f.arrayMaps) {
    c.get(R(1)).i64Const(BigInt(m.handle)).op(Op.i64_eq).if();
    c.get(L.a).i64Const(BigInt(STACK_FRAME_SIZE - 4)).op(Op.i64_gt_u).brIf(1);
    c.get(L.fp).get(L.a).op(Op.i32_wrap_i64).op(Op.i32_add).mem(Op.i32_load).set(L.x);
    c.i64Const(BigInt(m.start)).get(L.x).op(Op.i64_extend_i32_u).i64Const(BigInt(m.stride)).op(Op.i64_mul).op(Op.i64_add);
    c.i64Const(0n).get(L.x).i32Const(m.maxEntries | 0).op(Op.i32_lt_u).op(Op.select).set(R(0));
    counted();
    c.br(2);
    c.end();
  }
  for (const m of f.hashMaps) {
    c.get(R(1)).i64Const(BigInt(m.handle)).op(Op.i64_eq).if();
    c.get(L.a).i64Const(BigInt(STACK_FRAME_SIZE - m.keySize)).op(Op.i64_gt_u).brIf(1);
    // x = key address; key word w (last one masked to keySize)
    c.get(L.fp).get(L.a).op(Op.i32_wrap_i64).op(Op.i32_add).set(L.x);
    const keyWord = (w: number): void => {
      c.get(L.x).mem(Op.i32_load, 4 * w);
      const rest = m.keySize - 4 * w;
      if (rest < 4) c.i32Const((1 << (8 * rest)) - 1).op(Op.i32_and);
    };
    // y = hash (slot-table.ts)
    c.i32Const(Math.imul(m.keyWords * 4, HASH_SEED));
    for (let w = 0; w < m.keyWords; w++) { keyWord(w); c.op(Op.i32_xor).i32Const(HASH_MUL1).op(Op.i32_mul).i32Const(HASH_ROT).op(Op.i32_rotl); }
    c.tee(L.y).get(L.y).i32Const(16).op(Op.i32_shr_u).op(Op.i32_xor).i32Const(HASH_MUL2).op(Op.i32_mul).tee(L.y);
    c.get(L.y).i32Const(15).op(Op.i32_shr_u).op(Op.i32_xor).set(L.y);
    c.block(); // miss
    c.loop();
    // st = bucket[y & mask] (slot + 1, 0 = empty → miss)
    c.get(L.y).i32Const(m.mask).op(Op.i32_and).i32Const(2).op(Op.i32_shl).mem(Op.i32_load, m.bucketsAt).tee(L.st).op(Op.i32_eqz).brIf(1);
    // z = stored key of slot st - 1
    c.get(L.st).i32Const(1).op(Op.i32_sub).i32Const(m.keyWords * 4).op(Op.i32_mul).set(L.z);
    for (let w = 0; w < m.keyWords; w++) {
      keyWord(w); c.get(L.z).mem(Op.i32_load, m.keysAt + 4 * w).op(Op.i32_eq);
      if (w > 0) c.op(Op.i32_and);
    }
    c.if();
    if (m.lru !== undefined) {
      // Log the hit (the host marks the LRU node); a full log: the host helper does the lookup.
      c.i32Const(0).mem(Op.i32_load, TOUCH_LOG).tee(L.z).i32Const(TOUCH_CAP).op(Op.i32_ge_u).brIf(4);
      c.get(L.z).i32Const(3).op(Op.i32_shl).tee(L.z).i32Const(m.lru.index).mem(Op.i32_store, TOUCH_LOG + 8);
      c.get(L.z).get(L.st).i32Const(1).op(Op.i32_sub).mem(Op.i32_store, TOUCH_LOG + 12);
      c.i32Const(0).get(L.z).i32Const(3).op(Op.i32_shr_u).i32Const(1).op(Op.i32_add).mem(Op.i32_store, TOUCH_LOG);
    }
    c.i64Const(BigInt(m.start)).get(L.st).i32Const(1).op(Op.i32_sub).op(Op.i64_extend_i32_u).i64Const(BigInt(m.stride)).op(Op.i64_mul).op(Op.i64_add).set(R(0));
    counted();
    c.br(5); // if, loop, miss, if handle, fallback → done
    c.end();
    c.get(L.y).i32Const(1).op(Op.i32_add).set(L.y);
    c.br(0);
    c.end(); // loop
    c.end(); // miss
    c.i64Const(0n).set(R(0));
    counted();
    c.br(2);
    c.end();
  }
  c.end();
}
