import type { MapSpec } from '../../object/types.ts';
import { Errno, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * QUEUE (FIFO) and STACK (LIFO): key_size 0, values copied in and out by
 * bpf_map_push_elem / pop_elem / peek_elem. Push: flags other than BPF_ANY / BPF_EXIST →
 * -EINVAL; a full map → -E2BIG, or with BPF_EXIST the oldest value is dropped (for both kinds,
 * as the kernel's shared push does). Pop/peek of an empty map → -ENOENT with the buffer zeroed.
 * Programs cannot use lookup/update/delete on these maps (the verifier refuses); the host's
 * update pushes, and entries() lists values oldest first (key = empty).
 */
export class QueueStackMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly lifo: boolean;
  /** Oldest first. */
  private readonly values: Uint8Array[] = [];

  constructor(spec: MapSpec, index: number, lifo: boolean) {
    this.spec = spec;
    this.index = index;
    this.lifo = lifo;
  }

  push(value: Uint8Array, flags: number): number {
    if ((flags & UpdateFlag.NOEXIST) !== 0 || flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (this.values.length >= this.spec.maxEntries) {
      if (flags !== UpdateFlag.EXIST || this.spec.maxEntries === 0) return -Errno.E2BIG;
      this.values.shift();
    }
    this.values.push(value.slice(0, this.spec.valueSize));
    return 0;
  }

  /** Copies the next value into `out` (removing it when `remove`); -ENOENT and zeroes when empty. */
  take(out: Uint8Array, remove: boolean): number {
    if (this.values.length === 0) { out.fill(0); return -Errno.ENOENT; }
    const v = this.lifo ? this.values[this.values.length - 1]! : this.values[0]!;
    out.set(v);
    if (remove) {
      if (this.lifo) this.values.pop();
      else this.values.shift();
    }
    return 0;
  }

  get length(): number {
    return this.values.length;
  }

  lookup(_key: Uint8Array): number {
    return 0;
  }

  update(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  delete(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }

  entries(): [Uint8Array, Uint8Array][] {
    return this.values.map((v) => [new Uint8Array(0), v.slice()]);
  }
}
