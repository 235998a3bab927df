import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { LruList } from './lru-list.ts';
import { SlotTable } from './slot-table.ts';
import { defaultMapEnv, Errno, roundUp8, UpdateFlag, type CpuModel, type MapEnv, type PercpuAccess, type VmMap } from './vm-map.ts';

const BPF_F_NO_COMMON_LRU = 2;

export interface HashMapOptions {
  lru: boolean;
  percpu?: boolean;
  env?: MapEnv;
}

/**
 * HASH, PERCPU_HASH and, with `lru`, LRU_HASH / LRU_PERCPU_HASH.
 *
 * Values live in a preallocated slab region (max_entries slots of round_up(value_size, 8);
 * per-CPU maps have one slab per modelled CPU, CPU c's value of slot s at
 * start + (c × max_entries + s) × stride). A SlotTable in the VM store indexes them
 * (slot-table.ts; the compiled engine reads it inline for HASH / PERCPU_HASH; LRU lookups stay
 * on the host, which marks the node referenced in its LRU lists).
 * A full map refuses a new key with -E2BIG (with or without BPF_F_NO_PREALLOC).
 * Divergence: the kernel's update of an existing key swaps in a fresh element (an old value
 * pointer keeps the old bytes); we update in place.
 *
 * Per-CPU: a program update of a new key sets the running CPU's value and zeroes the others
 * (the kernel's pcpu_init_value); of an existing key only the running CPU's value. A host
 * update sets every CPU.
 *
 * LRU: eviction as the kernel's LRU lists (common, or per CPU with BPF_F_NO_COMMON_LRU) — see
 * lru-list.ts.
 */
export class HashMap implements VmMap, PercpuAccess {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  readonly stride: number;
  readonly lru: boolean;
  readonly percpu: boolean;
  /** Value slots: max_entries (rounded up to a multiple of the CPUs for BPF_F_NO_COMMON_LRU). */
  readonly capacity: number;
  private readonly cpu: CpuModel;
  /** CPUs with a value slab (1 unless per-CPU). */
  readonly ncpus: number;
  /** The key index, in the store (LRU maps too; only HASH / PERCPU_HASH are read by compiled code). */
  readonly table: SlotTable;
  private readonly free: number[] = [];
  private readonly lruList: LruList | undefined;
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout, options: HashMapOptions) {
    this.spec = spec;
    this.index = index;
    this.lru = options.lru;
    this.percpu = options.percpu ?? false;
    this.cpu = (options.env ?? defaultMapEnv()).cpu;
    this.ncpus = this.percpu ? this.cpu.cpus : 1;
    this.stride = roundUp8(spec.valueSize);
    // BPF_F_NO_COMMON_LRU: the kernel rounds max_entries up to a multiple of the CPUs.
    const percpuLru = this.lru && (spec.flags & BPF_F_NO_COMMON_LRU) !== 0;
    this.capacity = percpuLru ? Math.ceil(spec.maxEntries / this.cpu.cpus) * this.cpu.cpus : spec.maxEntries;
    this.region = layout.add(spec.name, 'map', Math.max(1, this.stride * this.capacity * this.ncpus), !spec.readOnly, index);
    for (let i = this.capacity - 1; i >= 0; i--) this.free.push(i);
    const table = new SlotTable(spec.name, spec.keySize, this.capacity, layout, index);
    this.table = table;
    if (this.lru) {
      this.lruList = new LruList(spec.maxEntries, this.cpu.cpus, percpuLru);
      this.lruList.evict = (node) => {
        if (!table.has(node)) return false;
        table.removeSlot(node);
        return true;
      };
    }
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
    this.table.bind(mem.buffer);
  }

  get size(): number {
    return this.table.size;
  }

  /** Slot of a key, or -1 (no LRU reference). */
  private slotOf(key: Uint8Array): number {
    return this.table.find(key);
  }

  private addr(slot: number, cpu: number): number {
    return this.region.start + ((this.percpu ? cpu : 0) * this.capacity + slot) * this.stride;
  }

  /** Address of a key's value on `cpu` (map_lookup_percpu_elem), 0 when absent or cpu ≥ cpus. */
  lookupOnCpu(key: Uint8Array, cpu: number): number {
    if (!this.percpu || cpu >= this.ncpus) return 0;
    const slot = this.slotOf(key);
    if (slot < 0) return 0;
    this.lruList?.touch(slot);
    return this.addr(slot, cpu);
  }

  lookup(key: Uint8Array): number {
    const slot = this.slotOf(key);
    if (slot < 0) return 0;
    this.lruList?.touch(slot);
    return this.addr(slot, this.cpu.cpu);
  }

  /** Mark the node of `slot` referenced, as a program lookup does (the compiled engine's deferred LRU touches). */
  touch(slot: number): void {
    this.lruList?.touch(slot);
  }

  /** Host-side lookup: no LRU reference (the syscall path does not mark the element). */
  peek(key: Uint8Array): number {
    const slot = this.slotOf(key);
    return slot < 0 ? 0 : this.addr(slot, this.cpu.cpu);
  }

  private checkFlags(flags: number): boolean {
    // BPF_F_LOCK needs a bpf_spin_lock in the value (not modelled): -EINVAL like a value without one.
    return flags <= UpdateFlag.EXIST;
  }

  /**
   * Slot for key k and whether the key existed, or a negative errno. LRU maps follow
   * htab_lru_map_update_elem: a node is taken (possibly evicting) before the flags are checked
   * (LRU_PERCPU: unless BPF_EXIST); a plain LRU map puts the value in the new node, referenced,
   * and frees the old one.
   */
  private claim(key: Uint8Array, flags: number): [number, boolean] | number {
    const mode = flags & 3;
    const table = this.table;
    if (this.lruList !== undefined) {
      const list = this.lruList;
      list.cpu = this.cpu.cpu;
      const fresh = this.percpu && mode === UpdateFlag.EXIST ? -1 : list.pop();
      if (fresh < 0 && !(this.percpu && mode === UpdateFlag.EXIST)) return -Errno.ENOMEM;
      const old = table.find(key);
      const err = old >= 0 && mode === UpdateFlag.NOEXIST ? -Errno.EEXIST : old < 0 && mode === UpdateFlag.EXIST ? -Errno.ENOENT : 0;
      if (err !== 0 || (this.percpu && old >= 0)) {
        if (fresh >= 0) list.pushFree(fresh);
        if (err !== 0) return err;
        list.touch(old);
        return [old, true];
      }
      if (old < 0) table.insert(key, fresh);
      else {
        table.move(old, fresh); // the key keeps its place in the iteration order
        list.touch(fresh);
        list.pushFree(old);
      }
      return [fresh, false];
    }
    const slot = table.find(key);
    if (slot >= 0 && mode === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (slot < 0 && mode === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (slot >= 0) return [slot, true];
    const s = this.free.pop();
    if (s === undefined) return -Errno.E2BIG;
    table.insert(key, s);
    return [s, false];
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (!this.checkFlags(flags)) return -Errno.EINVAL;
    const got = this.claim(key, flags);
    if (typeof got === 'number') return got;
    const [slot, existed] = got;
    const u8 = this.mem!.u8;
    if (this.percpu && !existed) for (let c = 0; c < this.ncpus; c++) u8.fill(0, this.addr(slot, c), this.addr(slot, c) + this.stride);
    u8.set(value.subarray(0, this.spec.valueSize), this.addr(slot, this.cpu.cpu));
    return 0;
  }

  updateAll(key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    if (!this.checkFlags(flags)) return -Errno.EINVAL;
    const got = this.claim(key, flags);
    if (typeof got === 'number') return got;
    const slot = got[0];
    const u8 = this.mem!.u8;
    for (let c = 0; c < this.ncpus; c++) {
      const v = values[values.length === 1 ? 0 : c] ?? new Uint8Array(0);
      u8.fill(0, this.addr(slot, c), this.addr(slot, c) + this.stride);
      u8.set(v.subarray(0, this.spec.valueSize), this.addr(slot, c));
    }
    return 0;
  }

  delete(key: Uint8Array): number {
    const slot = this.table.remove(key);
    if (slot < 0) return -Errno.ENOENT;
    if (this.lruList !== undefined) { this.lruList.cpu = this.cpu.cpu; this.lruList.pushFree(slot); }
    else this.free.push(slot);
    return 0;
  }

  /** Keys in slot order (what bpf_for_each_map_elem and dumps walk). */
  keys(): Uint8Array[] {
    return this.occupied().map(([k]) => k);
  }

  /** (key, slot) in iteration order: insertion order of the keys present. */
  private occupied(): [Uint8Array, number][] {
    const table = this.table;
    return table.slots().map((slot) => [table.keyOf(slot), slot]);
  }

  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const [k, slot] of this.occupied()) {
      const at = this.addr(slot, this.cpu.cpu);
      out.push([k, this.mem!.u8.slice(at, at + this.spec.valueSize)]);
    }
    return out;
  }

  entriesAll(): [Uint8Array, Uint8Array[]][] {
    const out: [Uint8Array, Uint8Array[]][] = [];
    for (const [k, slot] of this.occupied()) {
      const values: Uint8Array[] = [];
      for (let c = 0; c < this.ncpus; c++) values.push(this.mem!.u8.slice(this.addr(slot, c), this.addr(slot, c) + this.spec.valueSize));
      out.push([k, values]);
    }
    return out;
  }
}
