import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { Errno, keyFromString, keyString, roundUp8, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * HASH, PERCPU_HASH (one CPU) and, with `lru`, LRU_HASH / LRU_PERCPU_HASH.
 *
 * Values live in a preallocated slab region (max_entries slots of round_up(value_size, 8));
 * a JS Map from key bytes to slot indexes them. A full map refuses a new key with -E2BIG.
 * Divergence: the kernel's update of an existing key swaps in a fresh element (an old value
 * pointer keeps the old bytes); we update in place.
 *
 * LRU eviction (documented approximation): strict least-recently-used, where "use" is an
 * insert, an update, or a lookup from the program. The kernel's LRU is per-CPU-list based and
 * only approximately LRU (it evicts from the inactive list, rotating referenced nodes); on a
 * single CPU with no lookups between inserts both evict the oldest insert first.
 */
export class HashMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  readonly stride: number;
  readonly lru: boolean;
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout, options: { lru: boolean }) {
    this.spec = spec;
    this.index = index;
    this.lru = options.lru;
    this.stride = roundUp8(spec.valueSize);
    this.region = layout.add(spec.name, 'map', Math.max(1, this.stride * spec.maxEntries), !spec.readOnly, index);
    for (let i = spec.maxEntries - 1; i >= 0; i--) this.free.push(i);
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
  }

  get size(): number {
    return this.slots.size;
  }

  lookup(key: Uint8Array): number {
    const k = keyString(key.subarray(0, this.spec.keySize));
    const slot = this.slots.get(k);
    if (slot === undefined) return 0;
    if (this.lru) { this.slots.delete(k); this.slots.set(k, slot); }
    return this.region.start + slot * this.stride;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if ((flags & ~UpdateFlag.F_LOCK) > UpdateFlag.EXIST) return -Errno.EINVAL;
    const k = keyString(key.subarray(0, this.spec.keySize));
    let slot = this.slots.get(k);
    const mode = flags & 3;
    if (slot !== undefined && mode === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (slot === undefined && mode === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (slot === undefined) {
      slot = this.free.pop();
      if (slot === undefined) {
        if (!this.lru) return -Errno.E2BIG;
        const oldest = this.slots.keys().next().value as string;
        slot = this.slots.get(oldest)!;
        this.slots.delete(oldest);
      }
    } else if (this.lru) this.slots.delete(k);
    this.slots.set(k, slot);
    this.mem!.u8.set(value.subarray(0, this.spec.valueSize), this.region.start + slot * this.stride);
    return 0;
  }

  delete(key: Uint8Array): number {
    const k = keyString(key.subarray(0, this.spec.keySize));
    const slot = this.slots.get(k);
    if (slot === undefined) return -Errno.ENOENT;
    this.slots.delete(k);
    this.free.push(slot);
    return 0;
  }

  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const [k, slot] of this.slots) {
      const at = this.region.start + slot * this.stride;
      out.push([keyFromString(k), this.mem!.u8.slice(at, at + this.spec.valueSize)]);
    }
    return out;
  }
}
