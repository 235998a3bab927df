import { faultKindOf } from '../fault.ts';
import { ArrayMap } from '../maps/array-map.ts';
import { HashMap } from '../maps/hash-map.ts';
import { PercpuArrayMap } from '../maps/percpu-array-map.ts';
import { CALLBACK_HELPER_IDS } from '../helpers/helper-def.ts';
import { MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, MAX_CALL_FRAMES, STACK_BASE, STACK_FRAME_SIZE, STACK_FRAME_STRIDE } from '../memory.ts';
import type { ProgramImage } from '../verify.ts';
import type { Vm } from '../vm.ts';
import { compileImage, Entry, type InlineArrayMap, type InlineHashMap, type ValueMap } from './compile.ts';
import { FRAME_BYTES, FRAMES, HelperStatus, INFO, Status, TOUCH_CAP, TOUCH_LOG } from './scratch.ts';
import { Wasm, WASM_PAGE_SIZE, type WasmMemory } from './wasm-api.ts';

/**
 * The compiled engine for one Vm: compiles each program image once (lazily for tail-call
 * targets), and `execute(vm, image)` is a drop-in replacement for the interpreter's
 * `execute()` — same contract: r0..r9 set by the caller in vm.L/vm.H, the result r0 in
 * vm.L[0]/vm.H[0], vm.origin, vm.insns, vm.exitPc, vm.image, vm.fault. The compiled code
 * reads and writes vm.regs in place (it lives in the VM store, see scratch.ts REGS): nothing
 * is copied in or out. After a run r1..r10 in vm.regs are unspecified (nothing reads them; the
 * tracer, which does, runs on the interpreter).
 */

type RunFn = (pc: number, count: number, budget: number, depth: number, entry: number, r1: number) => number;

// Status codes as plain module constants (read once, not through the namespace on every run).
const EXIT = Status.EXIT, MEM_FAULT = Status.MEM_FAULT, BUDGET = Status.BUDGET, CALL_DEPTH = Status.CALL_DEPTH;
const HELPER_FAULT = Status.HELPER_FAULT, TAIL_CALL = Status.TAIL_CALL, RETURN = Status.RETURN;
const FRESH = Entry.FRESH, RELOAD = Entry.RELOAD, RESUME = Entry.RESUME;

/** The call depth whose frame r10 (as an unsigned 32-bit value) points into. */
function frameDepth(r10: number): number {
  return ((r10 >>> 0) - STACK_BASE - STACK_FRAME_SIZE) / STACK_FRAME_STRIDE;
}
const H_OK = HelperStatus.OK, H_FAULT = HelperStatus.FAULT, H_TAIL = HelperStatus.TAIL_CALL;

export interface CompiledImage {
  readonly image: ProgramImage;
  readonly bytes: Uint8Array;
  readonly run: RunFn;
}

const HELPER_MAP_LOOKUP_ELEM = 1;
const BPF_F_WRONLY_PROG = 0x100;
/** Hash keys up to 64 bytes are looked up inline (the compare is unrolled per word). */
const MAX_INLINE_KEY_WORDS = 16;
/** Offsets into values are tracked up to this size (known-values.ts encodes them in 19 bits). */
const MAX_TRACKED_VALUE = 1 << 18;

export class WasmEngine {
  private readonly vm: Vm;
  private readonly memory: WasmMemory;
  private readonly compiled = new Map<ProgramImage, CompiledImage>();
  private readonly info: Int32Array;
  /** The LRU touch log (scratch.ts TOUCH_LOG): count, then (map index, slot) pairs. */
  private readonly touches: Int32Array;
  /** The last image executed (skips the map lookup of compile()). */
  private last: CompiledImage | undefined;
  /** Compiled images by id − 1 (the id a call frame records, see scratch.ts FRAMES). */
  private readonly byId: CompiledImage[] = [];
  /** The call frames (scratch FRAMES) as i32 words. */
  private readonly frames: Int32Array;

  constructor(vm: Vm, memory: WasmMemory) {
    if (memory.buffer !== vm.mem.buffer) throw new RangeError('wasm engine: the memory is not the VM store');
    this.vm = vm;
    this.memory = memory;
    this.info = new Int32Array(vm.mem.buffer, INFO, 9);
    this.touches = new Int32Array(vm.mem.buffer, TOUCH_LOG, 2 + 2 * TOUCH_CAP);
    this.frames = new Int32Array(vm.mem.buffer, FRAMES, (MAX_CALL_FRAMES * FRAME_BYTES) / 4);
  }

  /** Mark the LRU nodes inlined lookups hit (in order), then empty the log. */
  private flushTouches(): void {
    const t = this.touches, n = t[0]!, maps = this.vm.maps;
    for (let k = 0; k < n; k++) (maps[t[2 + 2 * k]!] as HashMap).touch(t[3 + 2 * k]!);
    t[0] = 0;
  }

  /** Compile (or fetch) the module for `image`. */
  compile(image: ProgramImage): CompiledImage {
    const have = this.compiled.get(image);
    if (have !== undefined) return have;
    const arrayMaps: InlineArrayMap[] = [];
    const hashMaps: InlineHashMap[] = [];
    const valueMaps: (ValueMap | undefined)[] = [];
    this.vm.maps.forEach((m, i) => {
      if ((m instanceof ArrayMap || m instanceof PercpuArrayMap || m instanceof HashMap) && m.spec.valueSize < MAX_TRACKED_VALUE) valueMaps[i] = { valueSize: m.spec.valueSize, writable: m.region.writable };
      // BPF_F_WRONLY_PROG maps fault on a program lookup: the helper reports that.
      if ((m.spec.flags & BPF_F_WRONLY_PROG) !== 0) return;
      const handle = MAP_HANDLE_BASE + i * MAP_HANDLE_STRIDE;
      if ((m instanceof ArrayMap || (m instanceof PercpuArrayMap && m.ncpus === 1)) && m.spec.keySize === 4) arrayMaps.push({ handle, start: m.region.start, stride: m.stride, maxEntries: m.spec.maxEntries });
      const t = m instanceof HashMap && m.ncpus === 1 ? m.table : undefined;
      if (m instanceof HashMap && t !== undefined && t.keySize >= 1 && t.keyWords <= MAX_INLINE_KEY_WORDS) {
        const inline: InlineHashMap = { handle, start: m.region.start, stride: m.stride, keySize: t.keySize, keyWords: t.keyWords, bucketsAt: t.bucketsAt, mask: t.mask, keysAt: t.keysAt };
        // LRU hits are logged and marked by the host (flushTouches) before its next map operation.
        if (m.lru) inline.lru = { index: i };
        hashMaps.push(inline);
      }
    });
    // Ids from 1: a call frame records the image that pushed it (0 is no image).
    const imageId = this.byId.length + 1;
    const bytes = compileImage(image, { regions: this.vm.mem.regions, pages: this.vm.mem.buffer.byteLength / WASM_PAGE_SIZE, arrayMaps, hashMaps, valueMaps, imageId });
    const vm = this.vm, L = vm.L, info = this.info, touches = this.touches;
    const callsBack = new Uint8Array(256);
    for (const id of CALLBACK_HELPER_IDS) callsBack[id] = 1;
    // r0..r5 are in vm.regs already (spilled there by the compiled code), r0 is read back from it.
    const helper = (id: number, pc: number): number => {
      if (touches[0] !== 0) this.flushTouches();
      vm.image = image; vm.pc = pc; vm.helperCalls++; vm.helperTotals[id]!++;
      if (callsBack[id] === 1) {
        // Callbacks run on the interpreter (Vm.callback): exact count and the caller's frame in, count out.
        vm.insns = info[2]!;
        vm.depth = frameDepth(L[10]!);
        vm.helpers[id]!(vm);
        info[2] = vm.insns;
      } else vm.helpers[id]!(vm);
      if (vm.fault !== undefined) return H_FAULT;
      return vm.tailTarget !== undefined ? H_TAIL : H_OK;
    };
    const module = new Wasm.Module(bytes);
    const instance = new Wasm.Instance(module, { env: { mem: this.memory, helper } });
    const c: CompiledImage = { image, bytes, run: instance.exports['run'] as RunFn };
    this.compiled.set(image, c);
    this.byId.push(c);
    return c;
  }

  /** Run `entry` with r0..r9 as the caller set them in vm.regs (the interpreter's contract). */
  execute(vm: Vm, entry: ProgramImage): void {
    this.start(vm, entry, RELOAD, 0);
  }

  /**
   * Run `entry` with r1 = `r1` (a 32-bit address, e.g. the context) and every other register
   * 0: the packet path. The compiled code sets the registers and origins itself, so the caller
   * needs no Vm.resetRegisters().
   */
  executeFresh(vm: Vm, entry: ProgramImage, r1: number): void {
    this.start(vm, entry, FRESH, r1);
  }

  private start(vm: Vm, entry: ProgramImage, entryMode: number, r1: number): void {
    const info = this.info;
    let c = this.last;
    if (c === undefined || c.image !== entry) c = this.last = this.compile(entry);
    let mode = entryMode;
    let count = 0, pc = 0, depth = 0;
    for (;;) {
      const status = c.run(pc, count, vm.budget, depth, mode, r1);
      if (this.touches[0] !== 0) this.flushTouches();
      const inlined = info[8]!; // the only helper calls made inside wasm: inlined map lookups
      if (inlined !== 0) { vm.helperCalls += inlined; vm.helperTotals[HELPER_MAP_LOOKUP_ELEM] += inlined; }
      count = info[2]!;
      vm.insns = count;
      switch (status) {
        case EXIT:
          // r0 and the verdict origins are in vm.regs already.
          vm.image = c.image; vm.exitPc = info[1]!;
          return;
        case MEM_FAULT: {
          vm.image = c.image; vm.pc = info[1]!;
          const size = info[6]!, write = info[7] === 1;
          const addr = (info[4]! >>> 0) + info[5]! * 4294967296;
          vm.setFault(faultKindOf(info[3]!), addr, size, `${write ? 'store' : 'load'} of ${size} bytes`);
          return;
        }
        case BUDGET:
          vm.image = c.image; vm.pc = info[1]!;
          vm.setFault('budget', 0, 0, `instruction budget of ${vm.budget} exhausted`);
          return;
        case CALL_DEPTH:
          vm.image = c.image; vm.pc = info[1]!;
          vm.setFault('call-depth', 0, 0, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
          return;
        case HELPER_FAULT:
          return;
        case TAIL_CALL: {
          // The target starts at insn 0 in the caller's frame (also inside a bpf-to-bpf
          // function: its exit then returns to that function's caller, see RETURN).
          const target = vm.tailTarget!;
          vm.tailTarget = undefined;
          mode = RELOAD; // registers as the tail call left them, origins reset
          pc = 0;
          depth = frameDepth(vm.L[10]!);
          c = this.compile(target);
          break;
        }
        case RETURN: {
          // A tail-called program returned into another image's function call: resume the caller.
          depth = frameDepth(vm.L[10]!);
          pc = info[1]!;
          c = this.byId[this.frames[(depth * FRAME_BYTES) / 4 + 1]! - 1]!;
          mode = RESUME; // registers and origins as the exit restored them
          info[8] = 0; // inlined lookups already counted
          break;
        }
        default:
          throw new Error(`wasm engine: unknown run status ${status}`);
      }
    }
  }
}
