import { CALLBACK_HELPER_IDS } from '../helpers/helper-def.ts';
import { CTX_ADDR, MAX_CALL_FRAMES, STACK_FRAME_SIZE } from '../memory.ts';
import { dispatch, Entry, exactCount, FRAME_BYTES, FRAMES, info, jumpIf, jumpTo, L, loadPacketWindow, loadRegs, setFrame, spillOrigins, spillRegs, type FuncContext } from './compile.ts';
import type { Code } from './module-builder.ts';
import { Op } from './opcodes.ts';
import { inlineLookup } from './inline-lookup.ts';
import { CTX, UNKNOWN } from './packet-bounds.ts';
import { HelperStatus, INFO, ORIGIN, ORIGIN_FRAMES, Status } from './scratch.ts';

/**
 * One eBPF instruction as WebAssembly, with the interpreter's semantics case for case
 * (interpreter.ts is the reference; RFC 9669 for the edge rules: x/0 = 0, x%0 = x,
 * INT_MIN/-1 wraps, shift counts masked, 32-bit results zero-extended).
 */

const R = (r: number): number => L.reg + r;

const CMP64: Record<number, number> = {
  0x10: Op.i64_eq, 0x20: Op.i64_gt_u, 0x30: Op.i64_ge_u, 0x50: Op.i64_ne, 0x60: Op.i64_gt_s, 0x70: Op.i64_ge_s,
  0xa0: Op.i64_lt_u, 0xb0: Op.i64_le_u, 0xc0: Op.i64_lt_s, 0xd0: Op.i64_le_s,
};
const CMP32: Record<number, number> = {
  0x10: Op.i32_eq, 0x20: Op.i32_gt_u, 0x30: Op.i32_ge_u, 0x50: Op.i32_ne, 0x60: Op.i32_gt_s, 0x70: Op.i32_ge_s,
  0xa0: Op.i32_lt_u, 0xb0: Op.i32_le_u, 0xc0: Op.i32_lt_s, 0xd0: Op.i32_le_s,
};
const ALU64: Record<number, number> = {
  0x00: Op.i64_add, 0x10: Op.i64_sub, 0x20: Op.i64_mul, 0x40: Op.i64_or, 0x50: Op.i64_and,
  0x60: Op.i64_shl, 0x70: Op.i64_shr_u, 0xa0: Op.i64_xor, 0xc0: Op.i64_shr_s,
};
const ALU32: Record<number, number> = {
  0x00: Op.i32_add, 0x10: Op.i32_sub, 0x20: Op.i32_mul, 0x40: Op.i32_or, 0x50: Op.i32_and,
  0x60: Op.i32_shl, 0x70: Op.i32_shr_u, 0xa0: Op.i32_xor, 0xc0: Op.i32_shr_s,
};
const LOAD: Record<number, [number, number]> = {
  0x61: [Op.i64_load32_u, 4], 0x69: [Op.i64_load16_u, 2], 0x71: [Op.i64_load8_u, 1], 0x79: [Op.i64_load, 8],
  0x81: [Op.i64_load32_s, 4], 0x89: [Op.i64_load16_s, 2], 0x91: [Op.i64_load8_s, 1],
};
const STORE_OP: Record<number, number> = { 4: Op.i64_store32, 2: Op.i64_store16, 1: Op.i64_store8, 8: Op.i64_store };

/** Verdict origin (Vm.origin): register `d` now holds a value made at `pc` (skipped when no exit can report it). */
function originAt(f: FuncContext, d: number, pc: number): void {
  if ((f.originLive[pc]! & (1 << d)) !== 0) f.c.i32Const(pc).set(L.origin + d);
}

/** Verdict origin: `d` now holds `s`'s value. */
function originCopy(f: FuncContext, d: number, s: number, pc: number): void {
  if (d !== s && (f.originLive[pc]! & (1 << d)) !== 0) f.c.get(L.origin + s).set(L.origin + d);
}

export function emitInstruction(f: FuncContext, pc: number, j: number): void {
  const { c, image } = f;
  const code = image.op[pc]!, d = image.dst[pc]!, s = image.src[pc]!, off = image.off[pc]!, imm = image.imm[pc]!;
  const cls = code & 7;
  const x = (code & 0x08) !== 0;
  const src64 = (): Code => (x ? c.get(R(s)) : c.i64Const(BigInt(imm)));
  const src32 = (): Code => (x ? c.get(R(s)).op(Op.i32_wrap_i64) : c.i32Const(imm));
  const dst32 = (): Code => c.get(R(d)).op(Op.i32_wrap_i64);
  switch (cls) {
    case 7: { // ALU64
      const aop = code & 0xf0;
      if (ALU64[aop] !== undefined) { c.get(R(d)); src64(); c.op(ALU64[aop]!).set(R(d)); return; }
      if (aop === 0x80) { c.i64Const(0n).get(R(d)).op(Op.i64_sub).set(R(d)); return; }
      if (aop === 0xb0) {
        src64();
        if (x && off === 8) c.op(Op.i64_extend8_s); else if (x && off === 16) c.op(Op.i64_extend16_s); else if (x && off === 32) c.op(Op.i64_extend32_s);
        c.set(R(d));
        if (x) originCopy(f, d, s, pc); else originAt(f, d, pc);
        return;
      }
      if (aop === 0x30 || aop === 0x90) { divmod64(f, d, s, x, imm, aop === 0x90, off === 1); return; }
      if (aop === 0xd0) { bswap(c, d, imm); return; }
      return;
    }
    case 4: { // ALU (32-bit)
      const aop = code & 0xf0;
      if (ALU32[aop] !== undefined) { dst32(); src32(); c.op(ALU32[aop]!).op(Op.i64_extend_i32_u).set(R(d)); return; }
      if (aop === 0x80) { c.i32Const(0); dst32(); c.op(Op.i32_sub).op(Op.i64_extend_i32_u).set(R(d)); return; }
      if (aop === 0xb0) {
        src32();
        if (x && off === 8) c.op(Op.i32_extend8_s); else if (x && off === 16) c.op(Op.i32_extend16_s);
        c.op(Op.i64_extend_i32_u).set(R(d));
        if (x) originCopy(f, d, s, pc); else originAt(f, d, pc);
        return;
      }
      if (aop === 0x30 || aop === 0x90) { divmod32(f, d, s, x, imm, aop === 0x90, off === 1); return; }
      if (aop === 0xd0) {
        if (x) bswap(c, d, imm); // be
        else if (imm === 16) c.get(R(d)).i64Const(0xffffn).op(Op.i64_and).set(R(d));
        else if (imm === 32) c.get(R(d)).i64Const(0xffffffffn).op(Op.i64_and).set(R(d));
      }
      return;
    }
    case 5: case 6: { // JMP, JMP32
      if (code === 0x05) { jumpTo(f, pc + off + 1); return; }
      if (code === 0x06) { jumpTo(f, pc + imm + 1); return; }
      if (code === 0x85) { if (s === 1) bpfCall(f, pc, imm); else helperCall(f, pc, j, imm); return; }
      if (code === 0x95) { exit(f, pc); return; }
      const jop = code & 0xf0;
      if (cls === 5) {
        c.get(R(d)); src64();
        if (jop === 0x40) c.op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz); else c.op(CMP64[jop]!);
      } else {
        dst32(); src32();
        if (jop === 0x40) c.op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz); else c.op(CMP32[jop]!);
      }
      jumpIf(f, pc + off + 1);
      return;
    }
    case 0: { // lddw
      const v = (BigInt(image.immHi[pc]!) << 32n) | BigInt(imm >>> 0);
      c.i64Const(v).set(R(d));
      originAt(f, d, pc);
      return;
    }
    case 1: { // LDX
      const [op, size] = LOAD[code]!;
      address(f, pc, j, s, off, size, false);
      c.mem(op, addrOffset(s, off, size)).set(R(d));
      originAt(f, d, pc);
      return;
    }
    case 2: case 3: { // ST, STX, atomics
      const size = [4, 2, 1, 8][(code >> 3) & 3]!;
      if ((code & 0xe0) === 0xc0) { atomic(f, pc, j, d, s, off, size, imm); return; }
      address(f, pc, j, d, off, size, true);
      if (cls === 2) c.i64Const(BigInt(imm)); else c.get(R(s));
      c.mem(STORE_OP[size]!, addrOffset(d, off, size));
      return;
    }
  }
}

/** True when `base + off` of `size` bytes is provably inside the current stack frame. */
const inFrame = (base: number, off: number, size: number): boolean => base === 10 && off >= -STACK_FRAME_SIZE && off + size <= 0;

/** memarg offset for the i32 address pushed by address(). */
const addrOffset = (base: number, off: number, size: number): number => (inFrame(base, off, size) ? off + STACK_FRAME_SIZE : 0);

/**
 * Push the i32 address of `base + off` after checking it (fault → return from the function).
 * Frame-relative r10 accesses need no check: fp is pushed and the offset goes into the memarg.
 */
function address(f: FuncContext, pc: number, j: number, base: number, off: number, size: number, write: boolean): void {
  const c = f.c;
  if (inFrame(base, off, size)) { c.get(L.fp); return; }
  const constant = fixedAddress(f, pc, base, off, size, write);
  if (constant >= 0) { c.i32Const(constant | 0); return; }
  const pk = f.packet?.reg[pc * 11 + base] ?? UNKNOWN;
  if (pk === CTX && !write && size === 4 && off >= 0 && off < 20 && (off & 3) === 0) { c.i32Const(CTX_ADDR + off); return; }
  if (insideValue(f, pc, base, off, size, write) || (pk >= 0 && pk + off >= 0 && pk + off + size <= f.packet!.safe[pc]!)) {
    c.get(R(base)).op(Op.i32_wrap_i64);
    if (off !== 0) c.i32Const(off).op(Op.i32_add);
    return;
  }
  c.get(R(base)).i64Const(BigInt(off)).op(Op.i64_add).tee(L.a);
  // Fast path: inside the packet window. a ≥ start && a ≤ end − size, signed (no sum can
  // overflow), from a base that is not negative (a base with high bits set is out of bounds
  // even when the offset brings the sum back into the window; positive high bits fail a ≤ end).
  c.get(L.pkStart).op(Op.i64_ge_s);
  c.get(L.a).get(L.pkEnd).i64Const(BigInt(size)).op(Op.i64_sub).op(Op.i64_le_s);
  c.op(Op.i32_and);
  c.get(R(base)).i64Const(0n).op(Op.i64_ge_s).op(Op.i32_and);
  c.op(Op.i32_eqz).if();
  const ctxLoad = !write && size === 4;
  if (ctxLoad) {
    // Second fast path for u32 loads: an aligned context field 0..19 (what $check allows), from a 32-bit base.
    c.get(L.a).i64Const(BigInt(CTX_ADDR)).op(Op.i64_sub).i64Const(20n).op(Op.i64_lt_u);
    c.get(L.a).i64Const(3n).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_and);
    c.get(R(base)).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_and);
    c.op(Op.i32_eqz).if();
  }
  c.get(L.a).get(R(base)).i32Const(size).i32Const(write ? 1 : 0).call(f.checkFn).tee(L.st).if();
  info(c, 1, () => c.i32Const(pc));
  info(c, 2, () => exactCount(f, j));
  info(c, 3, () => c.get(L.st));
  // Reported address: the register's low word when it is not a 32-bit address or base+off < 0.
  c.i32Const(0).get(L.a).get(R(base)).i64Const(0xffffffffn).op(Op.i64_and);
  c.get(R(base)).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_eqz).get(L.a).i64Const(0n).op(Op.i64_ge_s).op(Op.i32_and);
  c.op(Op.select).mem(Op.i64_store, INFO + 16);
  info(c, 6, () => c.i32Const(size));
  info(c, 7, () => c.i32Const(write ? 1 : 0));
  c.i32Const(Status.MEM_FAULT).op(Op.return);
  c.end();
  if (ctxLoad) c.end();
  c.end();
  c.get(L.a).op(Op.i32_wrap_i64);
}

/**
 * The address when `base` holds a known constant (known-values.ts) and the access lies inside
 * one map/global region that allows it: such an access can never fault. Else -1.
 */
function fixedAddress(f: FuncContext, pc: number, base: number, off: number, size: number, write: boolean): number {
  const v = f.known.value[pc * 11 + base]!;
  if (Number.isNaN(v)) return -1;
  const a = v + off;
  for (const r of f.fixed) if (a >= r.start && a + size <= r.end && (r.writable || !write)) return a;
  return -1;
}

/** True when `base` holds a non-NULL map lookup result and the access lies inside the value (known-values.ts). */
function insideValue(f: FuncContext, pc: number, base: number, off: number, size: number, write: boolean): boolean {
  const p = f.known.ptr[pc * 11 + base]!;
  if (p === -1 || (p & 1) === 0) return false;
  const m = f.valueMaps[p >>> 20];
  if (m === undefined || (write && !m.writable)) return false;
  const at = ((p >> 1) & 0x7ffff) + off;
  return at >= 0 && at + size <= m.valueSize;
}

function atomic(f: FuncContext, pc: number, j: number, d: number, s: number, off: number, size: number, op: number): void {
  const c = f.c;
  const wide = size === 8;
  address(f, pc, j, d, off, size, true);
  const at = addrOffset(d, off, size);
  c.set(L.x);
  c.get(L.x).mem(wide ? Op.i64_load : Op.i64_load32_u, at).set(L.t); // old value
  const store = (value: () => void): void => { c.get(L.x); value(); c.mem(wide ? Op.i64_store : Op.i64_store32, at); };
  if (op === 0xf1) { // cmpxchg with r0
    if (wide) c.get(R(0)).get(L.t).op(Op.i64_eq);
    else c.get(R(0)).op(Op.i32_wrap_i64).get(L.t).op(Op.i32_wrap_i64).op(Op.i32_eq);
    c.if(); store(() => c.get(R(s))); c.end();
    c.get(L.t).set(R(0));
    return;
  }
  if (op === 0xe1) { store(() => c.get(R(s))); c.get(L.t).set(R(s)); return; }
  const base = op & 0xf0;
  const alu = base === 0x00 ? Op.i64_add : base === 0x40 ? Op.i64_or : base === 0x50 ? Op.i64_and : Op.i64_xor;
  store(() => c.get(L.t).get(R(s)).op(alu));
  if (op & 1) c.get(L.t).set(R(s));
}

function divmod64(f: FuncContext, d: number, s: number, x: boolean, imm: number, mod: boolean, signed: boolean): void {
  const c = f.c;
  const div = mod ? (signed ? Op.i64_rem_s : Op.i64_rem_u) : signed ? Op.i64_div_s : Op.i64_div_u;
  if (!x) {
    if (imm === 0) { if (!mod) c.i64Const(0n).set(R(d)); return; }
    if (signed && imm === -1) { c.i64Const(0n); if (!mod) c.get(R(d)).op(Op.i64_sub); c.set(R(d)); return; }
    c.get(R(d)).i64Const(BigInt(imm)).op(div).set(R(d));
    return;
  }
  c.get(R(s)).op(Op.i64_eqz).if();
  if (!mod) c.i64Const(0n).set(R(d));
  c.else();
  if (signed) {
    c.get(R(s)).i64Const(-1n).op(Op.i64_eq).if();
    c.i64Const(0n); if (!mod) c.get(R(d)).op(Op.i64_sub); c.set(R(d));
    c.else();
  }
  c.get(R(d)).get(R(s)).op(div).set(R(d));
  if (signed) c.end();
  c.end();
}

function divmod32(f: FuncContext, d: number, s: number, x: boolean, imm: number, mod: boolean, signed: boolean): void {
  const c = f.c;
  const div = mod ? (signed ? Op.i32_rem_s : Op.i32_rem_u) : signed ? Op.i32_div_s : Op.i32_div_u;
  const a = (): Code => c.get(R(d)).op(Op.i32_wrap_i64);
  const zext = (): void => { c.op(Op.i64_extend_i32_u).set(R(d)); };
  if (!x) {
    if (imm === 0) { if (mod) { a(); zext(); } else c.i64Const(0n).set(R(d)); return; }
    if (signed && imm === -1) { c.i32Const(0); if (!mod) { a(); c.op(Op.i32_sub); } zext(); return; }
    a(); c.i32Const(imm).op(div); zext();
    return;
  }
  c.get(R(s)).op(Op.i32_wrap_i64).tee(L.x).op(Op.i32_eqz).if();
  if (mod) { a(); zext(); } else c.i64Const(0n).set(R(d));
  c.else();
  if (signed) {
    c.get(L.x).i32Const(-1).op(Op.i32_eq).if();
    c.i32Const(0); if (!mod) { a(); c.op(Op.i32_sub); } zext();
    c.else();
  }
  a(); c.get(L.x).op(div); zext();
  if (signed) c.end();
  c.end();
}

/** bswap16/32/64 of r[d] (be on a little-endian host, and the v4 unconditional swap). */
function bswap(c: Code, d: number, width: number): void {
  const swap32 = (): void => { // (x & 0xff00ff00) rotl 8 | (x & 0x00ff00ff) rotr 8
    c.tee(L.x).i32Const(0xff00ff00 | 0).op(Op.i32_and).i32Const(8).op(Op.i32_rotl);
    c.get(L.x).i32Const(0x00ff00ff).op(Op.i32_and).i32Const(8).op(Op.i32_rotr).op(Op.i32_or);
  };
  if (width === 16) {
    c.get(R(d)).op(Op.i32_wrap_i64).tee(L.x).i32Const(0xff).op(Op.i32_and).i32Const(8).op(Op.i32_shl);
    c.get(L.x).i32Const(8).op(Op.i32_shr_u).i32Const(0xff).op(Op.i32_and).op(Op.i32_or).op(Op.i64_extend_i32_u).set(R(d));
  } else if (width === 32) {
    c.get(R(d)).op(Op.i32_wrap_i64); swap32(); c.op(Op.i64_extend_i32_u).set(R(d));
  } else {
    c.get(R(d)).op(Op.i32_wrap_i64); swap32(); c.op(Op.i64_extend_i32_u).i64Const(32n).op(Op.i64_shl);
    c.get(R(d)).i64Const(32n).op(Op.i64_shr_u).op(Op.i32_wrap_i64); swap32(); c.op(Op.i64_extend_i32_u);
    c.op(Op.i64_or).set(R(d));
  }
}

/** Helper: r0..r5 through the scratch page, the host runs it, r0 comes back. */
function helperCall(f: FuncContext, pc: number, j: number, id: number): void {
  const c = f.c;
  const inline = id === 1 && (f.arrayMaps.length > 0 || f.hashMaps.length > 0);
  if (inline) inlineLookup(f);
  const callsBack = CALLBACK_HELPER_IDS.has(id);
  spillRegs(c, 0, 5);
  if (callsBack) {
    // The host runs callbacks on the interpreter: it needs r10 (the caller's frame) and the
    // exact count, and hands back the count including the callback's instructions.
    spillRegs(c, 10, 10);
    info(c, 2, () => exactCount(f, j));
  }
  c.i32Const(id).i32Const(pc).call(f.helperFn).set(L.st);
  loadRegs(c, 0, 0);
  loadPacketWindow(c); // helpers move it (adjust_head/meta/tail)
  if (callsBack) {
    const back = f.blockLen - 1 - j;
    c.i32Const(0).mem(Op.i32_load, INFO + 8);
    if (back !== 0) c.i32Const(back).op(Op.i32_add);
    c.set(L.count);
  }
  c.get(L.st).if();
  info(c, 2, () => exactCount(f, j));
  c.get(L.st).i32Const(HelperStatus.TAIL_CALL).op(Op.i32_eq).if();
  spillRegs(c, 0, 10);
  c.i32Const(Status.TAIL_CALL).op(Op.return);
  c.end();
  c.i32Const(Status.HELPER_FAULT).op(Op.return);
  c.end();
  if (callsBack && !f.precise) {
    // The callback may have used up the budget for the rest of this block (count includes it):
    // go on precisely from the next instruction, with the exact count. A loop-free `run` checks
    // the rest of the image as its entry did (see FuncContext.wholeCheck).
    c.get(L.count);
    if (f.wholeCheck !== 0) c.i32Const(f.wholeCheck).op(Op.i32_add);
    c.get(L.budget).op(Op.i32_gt_u).if();
    spillRegs(c);
    originAt(f, 0, pc);
    spillOrigins(c);
    c.i32Const(pc + 1).i32Const(0).mem(Op.i32_load, INFO + 8).get(L.budget).get(L.depth).i32Const(Entry.RESUME).i32Const(0).call(f.preciseFn).op(Op.return);
    c.end();
  }
  if (inline) c.end();
  originAt(f, 0, pc);
}

/** bpf-to-bpf call: push the return pc and r6..r9, next frame, jump. Ends its block (count exact). */
function bpfCall(f: FuncContext, pc: number, imm: number): void {
  const c = f.c;
  c.get(L.depth).i32Const(1).op(Op.i32_add).i32Const(MAX_CALL_FRAMES).op(Op.i32_ge_u).if();
  info(c, 1, () => c.i32Const(pc));
  info(c, 2, () => c.get(L.count));
  c.i32Const(Status.CALL_DEPTH).op(Op.return);
  c.end();
  c.get(L.depth).i32Const(FRAME_BYTES).op(Op.i32_mul).tee(L.x).i32Const(pc + 1).mem(Op.i32_store, FRAMES);
  c.get(L.x).i32Const(f.imageId).mem(Op.i32_store, FRAMES + 4);
  for (let r = 6; r <= 9; r++) c.get(L.x).get(R(r)).mem(Op.i64_store, FRAMES + 8 * (r - 5));
  for (let r = 6; r <= 9; r++) c.get(L.depth).i32Const(16).op(Op.i32_mul).get(L.origin + r).mem(Op.i32_store, ORIGIN_FRAMES + 4 * (r - 6));
  c.get(L.depth).i32Const(1).op(Op.i32_add).set(L.depth);
  setFrame(c);
  jumpTo(f, pc + imm + 1);
}

function exit(f: FuncContext, pc: number): void {
  const c = f.c;
  c.get(L.depth).op(Op.i32_eqz).if();
  spillRegs(c, 0, 0); // r0 and its origin only: the host reads nothing else at exit
  c.i32Const(0).get(L.origin).mem(Op.i32_store, ORIGIN);
  info(c, 1, () => c.i32Const(pc));
  info(c, 2, () => c.get(L.count));
  c.i32Const(Status.EXIT).op(Op.return);
  c.end();
  // Return from a bpf-to-bpf call: pop the frame (r6..r9, their origins, r10).
  c.get(L.depth).i32Const(1).op(Op.i32_sub).tee(L.depth).i32Const(FRAME_BYTES).op(Op.i32_mul).set(L.x);
  for (let r = 6; r <= 9; r++) c.get(L.x).mem(Op.i64_load, FRAMES + 8 * (r - 5)).set(R(r));
  for (let r = 6; r <= 9; r++) c.get(L.depth).i32Const(16).op(Op.i32_mul).mem(Op.i32_load, ORIGIN_FRAMES + 4 * (r - 6)).set(L.origin + r);
  setFrame(c);
  // A frame of this image: continue at the return pc. (Without a dispatch loop the image makes
  // no bpf-to-bpf call, so every frame below is another image's.)
  if (f.plan.loop) {
    c.get(L.x).mem(Op.i32_load, FRAMES + 4).i32Const(f.imageId).op(Op.i32_eq).if(); f.extra++;
    c.get(L.x).mem(Op.i32_load, FRAMES);
    dispatch(f);
    c.end(); f.extra--;
  }
  // Another image's frame: this program was tail-called inside a function; the host resumes the caller.
  spillRegs(c);
  spillOrigins(c);
  info(c, 1, () => c.get(L.x).mem(Op.i32_load, FRAMES));
  info(c, 2, () => c.get(L.count));
  c.i32Const(Status.RETURN).op(Op.return);
}
