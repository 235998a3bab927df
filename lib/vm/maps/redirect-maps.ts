import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { Errno, keyFromString, keyIndex, keyString, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * Redirect targets other than DEVMAP (dev-map.ts). None of them transmits anything here:
 * bpf_redirect_map only needs to know whether a key has a target (`has`).
 *
 * DEVMAP_HASH: any u32 key → ifindex or struct bpf_devmap_val (not validated); programs may
 * look values up (read-only). flags > BPF_EXIST → -EINVAL; an existing key with BPF_NOEXIST →
 * -EEXIST; a new key in a full map → -E2BIG (BPF_EXIST on a missing key inserts, as in the
 * kernel).
 */
export class DevMapHash implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout) {
    this.spec = spec;
    this.index = index;
    this.region = layout.add(spec.name, 'map', Math.max(1, spec.valueSize * spec.maxEntries), false, index);
    for (let i = spec.maxEntries - 1; i >= 0; i--) this.free.push(i);
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
  }

  has(key: number): boolean {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, key, true);
    return this.slots.has(keyString(k));
  }

  lookup(key: Uint8Array): number {
    const slot = this.slots.get(keyString(key.subarray(0, 4)));
    return slot === undefined ? 0 : this.region.start + slot * this.spec.valueSize;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const k = keyString(key.subarray(0, 4));
    let slot = this.slots.get(k);
    if (slot !== undefined && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (keyIndex(value) === 0) return -Errno.EINVAL;
    if (slot === undefined) {
      slot = this.free.pop();
      if (slot === undefined) return -Errno.E2BIG;
      this.slots.set(k, slot);
    }
    this.mem!.u8.set(value.subarray(0, this.spec.valueSize), this.region.start + slot * this.spec.valueSize);
    return 0;
  }

  delete(key: Uint8Array): number {
    const k = keyString(key.subarray(0, 4));
    const slot = this.slots.get(k);
    if (slot === undefined) return -Errno.ENOENT;
    this.slots.delete(k);
    this.free.push(slot);
    return 0;
  }

  entries(): [Uint8Array, Uint8Array][] {
    return [...this.slots].map(([k, slot]) => {
      const at = this.region.start + slot * this.spec.valueSize;
      return [keyFromString(k), this.mem!.u8.slice(at, at + this.spec.valueSize)];
    });
  }
}

/**
 * CPUMAP and XSKMAP: arrays of optional targets, host-side only (CPUMAP lookups are refused
 * by the verifier; an XSKMAP lookup would return the socket, of which there is none here:
 * it returns NULL).
 * CPUMAP value: struct bpf_cpumap_val (qsize, prog fd); qsize 0 empties the slot; a key of a
 * CPU that is not modelled → -ENODEV. XSKMAP value: an AF_XDP socket fd, here any non-zero
 * u32 marks the slot as bound. Both: key ≥ max_entries → -E2BIG, BPF_NOEXIST → -EEXIST,
 * flags > BPF_EXIST → -EINVAL.
 */
export class TargetArrayMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly kind: 'cpumap' | 'xskmap';
  private readonly cpus: number;
  private readonly slots = new Map<number, Uint8Array>();

  constructor(spec: MapSpec, index: number, kind: 'cpumap' | 'xskmap', cpus: number) {
    this.spec = spec;
    this.index = index;
    this.kind = kind;
    this.cpus = cpus;
  }

  has(key: number): boolean {
    return this.slots.has(key);
  }

  lookup(_key: Uint8Array): number {
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = keyIndex(key);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    const v = keyIndex(value);
    if (this.kind === 'cpumap' && i >= this.cpus) return -Errno.ENODEV;
    if (v === 0) {
      if (this.kind === 'xskmap') return -Errno.EINVAL;
      this.slots.delete(i);
      return 0;
    }
    this.slots.set(i, value.slice(0, this.spec.valueSize));
    return 0;
  }

  delete(key: Uint8Array): number {
    const i = keyIndex(key);
    if (i >= this.spec.maxEntries) return -Errno.EINVAL;
    return this.slots.delete(i) || this.kind === 'cpumap' ? 0 : -Errno.ENOENT;
  }

  entries(): [Uint8Array, Uint8Array][] {
    return [...this.slots].sort((a, b) => a[0] - b[0]).map(([i, v]) => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      return [key, v.slice()];
    });
  }
}
