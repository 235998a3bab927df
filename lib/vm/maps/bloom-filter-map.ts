import type { MapSpec } from '../../object/types.ts';
import { Errno, keyFromString, keyString, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * BLOOM_FILTER: bpf_map_push_elem adds a value (flags other than BPF_ANY → -EINVAL),
 * bpf_map_peek_elem answers 0 (maybe present) or -ENOENT. Emulated as an exact set: the
 * kernel's bit array can also answer 0 for a value never added (a false positive, rate set by
 * max_entries and the number of hash functions); we never do. No size limit is enforced (the
 * kernel does not count entries either). Not iterable; entries() lists the added values.
 */
export class BloomFilterMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  private readonly values = new Set<string>();

  constructor(spec: MapSpec, index: number) {
    this.spec = spec;
    this.index = index;
  }

  push(value: Uint8Array, flags: number): number {
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    this.values.add(keyString(value.subarray(0, this.spec.valueSize)));
    return 0;
  }

  /** peek: 0 when the value was added, else -ENOENT (the buffer is only read). */
  has(value: Uint8Array): number {
    return this.values.has(keyString(value.subarray(0, this.spec.valueSize))) ? 0 : -Errno.ENOENT;
  }

  lookup(_key: Uint8Array): number {
    return 0;
  }

  update(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  delete(_key: Uint8Array): number {
    return -Errno.EOPNOTSUPP;
  }

  entries(): [Uint8Array, Uint8Array][] {
    return [...this.values].map((v) => [new Uint8Array(0), keyFromString(v)]);
  }
}
