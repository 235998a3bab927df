import type { MapSpec } from '../../object/types.ts';
import type { MemoryLayout, Region, VmMemory } from '../memory.ts';
import { Errno, keyString, roundUp8, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * LPM_TRIE: keys are `prefixlen` (u32, host order) followed by data_size = key_size − 4 bytes
 * compared most significant bit first; max_prefixlen = 8 × data_size. A lookup returns the
 * value of the longest stored prefix that matches the key's first `prefixlen` bits (NULL for
 * a key prefixlen above max_prefixlen). Entries are identified by (prefixlen, the prefix's
 * bits); the stored key keeps the data bytes of the latest update (as the kernel's node
 * does). Updates: prefixlen > max → -EINVAL, BPF_NOEXIST/EXIST → -EEXIST/-ENOENT, a new
 * entry in a full trie → -ENOSPC. Values live in a slab region like the hash map's.
 */
export class LpmTrieMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly region: Region;
  readonly stride: number;
  readonly maxPrefixLen: number;
  private readonly nodes = new Map<string, { slot: number; key: Uint8Array }>();
  /** How many entries have each prefix length (lookups try only lengths present). */
  private readonly lengths = new Map<number, number>();
  private sortedLengths: number[] = [];
  private readonly free: number[] = [];
  private mem: VmMemory | undefined;

  constructor(spec: MapSpec, index: number, layout: MemoryLayout) {
    this.spec = spec;
    this.index = index;
    this.stride = roundUp8(spec.valueSize);
    this.maxPrefixLen = 8 * Math.max(0, spec.keySize - 4);
    this.region = layout.add(spec.name, 'map', Math.max(1, this.stride * spec.maxEntries), !spec.readOnly, index);
    for (let i = spec.maxEntries - 1; i >= 0; i--) this.free.push(i);
  }

  bind(mem: VmMemory): void {
    this.mem = mem;
  }

  private static prefixLen(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  /** Identity of (len, first len bits of data). */
  private static id(data: Uint8Array, len: number): string {
    const bytes = data.slice(0, Math.ceil(len / 8));
    if (len % 8 !== 0) bytes[bytes.length - 1]! &= (0xff << (8 - (len % 8))) & 0xff;
    return `${len}:${keyString(bytes)}`;
  }

  private countLength(len: number, delta: number): void {
    const n = (this.lengths.get(len) ?? 0) + delta;
    if (n === 0) this.lengths.delete(len);
    else this.lengths.set(len, n);
    this.sortedLengths = [...this.lengths.keys()].sort((a, b) => b - a);
  }

  lookup(key: Uint8Array): number {
    const len = LpmTrieMap.prefixLen(key);
    if (len > this.maxPrefixLen) return 0;
    const data = key.subarray(4, this.spec.keySize);
    for (const l of this.sortedLengths) {
      if (l > len) continue;
      const node = this.nodes.get(LpmTrieMap.id(data, l));
      if (node !== undefined) return this.region.start + node.slot * this.stride;
    }
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const len = LpmTrieMap.prefixLen(key);
    if (len > this.maxPrefixLen) return -Errno.EINVAL;
    const id = LpmTrieMap.id(key.subarray(4, this.spec.keySize), len);
    let node = this.nodes.get(id);
    if (node !== undefined && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (node === undefined && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (node === undefined) {
      const slot = this.free.pop();
      if (slot === undefined) return -Errno.ENOSPC;
      node = { slot, key: new Uint8Array(0) };
      this.nodes.set(id, node);
      this.countLength(len, 1);
    }
    node.key = key.slice(0, this.spec.keySize);
    this.mem!.u8.set(value.subarray(0, this.spec.valueSize), this.region.start + node.slot * this.stride);
    return 0;
  }

  delete(key: Uint8Array): number {
    const len = LpmTrieMap.prefixLen(key);
    if (len > this.maxPrefixLen) return -Errno.EINVAL;
    const id = LpmTrieMap.id(key.subarray(4, this.spec.keySize), len);
    const node = this.nodes.get(id);
    if (node === undefined) return -Errno.ENOENT;
    this.nodes.delete(id);
    this.free.push(node.slot);
    this.countLength(len, -1);
    return 0;
  }

  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const node of this.nodes.values()) {
      const at = this.region.start + node.slot * this.stride;
      out.push([node.key.slice(), this.mem!.u8.slice(at, at + this.spec.valueSize)]);
    }
    return out;
  }
}
