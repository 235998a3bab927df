import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { defaultMapEnv, type MapEnv, type VmMap } from './vm-map.ts';

export const RINGBUF_HDR_SZ = 8;
export const RINGBUF_BUSY_BIT = 1 << 31;
export const RINGBUF_DISCARD_BIT = 1 << 30;
/** Largest record bpf_ringbuf_reserve accepts (UINT_MAX / 4). */
const MAX_RECORD = Math.floor(0xffffffff / 4);

/** bpf_ringbuf_query flags. */
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

interface RingRecord { pos: number; size: number; state: 'busy' | 'committed' | 'discarded' }

/**
 * RINGBUF: max_entries data bytes (a power of two). A record is an 8-byte header (u32 length
 * with BUSY bit 31 / DISCARD bit 30, u32 page offset — written as 0 here) then the sample,
 * the whole rounded up to 8 bytes. A reservation fails (NULL / -EAGAIN) when it would put the
 * producer position more than size − 1 bytes ahead of the consumer position.
 *
 * The region is twice the ring so a record that wraps stays contiguous (the kernel maps the
 * data pages twice for the same reason). Committed samples become events (in ring order, as a
 * consumer reads them). The consumer: `between-packets` (default) reads everything after each
 * packet, so each packet starts with an empty ring; `none` never reads, as in a kernel test run
 * without a reader, so the ring fills up.
 */
export class RingbufMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  readonly size: number;
  consumer: 'between-packets' | 'none' = 'between-packets';
  prodPos = 0;
  consPos = 0;
  private readonly env: MapEnv;
  private readonly records: RingRecord[] = [];
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout, env: MapEnv = defaultMapEnv()) {
    this.spec = spec;
    this.index = index;
    this.env = env;
    this.size = spec.maxEntries;
    this.region = layout.add(spec.name, 'map', Math.max(16, 2 * this.size), true, index);
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
  }

  /** Address of a new sample of `size` bytes, or 0. */
  reserve(size: number): number {
    if (size > MAX_RECORD || this.size === 0) return 0;
    const len = (size + RINGBUF_HDR_SZ + 7) & ~7;
    if (this.prodPos + len - this.consPos > this.size - 1) return 0;
    const at = this.region.start + (this.prodPos & (this.size - 1));
    const view = this.mem!.view;
    view.setUint32(at, (size | RINGBUF_BUSY_BIT) >>> 0, true);
    view.setUint32(at + 4, 0, true);
    this.records.push({ pos: this.prodPos, size, state: 'busy' });
    this.prodPos += len;
    return at + RINGBUF_HDR_SZ;
  }

  /** The record whose sample starts at `addr`, if it is still reserved. */
  private recordAt(addr: number): RingRecord | undefined {
    for (const r of this.records) if (r.state === 'busy' && this.region.start + (r.pos & (this.size - 1)) + RINGBUF_HDR_SZ === addr) return r;
    return undefined;
  }

  owns(addr: number): boolean {
    return this.recordAt(addr) !== undefined;
  }

  /** Submit (or discard) the sample at `addr`; false when it is not a live reservation. */
  commit(addr: number, discard: boolean): boolean {
    const r = this.recordAt(addr);
    if (r === undefined) return false;
    r.state = discard ? 'discarded' : 'committed';
    this.mem!.view.setUint32(addr - RINGBUF_HDR_SZ, (r.size | (discard ? RINGBUF_DISCARD_BIT : 0)) >>> 0, true);
    while (this.records.length > 0 && this.records[0]!.state !== 'busy') {
      const done = this.records.shift()!;
      if (done.state === 'committed') {
        const at = this.region.start + (done.pos & (this.size - 1)) + RINGBUF_HDR_SZ;
        this.env.events.push({ map: this.spec.name, data: this.mem!.u8.slice(at, at + done.size) });
      }
    }
    return true;
  }

  output(data: Uint8Array): boolean {
    const at = this.reserve(data.length);
    if (at === 0) return false;
    this.mem!.u8.set(data, at);
    this.commit(at, false);
    return true;
  }

  query(flags: number): number {
    switch (flags) {
      case RingbufQuery.AVAIL_DATA: return this.prodPos - this.consPos;
      case RingbufQuery.RING_SIZE: return this.size;
      case RingbufQuery.CONS_POS: return this.consPos;
      case RingbufQuery.PROD_POS: return this.prodPos;
      default: return 0;
    }
  }

  /** Called by the loader after each packet. */
  endPacket(): void {
    if (this.consumer === 'between-packets' && this.records.length === 0) this.consPos = this.prodPos;
  }

  lookup(_key: Uint8Array): number {
    return 0;
  }

  update(): number {
    return -22;
  }

  delete(): number {
    return -22;
  }

  entries(): [Uint8Array, Uint8Array][] {
    return [];
  }
}
