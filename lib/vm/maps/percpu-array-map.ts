import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { defaultMapEnv, Errno, keyIndex, roundUp8, UpdateFlag, type CpuModel, type MapEnv, type PercpuAccess, type VmMap } from './vm-map.ts';

/**
 * PERCPU_ARRAY: max_entries values of round_up(value_size, 8) per modelled CPU, CPU c's value
 * of index i at start + (c × max_entries + i) × stride, preallocated and zeroed. Program
 * lookups and updates see the running CPU's value; a host update sets every CPU.
 */
export class PercpuArrayMap implements VmMap, PercpuAccess {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  readonly stride: number;
  readonly percpu = true;
  private readonly cpu: CpuModel;
  /** Modelled CPUs (with one, the layout is the plain array's: the compiled engine inlines lookups). */
  readonly ncpus: number;
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout, env: MapEnv = defaultMapEnv()) {
    this.spec = spec;
    this.index = index;
    this.cpu = env.cpu;
    this.ncpus = env.cpu.cpus;
    this.stride = roundUp8(spec.valueSize);
    this.region = layout.add(spec.name, 'map', Math.max(1, this.stride * spec.maxEntries * this.ncpus), !spec.readOnly, index);
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
  }

  private addr(i: number, cpu: number): number {
    return this.region.start + (cpu * this.spec.maxEntries + i) * this.stride;
  }

  lookup(key: Uint8Array): number {
    const i = keyIndex(key);
    return i < this.spec.maxEntries ? this.addr(i, this.cpu.cpu) : 0;
  }

  /** map_lookup_percpu_elem: 0 when the index or the CPU is out of range. */
  lookupOnCpu(key: Uint8Array, cpu: number): number {
    const i = keyIndex(key);
    return i < this.spec.maxEntries && cpu < this.ncpus ? this.addr(i, cpu) : 0;
  }

  private check(key: Uint8Array, flags: number): number {
    if ((flags & ~UpdateFlag.F_LOCK) > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (keyIndex(key) >= this.spec.maxEntries) return -Errno.E2BIG;
    if ((flags & UpdateFlag.NOEXIST) !== 0) return -Errno.EEXIST;
    return (flags & UpdateFlag.F_LOCK) !== 0 ? -Errno.EINVAL : 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const err = this.check(key, flags);
    if (err !== 0) return err;
    this.mem!.u8.set(value.subarray(0, this.spec.valueSize), this.addr(keyIndex(key), this.cpu.cpu));
    return 0;
  }

  updateAll(key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    const err = this.check(key, flags);
    if (err !== 0) return err;
    const i = keyIndex(key);
    for (let c = 0; c < this.ncpus; c++) {
      const v = values[values.length === 1 ? 0 : c] ?? new Uint8Array(0);
      this.mem!.u8.fill(0, this.addr(i, c), this.addr(i, c) + this.stride);
      this.mem!.u8.set(v.subarray(0, this.spec.valueSize), this.addr(i, c));
    }
    return 0;
  }

  delete(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }

  entries(): [Uint8Array, Uint8Array][] {
    return this.entriesAll().map(([k, v]) => [k, v[this.cpu.cpu]!]);
  }

  entriesAll(): [Uint8Array, Uint8Array[]][] {
    const out: [Uint8Array, Uint8Array[]][] = [];
    for (let i = 0; i < this.spec.maxEntries; i++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      const values: Uint8Array[] = [];
      for (let c = 0; c < this.ncpus; c++) values.push(this.mem!.u8.slice(this.addr(i, c), this.addr(i, c) + this.spec.valueSize));
      out.push([key, values]);
    }
    return out;
  }
}
