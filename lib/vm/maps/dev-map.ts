import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { Errno, keyIndex, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * DEVMAP: an array of optional targets, value = ifindex (u32) or struct bpf_devmap_val
 * (ifindex + program fd). Empty slots look up as NULL; redirect_map through an empty slot
 * returns the fallback action. Values are read-only to programs, as in the kernel.
 * An ifindex of 0 clears the slot. Devices are not validated (there are none).
 */
export class DevMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  readonly present = new Set<number>();
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout) {
    this.spec = spec;
    this.index = index;
    this.region = layout.add(spec.name, 'map', Math.max(1, spec.valueSize * spec.maxEntries), false, index);
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
  }

  /** Whether slot `index` holds a target (bpf_redirect_map's test, without a key buffer). */
  has(index: number): boolean {
    return this.present.has(index);
  }

  lookup(key: Uint8Array): number {
    const i = keyIndex(key);
    return this.present.has(i) ? this.region.start + i * this.spec.valueSize : 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if ((flags & ~UpdateFlag.F_LOCK) > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = keyIndex(key);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if ((flags & 3) === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    const v = value.subarray(0, this.spec.valueSize);
    this.mem!.u8.set(v, this.region.start + i * this.spec.valueSize);
    if (keyIndex(v) === 0) this.present.delete(i);
    else this.present.add(i);
    return 0;
  }

  delete(key: Uint8Array): number {
    const i = keyIndex(key);
    if (i >= this.spec.maxEntries) return -Errno.EINVAL;
    this.present.delete(i);
    return 0;
  }

  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const i of [...this.present].sort((a, b) => a - b)) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      const at = this.region.start + i * this.spec.valueSize;
      out.push([key, this.mem!.u8.slice(at, at + this.spec.valueSize)]);
    }
    return out;
  }
}
