import { ObjectError, UsageError } from '../errors.ts';
import { HELPER_NAMES } from '../isa/helper-ids.ts';
import { PseudoLd } from '../isa/opcode.ts';
import { loadObject, selectProgram } from '../object/load-object.ts';
import type { MapSpec, ObjectSpec, ProgramSpec, SourceLine } from '../object/types.ts';
import type { VmFault } from '../vm/fault.ts';
import { buildHelperTable, type HelperDef } from '../vm/helpers/helper-def.ts';
import { DYNPTR_HELPERS } from '../vm/helpers/dynptr-helpers.ts';
import { LOOP_HELPERS } from '../vm/helpers/loop-helpers.ts';
import { MAP_HELPERS } from '../vm/helpers/map-helpers.ts';
import { MISC_HELPERS } from '../vm/helpers/misc-helpers.ts';
import { PRINTK_HELPERS } from '../vm/helpers/printk-helpers.ts';
import { SOCKET_HELPERS } from '../vm/helpers/socket-helpers.ts';
import { STRING_HELPERS } from '../vm/helpers/string-helpers.ts';
import { SYNC_HELPERS } from '../vm/helpers/sync-helpers.ts';
import { TASK_HELPERS } from '../vm/helpers/task-helpers.ts';
import { execute } from '../vm/interpreter.ts';
import { ArrayMap } from '../vm/maps/array-map.ts';
import { createMap, type BindableMap } from '../vm/maps/create-map.ts';
import { RingbufMap } from '../vm/maps/ringbuf-map.ts';
import { hasPercpu, type MapEnv, type MapEvent } from '../vm/maps/vm-map.ts';
import { ProgArrayMap } from '../vm/maps/prog-array-map.ts';
import { MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, MemoryLayout, VmMemory, CTX_ADDR } from '../vm/memory.ts';
import { verifyProgram, type ProgramImage } from '../vm/verify.ts';
import { WasmEngine } from '../vm/wasm/runtime.ts';
import { newFixedMemory } from '../vm/wasm/wasm-api.ts';
import { Vm, type RedirectTarget, type TraceHook } from '../vm/vm.ts';
import { ETH_HLEN, MAX_LINEAR, XdpAction } from './constants.ts';
import { setupFrame, setupFrameAt } from './xdp-buffer.ts';
import { FIB_HELPERS } from './fib-lookup.ts';
import { XDP_HELPERS } from './xdp-helpers.ts';

/**
 * Load an XDP program into the reference interpreter and run packets through it, one at a
 * time, with map state persisting across packets (as on a NIC).
 *
 *   const prog = loadXdpProgram(objectSpec, { program: 'xdp_fw' });
 *   const r = prog.run(frame, { ifindex: 1, rxQueue: 0, tsNs: 123n });
 *
 * The result's `packet` is data … data_end as the program left it (plus any fragment bytes
 * of frames longer than 3520 bytes), `meta` is data_meta … data. The kernel's test-run
 * `data_out` is `meta` followed by `packet`.
 */

export const ALL_HELPERS: readonly (readonly HelperDef[])[] = [MAP_HELPERS, MISC_HELPERS, PRINTK_HELPERS, XDP_HELPERS, LOOP_HELPERS, TASK_HELPERS, SOCKET_HELPERS, STRING_HELPERS, SYNC_HELPERS, DYNPTR_HELPERS, FIB_HELPERS];

export interface XdpLoadOptions {
  /** Function or section name; default: the only XDP program. */
  program?: string;
  /** Seed for bpf_get_prandom_u32 (default 1). */
  seed?: number;
  /** Instruction budget per packet (default 1,000,000). */
  budget?: number;
  /**
   * `interp`: the reference interpreter. `wasm` and `auto` (default): the program compiled to
   * WebAssembly; a run with a trace hook (tracing, breakpoints, coverage) uses the interpreter.
   */
  engine?: 'auto' | 'interp' | 'wasm';
  /** CPUs modelled for per-CPU maps, LRU lists, perf event arrays and CPUMAP (default 1). */
  cpus?: number;
  /** CPU the program runs on, 0 … cpus − 1 (default 0); a run may override it. */
  cpu?: number;
  /**
   * Ring buffer reader: `between-packets` (default) consumes every record after each packet;
   * `none` never consumes, like a kernel test run without a reader (rings fill up).
   */
  ringbufConsumer?: 'between-packets' | 'none';
}

export interface XdpRunOptions {
  ifindex?: number;
  rxQueue?: number;
  /** Packet timestamp: what bpf_ktime_get_ns returns (default 0n). */
  tsNs?: bigint;
  /** CPU this packet runs on (default: the load option `cpu`). */
  cpu?: number;
  /**
   * Return `packet` as a view of the VM's memory instead of a copy: valid only until the next
   * run of this program (for pipelines that write each result at once; saves an allocation and
   * a copy per packet).
   */
  borrow?: boolean;
}

export interface XdpResult {
  /** Return value of the program (XdpAction.* for sane programs; XDP_ABORTED on a fault). */
  action: number;
  /** data … data_end after the program (+ fragment bytes for frames > 3520 bytes). */
  packet: Uint8Array;
  /** data_meta … data (empty unless bpf_xdp_adjust_meta was used). */
  meta: Uint8Array;
  /** Slot index of the exit (or faulting) instruction, in `exitProgram`. */
  exitInsn: number;
  /** Program whose image holds exitInsn (differs from the entry after a tail call). */
  exitProgram: string;
  line?: SourceLine;
  /**
   * Where the returned value was made (in `exitProgram`): the constant, load or helper call whose
   * value reached r0 through register moves — the `return XDP_DROP;` that a shared epilogue hides
   * from `exitInsn`. Undefined after a fault or when r0 was computed by arithmetic only.
   */
  verdictInsn?: number;
  verdictLine?: SourceLine;
  /** Instructions executed (all programs of the invocation). */
  insns: number;
  helperCalls: number;
  tailCalls: number;
  /** bpf_trace_printk lines (one shared frozen empty array when none). */
  printk: readonly string[];
  fault?: VmFault;
  redirect?: RedirectTarget;
  /** Set when the frame was not run (e.g. shorter than 14 bytes): why. No side effects. */
  notRun?: string;
  /** Bytes beyond the 3520 linear ones, kept as fragments (the kernel's multi-buffer frame). */
  fragBytes?: number;
  /** Records of bpf_ringbuf_output/submit and bpf_perf_event_output, in order (absent when none). */
  events?: MapEvent[];
}

/** Host-side access to one map (tests, seeding, dumping). */
export interface XdpMapHandle {
  readonly spec: MapSpec;
  lookup(key: Uint8Array): Uint8Array | undefined;
  /** As userspace's update: a per-CPU map takes value_size bytes for every CPU, or one 8-byte-aligned slot per CPU. */
  update(key: Uint8Array, value: Uint8Array, flags?: number): number;
  delete(key: Uint8Array): number;
  entries(): [Uint8Array, Uint8Array][];
  /** Per-CPU maps: every modelled CPU's value (update: one value = all CPUs). */
  percpu?: {
    update(key: Uint8Array, values: readonly Uint8Array[], flags?: number): number;
    entries(): [Uint8Array, Uint8Array[]][];
  };
}

/**
 * A host-side per-CPU value: value_size bytes (every CPU gets it) or, as userspace passes it to
 * the kernel, one round_up(value_size, 8) slot per CPU.
 */
function splitPercpu(value: Uint8Array, valueSize: number): Uint8Array[] {
  const stride = (valueSize + 7) & ~7;
  if (value.length <= valueSize || value.length % stride !== 0) return [value];
  const out: Uint8Array[] = [];
  for (let at = 0; at < value.length; at += stride) out.push(value.subarray(at, at + valueSize));
  return out;
}

export class XdpMaps {
  private readonly byName = new Map<string, XdpMapHandle>();

  constructor(maps: readonly BindableMap[], mem: VmMemory) {
    for (const m of maps) {
      const handle: XdpMapHandle = {
        spec: m.spec,
        lookup: (key) => {
          const a = 'peek' in m && typeof m.peek === 'function' ? (m.peek as (k: Uint8Array) => number)(key) : m.lookup(key);
          return a === 0 ? undefined : mem.u8.slice(a, a + m.spec.valueSize);
        },
        update: (key, value, flags = 0) => (hasPercpu(m) ? m.updateAll(key, splitPercpu(value, m.spec.valueSize), flags) : m.update(key, value, flags)),
        delete: (key) => m.delete(key),
        entries: () => m.entries(),
      };
      if (hasPercpu(m)) handle.percpu = { update: (key, values, flags = 0) => m.updateAll(key, values, flags), entries: () => m.entriesAll() };
      this.byName.set(m.spec.name, handle);
      if (m.spec.section !== '.maps' && m.spec.section !== 'maps' && !this.byName.has(m.spec.section)) this.byName.set(m.spec.section, handle);
    }
  }

  /** By map name; global data also by section name (`.bss`, `.data`, `.rodata`). */
  get(name: string): XdpMapHandle | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...new Set([...this.byName.values()].map((h) => h.spec.name))];
  }
}

export class XdpProgram {
  readonly object: ObjectSpec;
  readonly program: ProgramSpec;
  readonly image: ProgramImage;
  readonly maps: XdpMaps;
  readonly vm: Vm;
  /** The VM store as a Buffer (same memory, no copy; the store never grows): native copies out of it. */
  private readonly memBytes: Buffer;
  readonly mapEnv: MapEnv;
  /** The engine plain runs use (a trace hook switches a run to the interpreter). */
  readonly engine: 'interp' | 'wasm';
  private readonly wasm: WasmEngine | undefined;
  private readonly defaultCpu: number;
  /**
   * The host area: 2 × HOST_HALF_BYTES of the VM store that no program or helper can reach
   * (MemoryLayout.reserveHost). stage() copies packets into the first half for runAt(); the
   * second, from hostOut, is the caller's (a replay builds its output blocks there).
   */
  private readonly hostArea: number;
  readonly hostOut: number;
  private readonly endPacket: BindableMap[];

  constructor(object: ObjectSpec, options: XdpLoadOptions = {}) {
    this.object = object;
    this.program = selectProgram(object, options.program);
    const layout = new MemoryLayout();
    const programNames = object.programs.map((p) => p.name);
    const cpus = options.cpus ?? 1;
    const cpu = options.cpu ?? 0;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new UsageError(`cpus must be an integer 1…4096, got ${cpus}`);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) throw new UsageError(`cpu must be an integer 0…${cpus - 1}, got ${cpu}`);
    const mapNames = object.maps.map((m) => m.name);
    this.mapEnv = { cpu: { cpus, cpu }, events: [], mapIndex: (name) => mapNames.indexOf(name) };
    const maps = object.maps.map((spec, i) => createMap(spec, i, layout, programNames, this.mapEnv, object.maps.length));
    for (const m of maps) if (m instanceof RingbufMap) m.consumer = options.ringbufConsumer ?? 'between-packets';
    this.defaultCpu = cpu;
    this.endPacket = maps.filter((m) => m.endPacket !== undefined);
    this.hostArea = layout.reserveHost(2 * HOST_HALF_BYTES);
    this.hostOut = this.hostArea + HOST_HALF_BYTES;
    const wasmMemory = newFixedMemory(layout.byteLength);
    const mem = new VmMemory(layout, wasmMemory.buffer);
    for (const m of maps) m.bind?.(mem);
    const helpers = buildHelperTable(ALL_HELPERS);
    this.vm = new Vm(mem, maps, helpers, { budget: options.budget ?? 1_000_000, seed: options.seed ?? 1 });
    this.vm.mapEnv = this.mapEnv;
    const verifyOptions = {
      helperImplemented: (id: number) => helpers[id] !== undefined,
      helperName: (id: number) => HELPER_NAMES[id],
      resolveLddw: (src: number, imm: number, offset: number, pc: number): [number, number] => {
        const map = maps[imm];
        if (map === undefined) throw new ObjectError('VERIFY', `program: insn ${pc}: lddw refers to map index ${imm}, but the object has ${maps.length} maps`);
        if (src === PseudoLd.MAP_FD || src === PseudoLd.MAP_IDX) return [MAP_HANDLE_BASE + imm * MAP_HANDLE_STRIDE, 0];
        const region = map instanceof ArrayMap && map.spec.maxEntries === 1 ? map.region : undefined;
        if (region === undefined) {
          throw new ObjectError('VERIFY', `insn ${pc}: lddw of a value address in map "${map.spec.name}", which has no direct value`);
        }
        if (offset < 0 || offset >= map.spec.valueSize) throw new ObjectError('VERIFY', `insn ${pc}: lddw offset ${offset} outside map "${map.spec.name}" (value size ${map.spec.valueSize})`);
        return [region.start + offset, 0];
      },
    };
    this.image = verifyProgram(this.program, verifyOptions);
    this.vm.images.set(this.program.name, this.image);
    // Tail-call targets: every program named by a PROG_ARRAY initialiser; the rest on demand.
    const targets = new Set<string>();
    for (const m of maps) if (m instanceof ProgArrayMap) for (const name of m.slots.values()) targets.add(name);
    for (const p of object.programs) {
      if (p === this.program) continue;
      try {
        this.vm.images.set(p.name, verifyProgram(p, verifyOptions));
      } catch (err) {
        if (targets.has(p.name)) throw err;
      }
    }
    this.maps = new XdpMaps(maps, mem);
    this.memBytes = Buffer.from(mem.u8.buffer, mem.u8.byteOffset, mem.u8.byteLength);
    // Every verified image compiles (the compiled engine models all of them), so auto = wasm.
    const wasm = options.engine === 'interp' ? undefined : new WasmEngine(this.vm, wasmMemory);
    if (wasm !== undefined) for (const image of this.vm.images.values()) wasm.compile(image);
    this.wasm = wasm;
    this.engine = wasm === undefined ? 'interp' : 'wasm';
  }

  set trace(hook: TraceHook | undefined) {
    this.vm.trace = hook;
  }

  run(frame: Uint8Array, options: XdpRunOptions = {}): XdpResult {
    const vm = this.vm;
    if (frame.length < ETH_HLEN) {
      return {
        action: XdpAction.ABORTED, packet: frame.slice(), meta: new Uint8Array(0), exitInsn: -1, exitProgram: this.program.name,
        line: undefined, verdictInsn: undefined, verdictLine: undefined, insns: 0, helperCalls: 0, tailCalls: 0, printk: [],
        fault: undefined, redirect: undefined,
        notRun: `frame of ${frame.length} bytes is shorter than the 14-byte Ethernet header (the kernel refuses it with EINVAL)`,
        fragBytes: undefined, events: undefined,
      };
    }
    this.begin(options.cpu ?? this.defaultCpu);
    vm.tsNs = options.tsNs ?? 0n;
    setupFrame(vm, frame, options.ifindex ?? 1, options.rxQueue ?? 0);
    this.execute();
    return this.result(frame.length, options.borrow === true);
  }

  /**
   * Copy bytes[from, to) (a run of packets in a reader's buffer) into the host area for runAt();
   * returns the store address of bytes[from], or -1 when they do not fit (HOST_HALF_BYTES).
   */
  stage(bytes: Uint8Array, from: number, to: number): number {
    if (to - from > HOST_HALF_BYTES) return -1;
    this.vm.mem.u8.set(bytes.subarray(from, to), this.hostArea);
    return this.hostArea;
  }

  /**
   * The per-packet path of a replay: run the frame of `length` bytes (≥ 14) at `addr` in the
   * host area (stage()), with the timestamp set by vm.setTimestamp() and the load option's
   * CPU, and leave the outcome in the VM. Then either result() builds the XdpResult or, when
   * plainRun() says there is nothing but a verdict to report, the caller reads vm.L[0],
   * vm.exitPc, vm.insns and vm.packet and calls endRun().
   */
  runAt(addr: number, length: number, ifindex: number, rxQueue: number): void {
    this.begin(this.defaultCpu);
    setupFrameAt(this.vm, addr, length, ifindex, rxQueue);
    this.execute();
  }

  /**
   * True when the last run ended at an exit of the entry program with nothing to report but its
   * verdict, exit and instruction count: no fault, tail call, redirect target, metadata,
   * fragments, printk line or ring buffer record. Its output frame is vm.packet.data … dataEnd.
   */
  plainRun(): boolean {
    const vm = this.vm, p = vm.packet;
    return vm.fault === undefined && vm.tailCalls === 0 && vm.redirect === undefined && p.dataMeta === p.data &&
      p.frags.length === 0 && vm.printk.length === 0 && this.mapEnv.events.length === 0;
  }

  /** The verdict's origin after a plain run (-1: unknown). */
  get verdictOrigin(): number {
    return this.vm.origin[0]!;
  }

  /** The end of a run whose result was not asked for (after plainRun()): per-packet map housekeeping. */
  endRun(): void {
    for (const m of this.endPacket) m.endPacket!();
  }

  private begin(cpu: number): void {
    const vm = this.vm;
    vm.resetRun();
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.mapEnv.cpu.cpus) throw new UsageError(`cpu must be an integer 0…${this.mapEnv.cpu.cpus - 1}, got ${cpu}`);
    this.mapEnv.cpu.cpu = cpu;
    if (this.mapEnv.events.length > 0) this.mapEnv.events = [];
  }

  private execute(): void {
    const vm = this.vm;
    // The compiled code sets r1 = ctx, the other registers and the origins itself.
    if (this.wasm !== undefined && vm.trace === undefined) this.wasm.executeFresh(vm, this.image, CTX_ADDR);
    else {
      vm.resetRegisters();
      vm.L[1] = CTX_ADDR;
      execute(vm, this.image);
    }
  }

  /**
   * The XdpResult of the last run, of a frame of `frameLength` bytes; `borrow`: as XdpRunOptions.
   * Ends the run (endRun()).
   */
  result(frameLength: number, borrow: boolean): XdpResult {
    const vm = this.vm;
    const L = vm.L;
    const p = vm.packet;
    const u8 = vm.mem.u8;
    const fault = vm.fault;
    const image = vm.image ?? this.image;
    const exitInsn = fault === undefined ? vm.exitPc : fault.pc;
    // Buffer.allocUnsafe takes small arrays from a pool: several times cheaper per packet than
    // slice() or new Uint8Array(), which each allocate a fresh ArrayBuffer (measured ~0.3 vs ~1.3 µs).
    const linear = p.dataEnd - p.data;
    let packet: Uint8Array;
    if (borrow && p.frags.length === 0) packet = vm.views.view(p.data, linear);
    else {
      packet = Buffer.allocUnsafe(linear + p.frags.length);
      this.memBytes.copy(packet, 0, p.data, p.dataEnd);
      if (p.frags.length > 0) packet.set(p.frags, linear);
    }
    // One object literal with every field present: results keep a single hidden class, so the
    // consumers' property reads stay monomorphic (optional fields added later made them megamorphic).
    const verdictInsn = fault === undefined && vm.origin[0]! >= 0 ? vm.origin[0]! : undefined;
    const result: XdpResult = {
      action: fault === undefined ? L[0]! >>> 0 : XdpAction.ABORTED,
      packet,
      meta: p.dataMeta === p.data ? NO_META : u8.slice(p.dataMeta, p.data),
      exitInsn,
      exitProgram: image.name,
      line: image.lines[exitInsn],
      verdictInsn,
      verdictLine: verdictInsn === undefined ? undefined : image.lines[verdictInsn],
      insns: vm.insns,
      helperCalls: vm.helperCalls,
      tailCalls: vm.tailCalls,
      // vm.printk is reused while empty (Vm.resetRun), so it must not escape then.
      printk: vm.printk.length === 0 ? NO_PRINTK : vm.printk,
      fault,
      redirect: vm.redirect,
      notRun: undefined,
      fragBytes: frameLength > MAX_LINEAR ? frameLength - MAX_LINEAR : undefined,
      events: this.mapEnv.events.length > 0 ? this.mapEnv.events : undefined,
    };
    this.endRun();
    return result;
  }
}

/** Each half of XdpProgram's host area (packets staged in, the caller's output). */
export const HOST_HALF_BYTES = 320 * 1024;

/** The empty metadata of most results (shared; never written to). */
const NO_META = new Uint8Array(0);
/** The printk lines of most results. */
const NO_PRINTK: readonly string[] = Object.freeze([]);

export function loadXdpProgram(object: ObjectSpec, options: XdpLoadOptions = {}): XdpProgram {
  return new XdpProgram(object, options);
}

/** Convenience: parse ELF bytes (object name from `name`, libbpf style) and load. */
export function loadXdpProgramFromElf(bytes: Uint8Array, options: XdpLoadOptions & { name?: string } = {}): XdpProgram {
  return new XdpProgram(loadObject(bytes, options.name === undefined ? {} : { name: options.name }), options);
}
