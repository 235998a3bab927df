import type { SourceLine } from '../object/types.ts';
import { setBig } from './arith64.ts';
import { faultKindOf, type VmFault, type VmFaultKind } from './fault.ts';
import { defaultMapEnv, type CpuModel, type MapEnv, type VmMap } from './maps/vm-map.ts';
import { MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, MAX_CALL_FRAMES, REGS_ADDR, REGS_WORDS, STACK_FRAME_SIZE, stackFrameAddr, type VmMemory } from './memory.ts';
import { executeFrom } from './interpreter.ts';
import { ViewCache } from './view-cache.ts';
import { FUNC_PTR_BASE, type ProgramImage } from './verify.ts';

/**
 * The state of one loaded VM: memory, registers, maps, program images, helper table, and the
 * per-packet run state that helpers read and write. The interpreter (interpreter.ts) executes
 * an image against it; helpers (helpers/*.ts) are functions of it.
 *
 * Registers are two Int32Arrays: L = low 32 bits, H = high 32 bits (no BigInt on the hot path).
 */

/** Offsets of the high words and of the verdict origins in Vm.regs. */
export const REG_HI = 16;
export const REG_ORIGIN = 32;

/** Slots of Vm.views: every packet length (≤ 3520) of the packet page gets its own. */
const VIEW_SLOTS = 4096;

/** A helper reads r1..r5 from vm.L/vm.H and sets r0 (vm.ret / vm.retBig), or sets vm.fault. */
export type Helper = (vm: Vm) => void;

/** Per-instruction hook (tracing, breakpoints). Unset = no cost beyond one branch. */
export type TraceHook = (pc: number, image: ProgramImage, L: Int32Array, H: Int32Array) => void;

/** Packet-buffer state of the current run (virtual addresses), maintained by lib/xdp and the xdp helpers. */
export interface PacketState {
  hardStart: number;
  dataMeta: number;
  data: number;
  dataEnd: number;
  /** Highest address data_end may reach (hard start + 4096 − 320). */
  hardEnd: number;
  /**
   * Bytes beyond the linear part (frames > 3520 bytes), carried to the output unchanged. May
   * be a view of the caller's frame until fragsOwned: copy before writing (ownFrags()).
   */
  frags: Uint8Array;
  /** frags is the VM's own copy (false: a view of the input frame, read-only). */
  fragsOwned: boolean;
  /** Lowest/highest page addresses exposed so far in this run; bytes outside may be stale and are zeroed when first exposed. */
  lowWater: number;
  highWater: number;
}

export interface RedirectTarget {
  ifindex?: number;
  map?: string;
  key?: number;
  flags: number;
}

export class Vm {
  readonly mem: VmMemory;
  /**
   * r0..r10 in one Int32Array, so the interpreter's loop indexes a single array: low words at
   * 0..10, high words at REG_HI + r, verdict origins at REG_ORIGIN + r. L, H and origin are views of it.
   * It lives in the VM store's NULL page (REGS_ADDR), where the compiled engine reads and writes
   * the same words: no copies between the engines' register files.
   */
  readonly regs: Int32Array;
  readonly L: Int32Array;
  readonly H: Int32Array;
  readonly maps: VmMap[];
  readonly helpers: (Helper | undefined)[];
  /** Program images by function name (entry + tail-call targets). */
  readonly images = new Map<string, ProgramImage>();
  budget: number;
  trace: TraceHook | undefined;
  /** Seeded PRNG state for bpf_get_prandom_u32 (xorshift32, never 0). */
  rngState: number;
  /** CPU model and per-packet event sink shared with the maps (the loader replaces it). */
  mapEnv: MapEnv = defaultMapEnv();

  // ---- per-run state ----
  insns = 0;
  helperCalls = 0;
  /** Calls per helper id over the VM's whole life (not reset per run): the replay summary's helper and map-operation counts. */
  readonly helperTotals = new Float64Array(256);
  tailCalls = 0;
  fault: VmFault | undefined;
  /** Set by bpf_tail_call: the interpreter switches to it after the helper returns. */
  tailTarget: ProgramImage | undefined;
  /** Image and pc of the instruction currently executing a helper (for helper faults). */
  image: ProgramImage | undefined;
  pc = 0;
  /** Call frame of the instruction executing a helper (0 = the program's own frame). */
  depth = 0;
  exitPc = 0;
  printk: string[] = [];
  redirect: RedirectTarget | undefined;
  /** The packet timestamp (tsNs): a bigint, or u32 halves not yet made into one. */
  private tsValue = 0n;
  private tsHigh = 0;
  private tsLow = 0;
  private tsPending = false;
  ifindex = 1;
  rxQueue = 0;
  readonly packet: PacketState;
  /** Call-frame bookkeeping for the interpreter (allocated once). */
  readonly frameReturnPc = new Int32Array(MAX_CALL_FRAMES);
  readonly frameReturnImage: ProgramImage[] = [];
  readonly frameSaved = new Int32Array(MAX_CALL_FRAMES * 8);
  /**
   * Verdict origin: per register, the pc of the instruction that produced its value (mov of a
   * constant, load, lddw, helper call), carried by register moves, saved with r6..r9 across
   * bpf-to-bpf calls. At exit, origin[0] says where the returned verdict came from — the line
   * of `return XDP_DROP;`, which clang's shared epilogue hides from the exit instruction.
   * -1 = unknown. The compiled engine keeps them in wasm locals and writes them here at exit;
   * it skips updates no exit can report (wasm/origin-liveness.ts), so after its runs only
   * origin[0] is exact.
   */
  readonly origin: Int32Array;
  readonly frameOrigin = new Int32Array(MAX_CALL_FRAMES * 4);
  /** The caller's origins while a callback runs, per callback depth (no allocation per bpf_loop iteration). */
  private readonly callbackOrigin = new Int32Array(MAX_CALL_FRAMES * 11);
  /** Reused views of the VM store: helper arguments (argBytes) and borrowed output frames. */
  readonly views: ViewCache;

  constructor(mem: VmMemory, maps: VmMap[], helpers: (Helper | undefined)[], options: { budget: number; seed: number }) {
    this.mem = mem;
    this.regs = new Int32Array(mem.buffer, REGS_ADDR, REGS_WORDS);
    this.views = new ViewCache(mem.buffer, VIEW_SLOTS);
    this.L = this.regs.subarray(0, 11);
    this.H = this.regs.subarray(REG_HI, REG_HI + 11);
    this.origin = this.regs.subarray(REG_ORIGIN, REG_ORIGIN + 11).fill(-1);
    this.maps = maps;
    this.helpers = helpers;
    this.budget = options.budget;
    this.rngState = (options.seed >>> 0) || 0x9e3779b9;
    this.packet = { hardStart: 0, dataMeta: 0, data: 0, dataEnd: 0, hardEnd: 0, frags: new Uint8Array(0), fragsOwned: true, lowWater: 0, highWater: 0 };
  }

  /** The packet's timestamp, what bpf_ktime_get_ns returns; set as a bigint or by setTimestamp(). */
  get tsNs(): bigint {
    if (this.tsPending) {
      this.tsValue = (BigInt(this.tsHigh) << 32n) | BigInt(this.tsLow);
      this.tsPending = false;
    }
    return this.tsValue;
  }

  set tsNs(ns: bigint) {
    this.tsValue = ns;
    this.tsPending = false;
  }

  /**
   * The timestamp as the high and low u32 halves of its nanosecond count: the BigInt is made
   * only when a helper reads it, not per packet (a replay sets every packet's).
   */
  setTimestamp(high: number, low: number): void {
    this.tsHigh = high;
    this.tsLow = low;
    this.tsPending = true;
  }

  resetRun(): void {
    this.insns = 0;
    this.helperCalls = 0;
    this.tailCalls = 0;
    this.fault = undefined;
    this.tailTarget = undefined;
    // The array escapes into a result only when a run printed (XdpProgram.run): an empty one is kept.
    if (this.printk.length !== 0) this.printk = [];
    this.redirect = undefined;
  }

  /**
   * r0..r10 = 0 and their verdict origins = -1, as a run starts: one loop over vm.regs, about
   * 5× cheaper than L.fill(0), H.fill(0) and origin.fill(-1) (three builtin calls, ~128 ns measured).
   */
  resetRegisters(): void {
    const R = this.regs;
    for (let r = 0; r < 11; r++) { R[r] = 0; R[REG_HI + r] = 0; R[REG_ORIGIN + r] = -1; }
  }

  /** Set r0 from a JS integer (negative = errno), exact up to ±2^53. */
  ret(v: number): void {
    this.L[0] = v | 0;
    this.H[0] = v < 0 ? (v >= -0x80000000 ? -1 : Math.floor(v / 4294967296) | 0) : Math.floor(v / 4294967296) | 0;
  }

  retBig(v: bigint): void {
    setBig(this.L, this.H, 0, v);
  }

  /** Unsigned 32-bit view of argument register r (1..5). */
  argU32(r: number): number {
    return this.L[r]! >>> 0;
  }

  /** Map behind a map-handle argument, or undefined after recording a fault. */
  mapArg(r: number): VmMap | undefined {
    const v = this.L[r]! >>> 0;
    const i = (v - MAP_HANDLE_BASE) / MAP_HANDLE_STRIDE;
    if (this.H[r] === 0 && Number.isInteger(i) && i >= 0 && i < this.maps.length) return this.maps[i];
    this.setFault('bad-helper-arg', v, 0, `r${r} is not a map`);
    return undefined;
  }

  /**
   * Borrow `size` bytes of VM memory at the address in register r for a helper, checked like
   * a program access; undefined after recording a fault. size 0 → empty view (no check).
   */
  argBytes(r: number, size: number, write: boolean): Uint8Array | undefined {
    if (size === 0) return new Uint8Array(0);
    const a = this.L[r]! >>> 0;
    if (this.H[r] !== 0) {
      this.setFault('out-of-bounds', a, size, `helper argument r${r} is not a 32-bit address`);
      return undefined;
    }
    const code = this.mem.translate(a, size, write, true);
    if (code !== 0) {
      this.setFault(faultKindOf(code), a, size, `helper ${write ? 'write' : 'read'} of ${size} bytes at r${r}`);
      return undefined;
    }
    // Reused: making a view costs more than the rest of a map helper call together.
    return this.views.view(a, size);
  }

  setFault(kind: VmFaultKind, addr: number, size: number, what: string): void {
    const image = this.image;
    const pc = this.pc;
    const line: SourceLine | undefined = image?.lines[pc];
    const region = size > 0 || kind === 'out-of-bounds' ? this.mem.regionNear(addr) : '';
    const where = line === undefined ? '' : ` (${line.file}:${line.line})`;
    const addrText = size > 0 ? ` at 0x${addr.toString(16)} size ${size} [${region}]` : '';
    this.fault = {
      kind, pc, program: image?.name ?? '', addr, size, region, line,
      message: `${kind}: insn ${pc}${where}: ${what}${addrText}`,
    };
  }

  /**
   * Call a callback subprogram from a helper (bpf_loop, bpf_for_each_map_elem): `fn` is the
   * value of the register holding the function pointer (see FUNC_PTR_BASE); the helper sets
   * r1..r5 (vm.L/vm.H) to the callback's arguments first. The callback runs on the interpreter
   * (also under the compiled engine) in the frame above the caller's, its instructions count
   * against the same budget (vm.insns advances), r6..r10 of the caller are preserved, and its
   * result is left in r0. Returns false after a fault (vm.fault set, pointing into the callback).
   */
  callback(fn: number): boolean {
    const image = this.image;
    const target = (fn >>> 0) - FUNC_PTR_BASE;
    if (image === undefined || target < 0 || target >= image.length) {
      this.setFault('bad-helper-arg', fn >>> 0, 0, 'callback argument is not a function reference (lddw of a subprogram)');
      return false;
    }
    const depth = this.depth + 1;
    if (depth >= MAX_CALL_FRAMES) {
      this.setFault('call-depth', 0, 0, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
      return false;
    }
    const L = this.L, H = this.H;
    const l6 = L[6]!, h6 = H[6]!, l7 = L[7]!, h7 = H[7]!, l8 = L[8]!, h8 = H[8]!, l9 = L[9]!, h9 = H[9]!;
    const pc = this.pc, exitPc = this.exitPc, helperDepth = this.depth;
    // The callback's registers are not the caller's (r0's origin is set by the helper call).
    const saved = this.callbackOrigin, origin = this.origin, at = depth * 11;
    for (let r = 0; r < 11; r++) saved[at + r] = origin[r]!;
    executeFrom(this, image, target, depth, this.insns);
    if (this.fault !== undefined) return false;
    for (let r = 0; r < 11; r++) origin[r] = saved[at + r]!;
    L[6] = l6; H[6] = h6; L[7] = l7; H[7] = h7; L[8] = l8; H[8] = h8; L[9] = l9; H[9] = h9;
    L[10] = stackFrameAddr(helperDepth) + STACK_FRAME_SIZE; H[10] = 0;
    this.image = image; this.pc = pc; this.exitPc = exitPc; this.depth = helperDepth;
    return true;
  }

  /** The modelled CPUs and the one the program runs on (bpf_get_smp_processor_id). */
  get cpu(): CpuModel {
    return this.mapEnv.cpu;
  }

  /** xorshift32 step. */
  nextRandom(): number {
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x >>> 0;
    return this.rngState;
  }
}
