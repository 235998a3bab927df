import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { Errno, keyIndex, roundUp8, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * ARRAY and global
 * data (`.data`, `.bss`, `.rodata*`: one entry holding the section bytes). Values live in one
 * region of max_entries × round_up(value_size, 8) bytes (global data: exactly value_size),
 * preallocated and zeroed as in the kernel. Keys are u32 indices.
 */
export class ArrayMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  readonly stride: number;
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout) {
    this.spec = spec;
    this.index = index;
    const global = spec.initialValue !== undefined;
    this.stride = global ? spec.valueSize : roundUp8(spec.valueSize);
    const size = Math.max(1, this.stride * spec.maxEntries);
    this.region = layout.add(spec.name, global ? 'global' : 'map', size, !spec.readOnly, index);
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
    if (this.spec.initialValue !== undefined) mem.u8.set(this.spec.initialValue.subarray(0, this.spec.valueSize), this.region.start);
  }

  private get u8(): Uint8Array {
    return this.mem!.u8;
  }

  lookup(key: Uint8Array): number {
    const i = keyIndex(key);
    return i < this.spec.maxEntries ? this.region.start + i * this.stride : 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if ((flags & ~UpdateFlag.F_LOCK) > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = keyIndex(key);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if ((flags & UpdateFlag.NOEXIST) !== 0) return -Errno.EEXIST;
    // BPF_F_LOCK needs a bpf_spin_lock in the value; spin locks are not modelled.
    if ((flags & UpdateFlag.F_LOCK) !== 0) return -Errno.EINVAL;
    this.u8.set(value.subarray(0, this.spec.valueSize), this.region.start + i * this.stride);
    return 0;
  }

  delete(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }

  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < this.spec.maxEntries; i++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      const at = this.region.start + i * this.stride;
      out.push([key, this.u8.slice(at, at + this.spec.valueSize)]);
    }
    return out;
  }
}
