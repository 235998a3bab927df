import { arsh64, bswap32, divmod64, lsh64, mul64, rsh64 } from './arith64.ts';
import { faultKindOf } from './fault.ts';
import { MAX_CALL_FRAMES, STACK_FRAME_SIZE, stackFrameAddr } from './memory.ts';
import type { ProgramImage } from './verify.ts';
import type { Vm } from './vm.ts';

/**
 * The reference interpreter: one switch over full opcodes (RFC 9669). The image is verified, so
 * unknown opcodes cannot occur. Returns nothing: r0 is the result, vm.exitPc / vm.image say
 * where it stopped. Every memory access is checked (packet-window and stack accesses inline,
 * all others by vm.mem.translate(), which decides the same); a failure, the budget, the call
 * depth or a helper fault ends the run with vm.fault set.
 *
 * Speed: the loop reads one Int32Array for all registers (vm.regs: low words at r, high words
 * at r + 16, verdict origins at r + 32), one for the program (packed(), two int32s per slot)
 * and the memory's DataView; the common opcodes are inline in the loop, the rare ones (mul,
 * div, mod, 64-bit shifts, byte swaps, sign-extending loads, atomics) in rareOp(), and frame
 * pushes/pops in their own functions, which keeps the loop's live values few. The constants
 * 0x1000 (CTX_ADDR), 0x2000 / 0x4000 (stack frames 0..7, STACK_BASE + 8 × 1024), 1023 and 512
 * (STACK_FRAME_STRIDE − 1, STACK_FRAME_SIZE) are written as literals so TurboFan folds them.
 *
 * Caller sets up r1 (context) before calling; r10 and the frames are set here.
 */
export function execute(vm: Vm, entry: ProgramImage): void {
  executeFrom(vm, entry, 0, 0, 0);
}

/**
 * Run `entry` from `startPc` in call frame `baseDepth` with `startCount` instructions already
 * counted; returns at the `exit` that leaves frame `baseDepth`. execute() is the whole-program
 * case (0, 0, 0); Vm.callback() runs a callback subprogram (bpf_loop, for_each_map_elem) in the
 * frame above the helper's caller. Before each helper call vm.insns / vm.depth hold the count
 * and frame so far; a helper that runs callbacks advances vm.insns.
 */
export function executeFrom(vm: Vm, entry: ProgramImage, startPc: number, baseDepth: number, startCount: number): void {
  const R = vm.regs, mem = vm.mem, view = mem.view, budget = vm.budget, trace = vm.trace;
  let image = entry, P = packed(entry);
  let pc = startPc | 0, depth = baseDepth | 0;
  // Instructions so far = base + count: count stays a small int32 (a TurboFan register), checked
  // against limit = min(budget − base, 2^30); base moves on only at that limit and after helper
  // calls. With a trace hook limit stays 0, so every instruction takes that branch, which calls
  // the hook: the untraced loop tests one condition per instruction, not two.
  let base = startCount, count = 0, limit = trace === undefined ? chunkLimit(budget, base) | 0 : 0;
  // The packet window, as VmMemory.translate() checks it first; only helpers move it (re-read after each call).
  let pkS = mem.pkStart, pkE = mem.pkEnd;
  R[10] = stackFrameAddr(depth) + STACK_FRAME_SIZE; R[26] = 0;

  for (;;) {
    if (++count > limit) {
      if (base + count > budget) return budgetFault(vm, image, pc, base + count - 1);
      base += count; count = 0;
      if (trace === undefined) limit = chunkLimit(budget, base) | 0;
      else trace(pc, image, vm.L, vm.H);
    }
    const w = P[pc << 1]!, i = P[(pc << 1) | 1]!, d = (w >> 8) & 15, s = (w >> 12) & 15;
    switch (w & 0xff) {
      // ---- ALU64 (high word at r + 16) ----
      case 0x07: { const a = R[d]!, r = (a + i) | 0; R[d] = r; R[d + 16] = (R[d + 16]! + (i >> 31) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break; }
      case 0x0f: { const a = R[d]!, r = (a + R[s]!) | 0; R[d + 16] = (R[d + 16]! + R[s + 16]! + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; R[d] = r; break; }
      case 0x17: { const a = R[d]!; R[d] = (a - i) | 0; R[d + 16] = (R[d + 16]! - (i >> 31) - ((a >>> 0) < (i >>> 0) ? 1 : 0)) | 0; break; }
      case 0x1f: { const a = R[d]!, b = R[s]!; R[d + 16] = (R[d + 16]! - R[s + 16]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; R[d] = (a - b) | 0; break; }
      case 0x47: R[d] |= i; R[d + 16] |= i >> 31; break;
      case 0x4f: R[d] |= R[s]!; R[d + 16] |= R[s + 16]!; break;
      case 0x57: R[d] &= i; R[d + 16] &= i >> 31; break;
      case 0x5f: R[d] &= R[s]!; R[d + 16] &= R[s + 16]!; break;
      case 0xa7: R[d] ^= i; R[d + 16] ^= i >> 31; break;
      case 0xaf: R[d] ^= R[s]!; R[d + 16] ^= R[s + 16]!; break;
      case 0xb7: R[d] = i; R[d + 16] = i >> 31; R[d + 32] = pc; break;
      case 0xbf: {
        const o = w >> 16;
        if (o === 0) { R[d] = R[s]!; R[d + 16] = R[s + 16]!; }
        else { const v = o === 8 ? (R[s]! << 24) >> 24 : o === 16 ? (R[s]! << 16) >> 16 : R[s]!; R[d] = v; R[d + 16] = v >> 31; }
        R[d + 32] = R[s + 32]!;
        break;
      }
      // ---- ALU (32-bit, result zero-extended) ----
      case 0x04: R[d] = R[d]! + i; R[d + 16] = 0; break;
      case 0x0c: R[d] = R[d]! + R[s]!; R[d + 16] = 0; break;
      case 0x14: R[d] = R[d]! - i; R[d + 16] = 0; break;
      case 0x1c: R[d] = R[d]! - R[s]!; R[d + 16] = 0; break;
      case 0x24: R[d] = Math.imul(R[d]!, i); R[d + 16] = 0; break;
      case 0x2c: R[d] = Math.imul(R[d]!, R[s]!); R[d + 16] = 0; break;
      case 0x44: R[d] |= i; R[d + 16] = 0; break;
      case 0x4c: R[d] |= R[s]!; R[d + 16] = 0; break;
      case 0x54: R[d] &= i; R[d + 16] = 0; break;
      case 0x5c: R[d] &= R[s]!; R[d + 16] = 0; break;
      case 0x64: R[d] = R[d]! << (i & 31); R[d + 16] = 0; break;
      case 0x6c: R[d] = R[d]! << (R[s]! & 31); R[d + 16] = 0; break;
      case 0x74: R[d] = R[d]! >>> (i & 31); R[d + 16] = 0; break;
      case 0x7c: R[d] = R[d]! >>> (R[s]! & 31); R[d + 16] = 0; break;
      case 0x84: R[d] = -R[d]!; R[d + 16] = 0; break;
      case 0xa4: R[d] ^= i; R[d + 16] = 0; break;
      case 0xac: R[d] ^= R[s]!; R[d + 16] = 0; break;
      case 0xb4: R[d] = i; R[d + 16] = 0; R[d + 32] = pc; break;
      case 0xbc: {
        const o = w >> 16;
        R[d] = o === 8 ? (R[s]! << 24) >> 24 : o === 16 ? (R[s]! << 16) >> 16 : R[s]!;
        R[d + 16] = 0;
        R[d + 32] = R[s + 32]!;
        break;
      }
      case 0xc4: R[d] = R[d]! >> (i & 31); R[d + 16] = 0; break;
      case 0xcc: R[d] = R[d]! >> (R[s]! & 31); R[d + 16] = 0; break;
      case 0xdc: // be (host is little-endian): swap
        if (i === 16) { R[d] = ((R[d]! & 0xff) << 8) | ((R[d]! >>> 8) & 0xff); R[d + 16] = 0; }
        else if (i === 32) { R[d] = bswap32(R[d]!); R[d + 16] = 0; }
        else { const lo = R[d]!; R[d] = bswap32(R[d + 16]!); R[d + 16] = bswap32(lo); }
        break;
      // ---- JMP (64-bit compares: the high words decide unless equal, then the low words, unsigned) ----
      case 0x05: pc += w >> 16; break;
      case 0x15: if (R[d] === i && R[d + 16] === i >> 31) pc += w >> 16; break;
      case 0x1d: if (R[d] === R[s] && R[d + 16] === R[s + 16]) pc += w >> 16; break;
      case 0x25: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h >>> 0 > b >>> 0 : R[d]! >>> 0 > i >>> 0) pc += w >> 16; break; }
      case 0x2d: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h >>> 0 > b >>> 0 : R[d]! >>> 0 > R[s]! >>> 0) pc += w >> 16; break; }
      case 0x35: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h >>> 0 > b >>> 0 : R[d]! >>> 0 >= i >>> 0) pc += w >> 16; break; }
      case 0x3d: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h >>> 0 > b >>> 0 : R[d]! >>> 0 >= R[s]! >>> 0) pc += w >> 16; break; }
      case 0x45: if ((R[d]! & i) !== 0 || (R[d + 16]! & (i >> 31)) !== 0) pc += w >> 16; break;
      case 0x4d: if ((R[d]! & R[s]!) !== 0 || (R[d + 16]! & R[s + 16]!) !== 0) pc += w >> 16; break;
      case 0x55: if (R[d] !== i || R[d + 16] !== i >> 31) pc += w >> 16; break;
      case 0x5d: if (R[d] !== R[s] || R[d + 16] !== R[s + 16]) pc += w >> 16; break;
      case 0x65: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h > b : R[d]! >>> 0 > i >>> 0) pc += w >> 16; break; }
      case 0x6d: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h > b : R[d]! >>> 0 > R[s]! >>> 0) pc += w >> 16; break; }
      case 0x75: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h > b : R[d]! >>> 0 >= i >>> 0) pc += w >> 16; break; }
      case 0x7d: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h > b : R[d]! >>> 0 >= R[s]! >>> 0) pc += w >> 16; break; }
      case 0xa5: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h >>> 0 < b >>> 0 : R[d]! >>> 0 < i >>> 0) pc += w >> 16; break; }
      case 0xad: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h >>> 0 < b >>> 0 : R[d]! >>> 0 < R[s]! >>> 0) pc += w >> 16; break; }
      case 0xb5: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h >>> 0 < b >>> 0 : R[d]! >>> 0 <= i >>> 0) pc += w >> 16; break; }
      case 0xbd: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h >>> 0 < b >>> 0 : R[d]! >>> 0 <= R[s]! >>> 0) pc += w >> 16; break; }
      case 0xc5: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h < b : R[d]! >>> 0 < i >>> 0) pc += w >> 16; break; }
      case 0xcd: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h < b : R[d]! >>> 0 < R[s]! >>> 0) pc += w >> 16; break; }
      case 0xd5: { const h = R[d + 16]!, b = i >> 31; if (h !== b ? h < b : R[d]! >>> 0 <= i >>> 0) pc += w >> 16; break; }
      case 0xdd: { const h = R[d + 16]!, b = R[s + 16]!; if (h !== b ? h < b : R[d]! >>> 0 <= R[s]! >>> 0) pc += w >> 16; break; }
      // ---- JMP32 ----
      case 0x06: pc += i; break; // gotol
      case 0x16: if (R[d] === i) pc += w >> 16; break;
      case 0x1e: if (R[d] === R[s]) pc += w >> 16; break;
      case 0x26: if (R[d]! >>> 0 > i >>> 0) pc += w >> 16; break;
      case 0x2e: if (R[d]! >>> 0 > R[s]! >>> 0) pc += w >> 16; break;
      case 0x36: if (R[d]! >>> 0 >= i >>> 0) pc += w >> 16; break;
      case 0x3e: if (R[d]! >>> 0 >= R[s]! >>> 0) pc += w >> 16; break;
      case 0x46: if ((R[d]! & i) !== 0) pc += w >> 16; break;
      case 0x4e: if ((R[d]! & R[s]!) !== 0) pc += w >> 16; break;
      case 0x56: if (R[d] !== i) pc += w >> 16; break;
      case 0x5e: if (R[d] !== R[s]) pc += w >> 16; break;
      case 0x66: if (R[d]! > i) pc += w >> 16; break;
      case 0x6e: if (R[d]! > R[s]!) pc += w >> 16; break;
      case 0x76: if (R[d]! >= i) pc += w >> 16; break;
      case 0x7e: if (R[d]! >= R[s]!) pc += w >> 16; break;
      case 0xa6: if (R[d]! >>> 0 < i >>> 0) pc += w >> 16; break;
      case 0xae: if (R[d]! >>> 0 < R[s]! >>> 0) pc += w >> 16; break;
      case 0xb6: if (R[d]! >>> 0 <= i >>> 0) pc += w >> 16; break;
      case 0xbe: if (R[d]! >>> 0 <= R[s]! >>> 0) pc += w >> 16; break;
      case 0xc6: if (R[d]! < i) pc += w >> 16; break;
      case 0xce: if (R[d]! < R[s]!) pc += w >> 16; break;
      case 0xd6: if (R[d]! <= i) pc += w >> 16; break;
      case 0xde: if (R[d]! <= R[s]!) pc += w >> 16; break;
      // ---- calls ----
      case 0x85:
        if (s === 0) {
          vm.image = image; vm.pc = pc; vm.helperCalls++; vm.helperTotals[i]!++; vm.insns = base + count; vm.depth = depth;
          vm.helpers[i]!(vm);
          base = vm.insns; count = 0; limit = trace === undefined ? chunkLimit(budget, base) | 0 : 0;
          if (vm.fault !== undefined) return;
          pkS = mem.pkStart; pkE = mem.pkEnd;
          R[32] = pc;
          if (vm.tailTarget !== undefined) {
            vm.origin.fill(-1);
            image = vm.tailTarget; vm.tailTarget = undefined;
            P = packed(image);
            pc = -1;
          }
        } else {
          if (!pushFrame(vm, image, pc, base + count, depth)) return;
          depth++;
          pc += i;
        }
        break;
      case 0x95:
        if (depth === baseDepth) { vm.image = image; vm.exitPc = pc; vm.insns = base + count; return; }
        depth--;
        pc = popFrame(vm, depth) | 0;
        if (vm.frameReturnImage[depth] !== image) {
          image = vm.frameReturnImage[depth]!;
          P = packed(image);
        }
        break;
      // ---- lddw (constant resolved at load) ----
      case 0x18: R[d] = i; R[d + 16] = image.immHi[pc]!; R[d + 32] = pc; pc++; break;
      // ---- loads and stores ----
      // Effective address = reg + off. Inline test: a base register below 2^31 (high word 0) and
      // an access inside the packet window or inside one stack frame (the 512 used bytes of its
      // 1024-byte slot), or inside the map/global region translate() found last (mem.hot*).
      // Anything else takes checkedAddr(), which is VmMemory.translate() on the exact address;
      // both decide the same for every address.
      case 0x61: { // ldxw: also the aligned context fields (data, data_end, ...), readable by 4-byte loads only
        const x = R[s]!; let a = (x + (w >> 16)) | 0;
        if (R[s + 16] !== 0 || x < 0 || !((a >= pkS && a + 4 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 508) || (a >= mem.hotStart && a + 4 <= mem.hotEnd) || (a >= 0x1000 && a <= 0x1010 && (a & 3) === 0))) {
          a = checkedAddr(vm, image, pc, base + count, s, 4, false); if (a < 0) return;
        }
        R[d] = view.getInt32(a, true); R[d + 16] = 0; R[d + 32] = pc; break;
      }
      case 0x69: { const x = R[s]!; let a = (x + (w >> 16)) | 0; if (R[s + 16] !== 0 || x < 0 || !((a >= pkS && a + 2 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 510) || (a >= mem.hotStart && a + 2 <= mem.hotEnd))) { a = checkedAddr(vm, image, pc, base + count, s, 2, false); if (a < 0) return; } R[d] = view.getUint16(a, true); R[d + 16] = 0; R[d + 32] = pc; break; }
      case 0x71: { const x = R[s]!; let a = (x + (w >> 16)) | 0; if (R[s + 16] !== 0 || x < 0 || !((a >= pkS && a + 1 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 511) || (a >= mem.hotStart && a + 1 <= mem.hotEnd))) { a = checkedAddr(vm, image, pc, base + count, s, 1, false); if (a < 0) return; } R[d] = view.getUint8(a); R[d + 16] = 0; R[d + 32] = pc; break; }
      case 0x79: { const x = R[s]!; let a = (x + (w >> 16)) | 0; if (R[s + 16] !== 0 || x < 0 || !((a >= pkS && a + 8 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 504) || (a >= mem.hotStart && a + 8 <= mem.hotEnd))) { a = checkedAddr(vm, image, pc, base + count, s, 8, false); if (a < 0) return; } R[d] = view.getInt32(a, true); R[d + 16] = view.getInt32(a + 4, true); R[d + 32] = pc; break; }
      case 0x62: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 4 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 508) || (a >= mem.hotStart && a + 4 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 4, true); if (a < 0) return; } view.setInt32(a, i, true); break; }
      case 0x6a: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 2 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 510) || (a >= mem.hotStart && a + 2 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 2, true); if (a < 0) return; } view.setInt16(a, i, true); break; }
      case 0x72: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 1 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 511) || (a >= mem.hotStart && a + 1 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 1, true); if (a < 0) return; } view.setInt8(a, i); break; }
      case 0x7a: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 8 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 504) || (a >= mem.hotStart && a + 8 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 8, true); if (a < 0) return; } view.setInt32(a, i, true); view.setInt32(a + 4, i >> 31, true); break; }
      case 0x63: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 4 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 508) || (a >= mem.hotStart && a + 4 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 4, true); if (a < 0) return; } view.setInt32(a, R[s]!, true); break; }
      case 0x6b: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 2 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 510) || (a >= mem.hotStart && a + 2 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 2, true); if (a < 0) return; } view.setInt16(a, R[s]!, true); break; }
      case 0x73: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 1 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 511) || (a >= mem.hotStart && a + 1 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 1, true); if (a < 0) return; } view.setInt8(a, R[s]!); break; }
      case 0x7b: { const x = R[d]!; let a = (x + (w >> 16)) | 0; if (R[d + 16] !== 0 || x < 0 || !((a >= pkS && a + 8 <= pkE) || (a >= 0x2000 && a < 0x4000 && (a & 1023) <= 504) || (a >= mem.hotStart && a + 8 <= mem.hotWriteEnd))) { a = checkedAddr(vm, image, pc, base + count, d, 8, true); if (a < 0) return; } view.setInt32(a, R[s]!, true); view.setInt32(a + 4, R[s + 16]!, true); break; }
      default:
        if (!rareOp(vm, image, pc, base + count, w, i)) return;
    }
    pc++;
  }
}

/**
 * The opcodes the loop leaves out: 64-bit mul/div/mod/neg/shifts, 32-bit div/mod, le and
 * bswap, sign-extending loads, atomics. Returns false after recording a fault.
 */
function rareOp(vm: Vm, image: ProgramImage, pc: number, count: number, w: number, i: number): boolean {
  const L = vm.L, H = vm.H, code = w & 0xff, d = (w >> 8) & 15, s = (w >> 12) & 15, off = w >> 16;
  switch (code) {
    case 0x27: mul64(L, H, d, i, i >> 31); break;
    case 0x2f: mul64(L, H, d, L[s]!, H[s]!); break;
    case 0x37: divmod64(L, H, d, i, i >> 31, false, off === 1); break;
    case 0x3f: divmod64(L, H, d, L[s]!, H[s]!, false, off === 1); break;
    case 0x97: divmod64(L, H, d, i, i >> 31, true, off === 1); break;
    case 0x9f: divmod64(L, H, d, L[s]!, H[s]!, true, off === 1); break;
    case 0x67: lsh64(L, H, d, i & 63); break;
    case 0x6f: lsh64(L, H, d, L[s]! & 63); break;
    case 0x77: rsh64(L, H, d, i & 63); break;
    case 0x7f: rsh64(L, H, d, L[s]! & 63); break;
    case 0xc7: arsh64(L, H, d, i & 63); break;
    case 0xcf: arsh64(L, H, d, L[s]! & 63); break;
    case 0x87: { const a = L[d]!; L[d] = -a | 0; H[d] = (-H[d]! - (a !== 0 ? 1 : 0)) | 0; break; }
    case 0xd7: // bswap (v4)
      if (i === 16) { L[d] = ((L[d]! & 0xff) << 8) | ((L[d]! >>> 8) & 0xff); H[d] = 0; }
      else if (i === 32) { L[d] = bswap32(L[d]!); H[d] = 0; }
      else { const lo = L[d]!; L[d] = bswap32(H[d]!); H[d] = bswap32(lo); }
      break;
    case 0xd4: // le (host is little-endian): truncate
      if (i === 16) { L[d] &= 0xffff; H[d] = 0; } else if (i === 32) H[d] = 0;
      break;
    case 0x34: case 0x3c: {
      const b = code === 0x34 ? i : L[s]!;
      if (b === 0) L[d] = 0;
      else if (off === 1) L[d] = Math.trunc(L[d]! / b);
      else L[d] = Math.floor((L[d]! >>> 0) / (b >>> 0));
      H[d] = 0;
      break;
    }
    case 0x94: case 0x9c: {
      const b = code === 0x94 ? i : L[s]!;
      if (b !== 0) L[d] = off === 1 ? L[d]! % b : (L[d]! >>> 0) % (b >>> 0);
      H[d] = 0;
      break;
    }
    case 0x81: case 0x89: case 0x91: { // sign-extending loads
      const size = code === 0x81 ? 4 : code === 0x89 ? 2 : 1;
      const a = checkedAddr(vm, image, pc, count, s, size, false);
      if (a < 0) return false;
      const view = vm.mem.view;
      L[d] = size === 4 ? view.getInt32(a, true) : size === 2 ? view.getInt16(a, true) : view.getInt8(a);
      H[d] = L[d]! >> 31;
      vm.origin[d] = pc;
      break;
    }
    case 0xc3: case 0xdb: {
      const wide = code === 0xdb;
      const a = checkedAddr(vm, image, pc, count, d, wide ? 8 : 4, true);
      if (a < 0) return false;
      atomic(L, H, vm.mem.view, a, wide, i, s);
      break;
    }
  }
  return true;
}

/** bpf-to-bpf call: save the return point, r6..r9 and their origins, move r10 to the next frame; false after the depth fault. */
function pushFrame(vm: Vm, image: ProgramImage, pc: number, count: number, depth: number): boolean {
  if (depth + 1 >= MAX_CALL_FRAMES) {
    vm.image = image; vm.pc = pc; vm.insns = count;
    vm.setFault('call-depth', 0, 0, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
    return false;
  }
  const L = vm.L, H = vm.H, O = vm.origin, saved = vm.frameSaved, savedO = vm.frameOrigin;
  vm.frameReturnPc[depth] = pc; vm.frameReturnImage[depth] = image;
  const b = depth * 8;
  saved[b] = L[6]!; saved[b + 1] = H[6]!; saved[b + 2] = L[7]!; saved[b + 3] = H[7]!;
  saved[b + 4] = L[8]!; saved[b + 5] = H[8]!; saved[b + 6] = L[9]!; saved[b + 7] = H[9]!;
  savedO[depth * 4] = O[6]!; savedO[depth * 4 + 1] = O[7]!; savedO[depth * 4 + 2] = O[8]!; savedO[depth * 4 + 3] = O[9]!;
  L[10] = stackFrameAddr(depth + 1) + STACK_FRAME_SIZE;
  return true;
}

/** Return to frame `depth`: restore r6..r9, their origins and r10; the caller's pc. */
function popFrame(vm: Vm, depth: number): number {
  const L = vm.L, H = vm.H, O = vm.origin, saved = vm.frameSaved, savedO = vm.frameOrigin;
  const b = depth * 8;
  L[6] = saved[b]!; H[6] = saved[b + 1]!; L[7] = saved[b + 2]!; H[7] = saved[b + 3]!;
  L[8] = saved[b + 4]!; H[8] = saved[b + 5]!; L[9] = saved[b + 6]!; H[9] = saved[b + 7]!;
  O[6] = savedO[depth * 4]!; O[7] = savedO[depth * 4 + 1]!; O[8] = savedO[depth * 4 + 2]!; O[9] = savedO[depth * 4 + 3]!;
  L[10] = stackFrameAddr(depth) + STACK_FRAME_SIZE;
  return vm.frameReturnPc[depth]!;
}

/** min(budget − base, 2^30) as an int32; −1 when base is past the budget; 2^30 for a NaN budget (never runs out, as `count > NaN` is false). */
function chunkLimit(budget: number, base: number): number {
  const left = budget - base;
  return left < 0 ? -1 : left < 0x40000000 ? left | 0 : 0x40000000;
}

function budgetFault(vm: Vm, image: ProgramImage, pc: number, count: number): void {
  vm.image = image; vm.pc = pc; vm.insns = count;
  vm.setFault('budget', 0, 0, `instruction budget of ${vm.budget} exhausted`);
}

/**
 * The image as the dispatch loop reads it: per slot two int32s, opcode | dst << 8 | src << 12 |
 * off << 16 (the offset comes back sign-extended with `w >> 16`) and imm. Built once per image.
 */
const packedImages = new WeakMap<ProgramImage, Int32Array>();
let lastImage: ProgramImage | undefined;
let lastPacked: Int32Array = new Int32Array(0);

function packed(image: ProgramImage): Int32Array {
  if (image === lastImage) return lastPacked;
  let p = packedImages.get(image);
  if (p === undefined) {
    p = new Int32Array(image.length * 2);
    for (let k = 0; k < image.length; k++) {
      p[k * 2] = (image.word[k]! & 0xffff) | (image.off[k]! << 16);
      p[k * 2 + 1] = image.imm[k]!;
    }
    packedImages.set(image, p);
  }
  lastImage = image;
  lastPacked = p;
  return p;
}

/** Record a memory fault (a = -1: the base register was not a 32-bit address). */
function memFault(vm: Vm, image: ProgramImage, pc: number, count: number, code: number, a: number, reg: number, size: number, write: boolean): void {
  vm.image = image; vm.pc = pc; vm.insns = count;
  const addr = a < 0 ? vm.L[reg]! >>> 0 : a;
  vm.setFault(faultKindOf(code), addr, size, `${write ? 'store' : 'load'} of ${size} bytes`);
}

/**
 * The full check of an access through base register `reg` (+ the instruction's offset):
 * VmMemory.translate() on the exact address. Returns the address, or -1 after recording the fault.
 */
function checkedAddr(vm: Vm, image: ProgramImage, pc: number, count: number, reg: number, size: number, write: boolean): number {
  const a = vm.H[reg] === 0 ? (vm.L[reg]! >>> 0) + image.off[pc]! : -1;
  const c = a < 0 ? 1 : vm.mem.translate(a, size, write);
  if (c === 0) return a;
  memFault(vm, image, pc, count, c, a, reg, size, write);
  return -1;
}

/** Atomic read-modify-write at `a` (already checked). */
function atomic(L: Int32Array, H: Int32Array, view: DataView, a: number, wide: boolean, op: number, s: number): void {
  const oldLo = view.getInt32(a, true), oldHi = wide ? view.getInt32(a + 4, true) : 0;
  let newLo = oldLo, newHi = oldHi;
  const base = op & 0xf0;
  if (op === 0xf1) { // cmpxchg: compare with r0
    const eq = wide ? L[0] === oldLo && H[0] === oldHi : L[0] === oldLo;
    if (eq) { newLo = L[s]!; newHi = H[s]!; }
    L[0] = oldLo; H[0] = oldHi;
  } else if (op === 0xe1) { // xchg
    newLo = L[s]!; newHi = H[s]!;
    L[s] = oldLo; H[s] = oldHi;
  } else {
    const sLo = L[s]!, sHi = H[s]!;
    if (base === 0x00) {
      const sum = (oldLo >>> 0) + (sLo >>> 0);
      newLo = sum | 0; newHi = (oldHi + sHi + (sum >= 4294967296 ? 1 : 0)) | 0;
    } else if (base === 0x40) { newLo = oldLo | sLo; newHi = oldHi | sHi; }
    else if (base === 0x50) { newLo = oldLo & sLo; newHi = oldHi & sHi; }
    else { newLo = oldLo ^ sLo; newHi = oldHi ^ sHi; }
    if (op & 1) { L[s] = oldLo; H[s] = oldHi; }
  }
  view.setInt32(a, newLo, true);
  if (wide) view.setInt32(a + 4, newHi, true);
}
