/**
 * The VM's memory: ONE linear backing store where a virtual address IS the byte offset in the
 * store (so the WebAssembly engine can use the same store as its linear memory), carved into
 * regions listed in a region table. Every program access goes through `translate()`.
 *
 * Fixed layout (32-bit virtual addresses; clang loads ctx->data with 32-bit loads):
 *
 *   0x0000_0000 .. 0x0000_0fff  never mapped (NULL page); the host keeps the register file
 *                               (Vm.regs, REGS_ADDR) and the compiled engine its scratch page
 *                               (wasm/scratch.ts) in it, out of every program's and helper's reach
 *   0x0000_1000                 xdp_md context, 24 bytes (aligned u32 loads only, no writes)
 *   0x0000_2000 + k * 1024      stack frame k (k = 0..7), 512 bytes each; r10 = frame end.
 *                               The 512 bytes between two frames are unmapped guards, so an
 *                               overflow of any frame faults instead of landing in its neighbour.
 *   0x0000_5000                 packet page, 4096 bytes, laid out as the kernel's XDP test run
 *                               (see xdp/buffer.ts). Accessible part: data_meta .. data_end,
 *                               updated as the program moves them.
 *   0x0000_7000 ...             map values and global data, each region 16-byte aligned with a
 *                               64-byte unmapped guard after it.
 *   after the maps              optionally a host area (MemoryLayout.reserveHost): unmapped, for
 *                               the host's own copies (a replay stages records and EPBs there).
 *   0xf000_0000 + 16 * i        map handles (what `lddw rX, map` yields): never mapped.
 */

export const NULL_PAGE_END = 0x1000;
/** Vm.regs (48 int32s: low words, high words at +16, verdict origins at +32), shared by both engines. */
export const REGS_ADDR = 0x200;
export const REGS_WORDS = 48;
export const CTX_ADDR = 0x1000;
export const CTX_SIZE = 24;
export const STACK_BASE = 0x2000;
export const STACK_FRAME_SIZE = 512;
export const STACK_FRAME_STRIDE = 1024;
export const MAX_CALL_FRAMES = 8;
export const PACKET_PAGE_ADDR = 0x5000;
export const PACKET_PAGE_SIZE = 4096;
export const MAPS_BASE = 0x7000;
export const MAP_HANDLE_BASE = 0xf000_0000;
export const MAP_HANDLE_STRIDE = 16;
const REGION_ALIGN = 16;
const REGION_GUARD = 64;
/** Refuse layouts larger than this (map max_entries × value size): 1 GiB. */
export const MAX_MEMORY_BYTES = 1 << 30;

export type RegionKind = 'ctx' | 'stack' | 'packet' | 'map' | 'global';

export interface Region {
  readonly name: string;
  readonly kind: RegionKind;
  /** First byte (virtual address = store offset). */
  start: number;
  /** One past the last accessible byte (mutable for the packet region). */
  end: number;
  readonly writable: boolean;
  /** Index into ObjectSpec.maps for map/global regions. */
  readonly mapIndex?: number;
}

/** Stack frame k's first byte; r10 of that frame is this + STACK_FRAME_SIZE. */
export function stackFrameAddr(depth: number): number {
  return STACK_BASE + depth * STACK_FRAME_STRIDE;
}

/** Plans map/global regions before the store exists (the store is allocated once). */
export class MemoryLayout {
  readonly regions: Region[] = [];
  private next = MAPS_BASE;

  constructor() {
    this.regions.push({ name: 'ctx', kind: 'ctx', start: CTX_ADDR, end: CTX_ADDR + CTX_SIZE, writable: false });
    for (let k = 0; k < MAX_CALL_FRAMES; k++) {
      const start = stackFrameAddr(k);
      this.regions.push({ name: `stack[${k}]`, kind: 'stack', start, end: start + STACK_FRAME_SIZE, writable: true });
    }
    this.regions.push({ name: 'packet', kind: 'packet', start: PACKET_PAGE_ADDR, end: PACKET_PAGE_ADDR, writable: true });
  }

  /** Reserve `size` bytes; returns the region (its start is the virtual address). */
  add(name: string, kind: 'map' | 'global', size: number, writable: boolean, mapIndex: number): Region {
    const start = this.next;
    const end = start + size;
    if (end > MAX_MEMORY_BYTES) throw new RangeError(`VM memory layout exceeds ${MAX_MEMORY_BYTES} bytes at map "${name}"`);
    const region: Region = { name, kind, start, end, writable, mapIndex };
    this.regions.push(region);
    this.next = Math.ceil((end + REGION_GUARD) / REGION_ALIGN) * REGION_ALIGN;
    return region;
  }

  /**
   * Reserve `size` bytes after every region added so far that no region covers, so no program
   * or helper can reach them; returns their start. Call after the last add().
   */
  reserveHost(size: number): number {
    const start = Math.ceil(this.next / 4096) * 4096;
    if (start + size > MAX_MEMORY_BYTES) throw new RangeError(`VM memory layout exceeds ${MAX_MEMORY_BYTES} bytes with a host area of ${size} bytes`);
    this.next = start + size;
    return start;
  }

  /** Total store size, rounded up to 64 KiB (WebAssembly page size). */
  get byteLength(): number {
    return Math.ceil(this.next / 65536) * 65536;
  }
}

/**
 * The backing store plus the region table. `translate` is the single access check.
 * Regions are few (ctx, 8 stack frames, packet, one per map), so a linear scan with the hot
 * regions first is fast enough; the last hit is tried first.
 */
export class VmMemory {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly view: DataView;
  readonly regions: readonly Region[];
  readonly packet: Region;
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly flags: Uint8Array;
  private last = 1;
  private readonly packetIndex: number;
  /** The packet window (data_meta .. data_end) as plain numbers; read them, change them only through setPacketWindow(). */
  pkStart = 0;
  pkEnd = 0;
  /**
   * The map or global region translate() last found: loads inside [hotStart, hotEnd) and
   * stores inside [hotStart, hotWriteEnd) are allowed (the interpreter tests them inline before
   * calling translate()). Never the context, stack or packet region; empty until the first hit.
   */
  hotStart = 0;
  hotEnd = 0;
  hotWriteEnd = 0;

  constructor(layout: MemoryLayout, buffer?: ArrayBuffer) {
    this.buffer = buffer ?? new ArrayBuffer(layout.byteLength);
    if (this.buffer.byteLength < layout.byteLength) throw new RangeError('VM memory buffer too small for the layout');
    this.u8 = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.regions = layout.regions;
    this.packetIndex = layout.regions.findIndex((r) => r.kind === 'packet');
    this.packet = layout.regions[this.packetIndex]!;
    const n = this.regions.length;
    this.starts = new Float64Array(n);
    this.ends = new Float64Array(n);
    this.flags = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.regions[i]!;
      this.starts[i] = r.start;
      this.ends[i] = r.end;
      this.flags[i] = (r.writable ? 2 : 0) | (r.kind === 'ctx' ? 4 : 0) | (r.kind === 'map' || r.kind === 'global' ? 8 : 0);
    }
  }

  /** Move the packet region's accessible window (data_meta .. data_end). */
  setPacketWindow(start: number, end: number): void {
    this.packet.start = start;
    this.packet.end = end;
    this.pkStart = start;
    this.pkEnd = end;
    this.starts[this.packetIndex] = start;
    this.ends[this.packetIndex] = end;
  }

  /**
   * Check an access of `size` bytes at virtual address `addr` (a non-negative integer).
   * Returns 0 when allowed, else a fault kind code (see FaultCode in fault.ts):
   * 1 = outside every region, 2 = write to a read-only region, 3 = bad context access.
   * Context: only aligned 4-byte loads of fields 0..19 (egress_ifindex is not readable from
   * a plain XDP program), never writes, never from helpers (`helper` true).
   */
  translate(addr: number, size: number, write: boolean, helper = false): number {
    const end = addr + size;
    // Fast paths: the packet window, then the stack frames (512 B used of every 1024 B).
    if (addr >= this.pkStart && end <= this.pkEnd) return 0;
    if (addr >= STACK_BASE && end <= STACK_BASE + MAX_CALL_FRAMES * STACK_FRAME_STRIDE) {
      return ((addr - STACK_BASE) & (STACK_FRAME_STRIDE - 1)) + size <= STACK_FRAME_SIZE ? 0 : 1;
    }
    let i = this.last;
    if (!(addr >= this.starts[i]! && end <= this.ends[i]!)) {
      // The stack frames and the packet window are decided above: only the context (region 0)
      // and the map/global regions after the packet's remain.
      const n = this.starts.length;
      if (addr >= CTX_ADDR && end <= CTX_ADDR + CTX_SIZE) i = 0;
      else {
        for (i = this.packetIndex + 1; i < n; i++) if (addr >= this.starts[i]! && end <= this.ends[i]!) break;
        if (i === n) return 1;
      }
      this.last = i;
    }
    const f = this.flags[i]!;
    if (f & 8) {
      this.hotStart = this.starts[i]!;
      this.hotEnd = this.ends[i]!;
      this.hotWriteEnd = f & 2 ? this.hotEnd : this.hotStart;
    }
    if (f & 4) return !write && !helper && size === 4 && (addr & 3) === 0 && addr - CTX_ADDR < 20 ? 0 : 3;
    if (write && !(f & 2)) return 2;
    return 0;
  }

  /** The region containing `addr`, else where it is relative to the nearest region (for fault messages). */
  regionNear(addr: number): string {
    if (addr < NULL_PAGE_END) return 'null';
    if (addr >= MAP_HANDLE_BASE) return 'map-handle';
    let best: Region | undefined;
    let bestDist = Infinity;
    for (const r of this.regions) {
      if (addr >= r.start && addr < r.end) return r.name;
      const dist = addr < r.start ? r.start - addr : addr - r.end;
      if (dist < bestDist) { best = r; bestDist = dist; }
    }
    if (best === undefined) return 'unmapped';
    return addr < best.start ? `${bestDist} bytes before ${best.name}` : `${bestDist} bytes after ${best.name}`;
  }
}
