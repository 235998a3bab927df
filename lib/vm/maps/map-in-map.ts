import { MapType, type MapSpec } from '../../object/types.ts';
import { MAP_HANDLE_BASE, MAP_HANDLE_STRIDE } from '../memory.ts';
import { defaultMapEnv, Errno, keyFromString, keyIndex, keyString, UpdateFlag, type MapEnv, type VmMap } from './vm-map.ts';

/**
 * ARRAY_OF_MAPS and HASH_OF_MAPS. A value is an inner map: on the host side the u32 index of
 * a map of the object (the kernel takes a map fd; map state JSON takes the map's name); a
 * program lookup returns the inner map's handle — the same value `lddw` gives for that map —
 * which every map helper accepts, or NULL for an empty slot. Programs cannot update or delete
 * (the verifier refuses). The `.values` initialisers of the object fill the slots.
 * Array: key ≥ max_entries → -E2BIG, BPF_NOEXIST → -EEXIST, delete empties the slot.
 * Hash: a new key in a full map → -E2BIG; BPF_NOEXIST / BPF_EXIST as for HASH.
 * Not checked: that the inner map is compatible with the template (the kernel refuses an
 * incompatible fd with -EINVAL).
 */
export class MapInMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly hash: boolean;
  private readonly slots = new Map<string, number>();
  private readonly mapCount: number;

  constructor(spec: MapSpec, index: number, mapCount: number, env: MapEnv = defaultMapEnv()) {
    this.spec = spec;
    this.index = index;
    this.hash = spec.type === MapType.HASH_OF_MAPS;
    this.mapCount = mapCount;
    for (const s of spec.initialSlots ?? []) {
      const inner = env.mapIndex(s.name);
      if (inner < 0) continue;
      const key = new Uint8Array(spec.keySize);
      new DataView(key.buffer).setUint32(0, s.key, true);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, inner, true);
      this.update(key, value, 0);
    }
  }

  /** Index (in the object's maps) of the inner map under `key`, or undefined. */
  inner(key: Uint8Array): number | undefined {
    return this.slots.get(keyString(key.subarray(0, this.spec.keySize)));
  }

  lookup(key: Uint8Array): number {
    const i = this.inner(key);
    return i === undefined ? 0 : MAP_HANDLE_BASE + i * MAP_HANDLE_STRIDE;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const inner = keyIndex(value);
    if (inner >= this.mapCount || inner === this.index) return -Errno.EINVAL;
    const k = keyString(key.subarray(0, this.spec.keySize));
    const exists = this.slots.has(k);
    if (!this.hash) {
      if (keyIndex(key) >= this.spec.maxEntries) return -Errno.E2BIG;
      if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    } else {
      if (exists && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      if (!exists && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
      if (!exists && this.slots.size >= this.spec.maxEntries) return -Errno.E2BIG;
    }
    this.slots.set(k, inner);
    return 0;
  }

  delete(key: Uint8Array): number {
    if (!this.hash && keyIndex(key) >= this.spec.maxEntries) return -Errno.EINVAL;
    return this.slots.delete(keyString(key.subarray(0, this.spec.keySize))) ? 0 : -Errno.ENOENT;
  }

  /** Values are the inner maps' u32 indexes. */
  entries(): [Uint8Array, Uint8Array][] {
    return [...this.slots].map(([k, inner]) => {
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, inner, true);
      return [keyFromString(k), value];
    });
  }
}
