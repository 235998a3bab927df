/**
 * The WebAssembly engine's private bytes inside the VM store's never-mapped NULL page
 * (0x0000..0x0fff, see memory.ts): no program or helper access can reach them (every such
 * access faults as out-of-bounds), so they are free for the engine and the host to talk
 * through without a second memory.
 *
 *   0x100  run info (i32 words): status, pc, count, fault code, addr lo, addr hi, size, write,
 *          helper calls made inside wasm (inlined lookups)
 *   0x200  registers r0..r10: Vm.regs itself (memory.ts REGS_ADDR), low words at REGS + 4r,
 *          high words at REG_HI_AT + 4r, verdict origins at ORIGIN + 4r (i32 pcs, -1 unknown;
 *          see Vm.origin) — read at entry, written at exit, around helper calls and tail calls
 *   0x300  call frames k = 0..7: return pc (i32) at +0, id of the compiled image that made the
 *          call (i32) at +4, r6..r9 (i64) at +8 .. +40
 *   0x540  call frames k = 0..7: origins of r6..r9 (i32) at +0 .. +12
 *   0x600  LRU touch log: i32 count, then (map index, slot) i32 pairs — inlined LRU lookups
 *          that hit; the host marks those nodes referenced before its next map operation
 */
import { CTX_ADDR, REGS_ADDR } from '../memory.ts';
import { REG_HI, REG_ORIGIN } from '../vm.ts';

/**
 * The packet region's window as the compiled code reads it: xdp_md.data_meta (+8) and
 * xdp_md.data_end (+4) in the context, which lib/xdp's syncCtx() writes together with every
 * VmMemory.setPacketWindow() call (its only caller), so both engines check the same window.
 */
export const PACKET_START_AT = CTX_ADDR + 8;
export const PACKET_END_AT = CTX_ADDR + 4;
export const INFO = 0x100;
export const REGS = REGS_ADDR;
export const REG_HI_AT = REGS_ADDR + 4 * REG_HI;
export const ORIGIN = REGS_ADDR + 4 * REG_ORIGIN;
export const FRAMES = 0x300;
export const FRAME_BYTES = 40;
export const ORIGIN_FRAMES = 0x540;
export const TOUCH_LOG = 0x600;
/** Pairs the touch log holds (a full log sends lookups to the host helper). */
export const TOUCH_CAP = 200;

/** Run statuses returned by a compiled function. */
/**
 * RETURN: an `exit` popped a frame pushed by another image (the exiting program was entered by
 * a tail call made inside a bpf-to-bpf function): registers are spilled, r6..r9, their origins
 * and r10 already restored, run-info word 1 holds the caller's return pc; the host resumes the
 * caller's image there.
 */
export const Status = { EXIT: 0, MEM_FAULT: 1, BUDGET: 2, CALL_DEPTH: 3, HELPER_FAULT: 4, TAIL_CALL: 5, RETURN: 6 } as const;

/** Helper import results. */
export const HelperStatus = { OK: 0, FAULT: 1, TAIL_CALL: 2 } as const;
