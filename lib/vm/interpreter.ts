import { arsh64, bswap32, divmod64, lsh64, mul64, rsh64 } from './arith64.ts';
import { faultKindOf } from './fault.ts';
import { CTX_ADDR, MAX_CALL_FRAMES, STACK_BASE, STACK_FRAME_SIZE, STACK_FRAME_STRIDE, stackFrameAddr } from './memory.ts';
import type { ProgramImage } from './verify.ts';
import type { Vm } from './vm.ts';

/**
 * The reference interpreter: one switch over full opcodes, one short case each (RFC 9669).
 * The image is verified, so unknown opcodes cannot occur. Registers are vm.L / vm.H (low/high
 * 32 bits). Every memory access is checked: packet-window and stack accesses inline, all others
 * by vm.mem.translate() (same decisions); a failure, the budget, the call depth or a helper
 * fault ends the run with vm.fault set. Returns nothing: r0 is the
 * result, vm.exitPc / vm.image say where it stopped.
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
  const L = vm.L, H = vm.H, mem = vm.mem, view = mem.view, u8 = mem.u8;
  const budget = vm.budget, trace = vm.trace;
  // The packet window, as VmMemory.translate() checks it first; only helpers move it (re-read after each call).
  let pkS = mem.pkStart, pkE = mem.pkEnd;
  const stackLo = STACK_BASE, stackHi = STACK_BASE + MAX_CALL_FRAMES * STACK_FRAME_STRIDE, stackMask = STACK_FRAME_STRIDE - 1, ctxLo = CTX_ADDR;
  let image = entry;
  let P = packed(image);
  let pc = startPc, count = startCount, depth = baseDepth;
  const retPc = vm.frameReturnPc, retImage = vm.frameReturnImage, saved = vm.frameSaved, O = vm.origin, savedO = vm.frameOrigin;
  L[10] = stackFrameAddr(depth) + STACK_FRAME_SIZE; H[10] = 0;

  for (;;) {
    if (++count > budget) {
      vm.image = image; vm.pc = pc; vm.insns = count - 1;
      vm.setFault('budget', 0, 0, `instruction budget of ${budget} exhausted`);
      return;
    }
    if (trace !== undefined) trace(pc, image, L, H);
    const w = P[pc * 2]!, code = w & 0xff, d = (w >> 8) & 15, s = (w >> 12) & 15, i = P[pc * 2 + 1]!;
    switch (code) {
      // ---- ALU64 ----
      case 0x07: { const a = L[d]!, r = (a + i) | 0; L[d] = r; H[d] = (H[d]! + (i >> 31) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break; }
      case 0x0f: { const a = L[d]!, r = (a + L[s]!) | 0; H[d] = (H[d]! + H[s]! + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; L[d] = r; break; }
      case 0x17: { const a = L[d]!; L[d] = (a - i) | 0; H[d] = (H[d]! - (i >> 31) - ((a >>> 0) < (i >>> 0) ? 1 : 0)) | 0; break; }
      case 0x1f: { const a = L[d]!, b = L[s]!; H[d] = (H[d]! - H[s]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; L[d] = (a - b) | 0; break; }
      case 0x27: mul64(L, H, d, i, i >> 31); break;
      case 0x2f: mul64(L, H, d, L[s]!, H[s]!); break;
      case 0x37: divmod64(L, H, d, i, i >> 31, false, (w >> 16) === 1); break;
      case 0x3f: divmod64(L, H, d, L[s]!, H[s]!, false, (w >> 16) === 1); break;
      case 0x47: L[d] |= i; H[d] |= i >> 31; break;
      case 0x4f: L[d] |= L[s]!; H[d] |= H[s]!; break;
      case 0x57: L[d] &= i; H[d] &= i >> 31; break;
      case 0x5f: L[d] &= L[s]!; H[d] &= H[s]!; break;
      case 0x67: lsh64(L, H, d, i & 63); break;
      case 0x6f: lsh64(L, H, d, L[s]! & 63); break;
      case 0x77: rsh64(L, H, d, i & 63); break;
      case 0x7f: rsh64(L, H, d, L[s]! & 63); break;
      case 0x87: { const a = L[d]!; L[d] = -a | 0; H[d] = (-H[d]! - (a !== 0 ? 1 : 0)) | 0; break; }
      case 0x97: divmod64(L, H, d, i, i >> 31, true, (w >> 16) === 1); break;
      case 0x9f: divmod64(L, H, d, L[s]!, H[s]!, true, (w >> 16) === 1); break;
      case 0xa7: L[d] ^= i; H[d] ^= i >> 31; break;
      case 0xaf: L[d] ^= L[s]!; H[d] ^= H[s]!; break;
      case 0xb7: L[d] = i; H[d] = i >> 31; O[d] = pc; break;
      case 0xbf: {
        const o = w >> 16;
        if (o === 0) { L[d] = L[s]!; H[d] = H[s]!; }
        else { const v = o === 8 ? (L[s]! << 24) >> 24 : o === 16 ? (L[s]! << 16) >> 16 : L[s]!; L[d] = v; H[d] = v >> 31; }
        O[d] = O[s]!;
        break;
      }
      case 0xc7: arsh64(L, H, d, i & 63); break;
      case 0xcf: arsh64(L, H, d, L[s]! & 63); break;
      case 0xd7: // bswap (v4)
        if (i === 16) { L[d] = ((L[d]! & 0xff) << 8) | ((L[d]! >>> 8) & 0xff); H[d] = 0; }
        else if (i === 32) { L[d] = bswap32(L[d]!); H[d] = 0; }
        else { const lo = L[d]!; L[d] = bswap32(H[d]!); H[d] = bswap32(lo); }
        break;
      // ---- ALU (32-bit, result zero-extended) ----
      case 0x04: L[d] = L[d]! + i; H[d] = 0; break;
      case 0x0c: L[d] = L[d]! + L[s]!; H[d] = 0; break;
      case 0x14: L[d] = L[d]! - i; H[d] = 0; break;
      case 0x1c: L[d] = L[d]! - L[s]!; H[d] = 0; break;
      case 0x24: L[d] = Math.imul(L[d]!, i); H[d] = 0; break;
      case 0x2c: L[d] = Math.imul(L[d]!, L[s]!); H[d] = 0; break;
      case 0x34: case 0x3c: {
        const b = code === 0x34 ? i : L[s]!;
        if (b === 0) L[d] = 0;
        else if ((w >> 16) === 1) L[d] = Math.trunc(L[d]! / b);
        else L[d] = Math.floor((L[d]! >>> 0) / (b >>> 0));
        H[d] = 0;
        break;
      }
      case 0x44: L[d] |= i; H[d] = 0; break;
      case 0x4c: L[d] |= L[s]!; H[d] = 0; break;
      case 0x54: L[d] &= i; H[d] = 0; break;
      case 0x5c: L[d] &= L[s]!; H[d] = 0; break;
      case 0x64: L[d] = L[d]! << (i & 31); H[d] = 0; break;
      case 0x6c: L[d] = L[d]! << (L[s]! & 31); H[d] = 0; break;
      case 0x74: L[d] = L[d]! >>> (i & 31); H[d] = 0; break;
      case 0x7c: L[d] = L[d]! >>> (L[s]! & 31); H[d] = 0; break;
      case 0x84: L[d] = -L[d]!; H[d] = 0; break;
      case 0x94: case 0x9c: {
        const b = code === 0x94 ? i : L[s]!;
        if (b !== 0) L[d] = (w >> 16) === 1 ? L[d]! % b : (L[d]! >>> 0) % (b >>> 0);
        H[d] = 0;
        break;
      }
      case 0xa4: L[d] ^= i; H[d] = 0; break;
      case 0xac: L[d] ^= L[s]!; H[d] = 0; break;
      case 0xb4: L[d] = i; H[d] = 0; O[d] = pc; break;
      case 0xbc: {
        const o = w >> 16;
        L[d] = o === 8 ? (L[s]! << 24) >> 24 : o === 16 ? (L[s]! << 16) >> 16 : L[s]!;
        H[d] = 0;
        O[d] = O[s]!;
        break;
      }
      case 0xc4: L[d] = L[d]! >> (i & 31); H[d] = 0; break;
      case 0xcc: L[d] = L[d]! >> (L[s]! & 31); H[d] = 0; break;
      case 0xd4: // le (host is little-endian): truncate
        if (i === 16) { L[d] &= 0xffff; H[d] = 0; } else if (i === 32) H[d] = 0;
        break;
      case 0xdc: // be: swap
        if (i === 16) { L[d] = ((L[d]! & 0xff) << 8) | ((L[d]! >>> 8) & 0xff); H[d] = 0; }
        else if (i === 32) { L[d] = bswap32(L[d]!); H[d] = 0; }
        else { const lo = L[d]!; L[d] = bswap32(H[d]!); H[d] = bswap32(lo); }
        break;
      // ---- JMP (64-bit compares) ----
      case 0x05: pc += w >> 16; break;
      case 0x15: if (L[d] === i && H[d] === i >> 31) pc += w >> 16; break;
      case 0x1d: if (L[d] === L[s] && H[d] === H[s]) pc += w >> 16; break;
      // 64-bit ordered compares, written out (the high words decide unless equal; then the low words, unsigned).
      case 0x25: { const h = H[d]!, b = i >> 31; if (h !== b ? h >>> 0 > b >>> 0 : L[d]! >>> 0 > i >>> 0) pc += w >> 16; break; }
      case 0x2d: { const h = H[d]!, b = H[s]!; if (h !== b ? h >>> 0 > b >>> 0 : L[d]! >>> 0 > L[s]! >>> 0) pc += w >> 16; break; }
      case 0x35: { const h = H[d]!, b = i >> 31; if (h !== b ? h >>> 0 > b >>> 0 : L[d]! >>> 0 >= i >>> 0) pc += w >> 16; break; }
      case 0x3d: { const h = H[d]!, b = H[s]!; if (h !== b ? h >>> 0 > b >>> 0 : L[d]! >>> 0 >= L[s]! >>> 0) pc += w >> 16; break; }
      case 0x45: if ((L[d]! & i) !== 0 || (H[d]! & (i >> 31)) !== 0) pc += w >> 16; break;
      case 0x4d: if ((L[d]! & L[s]!) !== 0 || (H[d]! & H[s]!) !== 0) pc += w >> 16; break;
      case 0x55: if (L[d] !== i || H[d] !== i >> 31) pc += w >> 16; break;
      case 0x5d: if (L[d] !== L[s] || H[d] !== H[s]) pc += w >> 16; break;
      case 0x65: { const h = H[d]!, b = i >> 31; if (h !== b ? h > b : L[d]! >>> 0 > i >>> 0) pc += w >> 16; break; }
      case 0x6d: { const h = H[d]!, b = H[s]!; if (h !== b ? h > b : L[d]! >>> 0 > L[s]! >>> 0) pc += w >> 16; break; }
      case 0x75: { const h = H[d]!, b = i >> 31; if (h !== b ? h > b : L[d]! >>> 0 >= i >>> 0) pc += w >> 16; break; }
      case 0x7d: { const h = H[d]!, b = H[s]!; if (h !== b ? h > b : L[d]! >>> 0 >= L[s]! >>> 0) pc += w >> 16; break; }
      case 0xa5: { const h = H[d]!, b = i >> 31; if (h !== b ? h >>> 0 < b >>> 0 : L[d]! >>> 0 < i >>> 0) pc += w >> 16; break; }
      case 0xad: { const h = H[d]!, b = H[s]!; if (h !== b ? h >>> 0 < b >>> 0 : L[d]! >>> 0 < L[s]! >>> 0) pc += w >> 16; break; }
      case 0xb5: { const h = H[d]!, b = i >> 31; if (h !== b ? h >>> 0 < b >>> 0 : L[d]! >>> 0 <= i >>> 0) pc += w >> 16; break; }
      case 0xbd: { const h = H[d]!, b = H[s]!; if (h !== b ? h >>> 0 < b >>> 0 : L[d]! >>> 0 <= L[s]! >>> 0) pc += w >> 16; break; }
      case 0xc5: { const h = H[d]!, b = i >> 31; if (h !== b ? h < b : L[d]! >>> 0 < i >>> 0) pc += w >> 16; break; }
      case 0xcd: { const h = H[d]!, b = H[s]!; if (h !== b ? h < b : L[d]! >>> 0 < L[s]! >>> 0) pc += w >> 16; break; }
      case 0xd5: { const h = H[d]!, b = i >> 31; if (h !== b ? h < b : L[d]! >>> 0 <= i >>> 0) pc += w >> 16; break; }
      case 0xdd: { const h = H[d]!, b = H[s]!; if (h !== b ? h < b : L[d]! >>> 0 <= L[s]! >>> 0) pc += w >> 16; break; }
      // ---- JMP32 ----
      case 0x06: pc += i; break; // gotol
      case 0x16: if (L[d] === i) pc += w >> 16; break;
      case 0x1e: if (L[d] === L[s]) pc += w >> 16; break;
      case 0x26: if (L[d]! >>> 0 > i >>> 0) pc += w >> 16; break;
      case 0x2e: if (L[d]! >>> 0 > L[s]! >>> 0) pc += w >> 16; break;
      case 0x36: if (L[d]! >>> 0 >= i >>> 0) pc += w >> 16; break;
      case 0x3e: if (L[d]! >>> 0 >= L[s]! >>> 0) pc += w >> 16; break;
      case 0x46: if ((L[d]! & i) !== 0) pc += w >> 16; break;
      case 0x4e: if ((L[d]! & L[s]!) !== 0) pc += w >> 16; break;
      case 0x56: if (L[d] !== i) pc += w >> 16; break;
      case 0x5e: if (L[d] !== L[s]) pc += w >> 16; break;
      case 0x66: if (L[d]! > i) pc += w >> 16; break;
      case 0x6e: if (L[d]! > L[s]!) pc += w >> 16; break;
      case 0x76: if (L[d]! >= i) pc += w >> 16; break;
      case 0x7e: if (L[d]! >= L[s]!) pc += w >> 16; break;
      case 0xa6: if (L[d]! >>> 0 < i >>> 0) pc += w >> 16; break;
      case 0xae: if (L[d]! >>> 0 < L[s]! >>> 0) pc += w >> 16; break;
      case 0xb6: if (L[d]! >>> 0 <= i >>> 0) pc += w >> 16; break;
      case 0xbe: if (L[d]! >>> 0 <= L[s]! >>> 0) pc += w >> 16; break;
      case 0xc6: if (L[d]! < i) pc += w >> 16; break;
      case 0xce: if (L[d]! < L[s]!) pc += w >> 16; break;
      case 0xd6: if (L[d]! <= i) pc += w >> 16; break;
      case 0xde: if (L[d]! <= L[s]!) pc += w >> 16; break;
      // ---- calls ----
      case 0x85:
        if (s === 0) {
          vm.image = image; vm.pc = pc; vm.helperCalls++; vm.helperTotals[i]!++; vm.insns = count; vm.depth = depth;
          vm.helpers[i]!(vm);
          count = vm.insns;
          if (vm.fault !== undefined) return;
          pkS = mem.pkStart; pkE = mem.pkEnd;
          O[0] = pc;
          if (vm.tailTarget !== undefined) {
            O.fill(-1);
            image = vm.tailTarget; vm.tailTarget = undefined;
            P = packed(image);
            pc = -1;
          }
        } else {
          if (depth + 1 >= MAX_CALL_FRAMES) {
            vm.image = image; vm.pc = pc; vm.insns = count;
            vm.setFault('call-depth', 0, 0, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
            return;
          }
          retPc[depth] = pc; retImage[depth] = image;
          const b = depth * 8;
          saved[b] = L[6]!; saved[b + 1] = H[6]!; saved[b + 2] = L[7]!; saved[b + 3] = H[7]!;
          saved[b + 4] = L[8]!; saved[b + 5] = H[8]!; saved[b + 6] = L[9]!; saved[b + 7] = H[9]!;
          savedO[depth * 4] = O[6]!; savedO[depth * 4 + 1] = O[7]!; savedO[depth * 4 + 2] = O[8]!; savedO[depth * 4 + 3] = O[9]!;
          depth++;
          L[10] = stackFrameAddr(depth) + STACK_FRAME_SIZE;
          pc += i;
        }
        break;
      case 0x95:
        if (depth === baseDepth) { vm.image = image; vm.exitPc = pc; vm.insns = count; return; }
        depth--;
        {
          const b = depth * 8;
          L[6] = saved[b]!; H[6] = saved[b + 1]!; L[7] = saved[b + 2]!; H[7] = saved[b + 3]!;
          L[8] = saved[b + 4]!; H[8] = saved[b + 5]!; L[9] = saved[b + 6]!; H[9] = saved[b + 7]!;
          O[6] = savedO[depth * 4]!; O[7] = savedO[depth * 4 + 1]!; O[8] = savedO[depth * 4 + 2]!; O[9] = savedO[depth * 4 + 3]!;
        }
        L[10] = stackFrameAddr(depth) + STACK_FRAME_SIZE;
        pc = retPc[depth]!;
        if (retImage[depth] !== image) {
          image = retImage[depth]!;
          P = packed(image);
        }
        break;
      // ---- lddw (constant resolved at load) ----
      case 0x18: L[d] = i; H[d] = image.immHi[pc]!; O[d] = pc; pc++; break;
      // ---- loads and stores ----
      // Effective address = reg + off. Inline test: a base register below 2^31 (high word 0) and
      // an access inside the packet window or inside one stack frame (the 512 used bytes of its
      // 1024-byte slot). Anything else (context, maps, globals, faults) takes checkedAddr(), which
      // is VmMemory.translate() on the exact address; both decide the same for every address.
      case 0x61: { // ldxw: also the aligned context fields (data, data_end, ...), readable by 4-byte loads only
        const x = L[s]!; let a = (x + (w >> 16)) | 0;
        if (H[s] !== 0 || x < 0 || !((a >= pkS && a + 4 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 4 <= STACK_FRAME_SIZE) || (a >= ctxLo && a <= ctxLo + 16 && (a & 3) === 0))) {
          a = checkedAddr(vm, image, pc, count, s, 4, false); if (a < 0) return;
        }
        L[d] = view.getInt32(a, true); H[d] = 0; O[d] = pc; break;
      }
      case 0x69: { const x = L[s]!; let a = (x + (w >> 16)) | 0; if (H[s] !== 0 || x < 0 || !((a >= pkS && a + 2 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 2 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, s, 2, false); if (a < 0) return; } L[d] = view.getUint16(a, true); H[d] = 0; O[d] = pc; break; }
      case 0x71: { const x = L[s]!; let a = (x + (w >> 16)) | 0; if (H[s] !== 0 || x < 0 || !((a >= pkS && a + 1 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 1 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, s, 1, false); if (a < 0) return; } L[d] = u8[a]!; H[d] = 0; O[d] = pc; break; }
      case 0x79: { const x = L[s]!; let a = (x + (w >> 16)) | 0; if (H[s] !== 0 || x < 0 || !((a >= pkS && a + 8 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 8 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, s, 8, false); if (a < 0) return; } L[d] = view.getInt32(a, true); H[d] = view.getInt32(a + 4, true); O[d] = pc; break; }
      case 0x81: { const x = L[s]!; let a = (x + (w >> 16)) | 0; if (H[s] !== 0 || x < 0 || !((a >= pkS && a + 4 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 4 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, s, 4, false); if (a < 0) return; } L[d] = view.getInt32(a, true); H[d] = L[d]! >> 31; O[d] = pc; break; }
      case 0x89: { const x = L[s]!; let a = (x + (w >> 16)) | 0; if (H[s] !== 0 || x < 0 || !((a >= pkS && a + 2 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 2 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, s, 2, false); if (a < 0) return; } L[d] = view.getInt16(a, true); H[d] = L[d]! >> 31; O[d] = pc; break; }
      case 0x91: { const x = L[s]!; let a = (x + (w >> 16)) | 0; if (H[s] !== 0 || x < 0 || !((a >= pkS && a + 1 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 1 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, s, 1, false); if (a < 0) return; } L[d] = view.getInt8(a); H[d] = L[d]! >> 31; O[d] = pc; break; }
      case 0x62: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 4 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 4 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 4, true); if (a < 0) return; } view.setInt32(a, i, true); break; }
      case 0x6a: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 2 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 2 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 2, true); if (a < 0) return; } view.setInt16(a, i, true); break; }
      case 0x72: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 1 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 1 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 1, true); if (a < 0) return; } u8[a] = i; break; }
      case 0x7a: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 8 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 8 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 8, true); if (a < 0) return; } view.setInt32(a, i, true); view.setInt32(a + 4, i >> 31, true); break; }
      case 0x63: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 4 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 4 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 4, true); if (a < 0) return; } view.setInt32(a, L[s]!, true); break; }
      case 0x6b: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 2 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 2 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 2, true); if (a < 0) return; } view.setInt16(a, L[s]!, true); break; }
      case 0x73: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 1 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 1 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 1, true); if (a < 0) return; } u8[a] = L[s]!; break; }
      case 0x7b: { const x = L[d]!; let a = (x + (w >> 16)) | 0; if (H[d] !== 0 || x < 0 || !((a >= pkS && a + 8 <= pkE) || (a >= stackLo && a < stackHi && (a & stackMask) + 8 <= STACK_FRAME_SIZE))) { a = checkedAddr(vm, image, pc, count, d, 8, true); if (a < 0) return; } view.setInt32(a, L[s]!, true); view.setInt32(a + 4, H[s]!, true); break; }
      // ---- atomics ----
      case 0xc3: case 0xdb: {
        const wide = code === 0xdb, size = wide ? 8 : 4;
        const a = checkedAddr(vm, image, pc, count, d, size, true);
        if (a < 0) return;
        atomic(L, H, view, a, wide, i, s);
        break;
      }
    }
    pc++;
  }
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
