import type { MapSpec } from '../../object/types.ts';
import { defaultMapEnv, Errno, keyIndex, UpdateFlag, type MapEnv, type VmMap } from './vm-map.ts';

/**
 * PERF_EVENT_ARRAY: index → perf event (the kernel stores perf event fds). There are no perf
 * events here: a slot is "open" or not. By default the slots of every modelled CPU
 * (0 … cpus − 1) are open, as after libbpf's perf_buffer__new, so bpf_perf_event_output
 * with BPF_F_CURRENT_CPU records an event; a host delete closes a slot (the kernel's state
 * in a test run without a reader, where output fails with -ENOENT) and a host update of any
 * non-zero value opens it. Programs cannot look slots up.
 */
export class PerfEventArrayMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly open = new Set<number>();
  /** max_entries, or one per CPU when the definition says 0 (as libbpf sets it). */
  readonly maxEntries: number;

  constructor(spec: MapSpec, index: number, env: MapEnv = defaultMapEnv()) {
    this.spec = spec;
    this.index = index;
    this.maxEntries = spec.maxEntries || env.cpu.cpus;
    for (let i = 0; i < Math.min(env.cpu.cpus, this.maxEntries); i++) this.open.add(i);
  }

  lookup(_key: Uint8Array): number {
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = keyIndex(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (keyIndex(value) === 0) this.open.delete(i);
    else this.open.add(i);
    return 0;
  }

  delete(key: Uint8Array): number {
    const i = keyIndex(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    return this.open.delete(i) ? 0 : -Errno.ENOENT;
  }

  entries(): [Uint8Array, Uint8Array][] {
    return [...this.open].sort((a, b) => a - b).map((i) => {
      const key = new Uint8Array(4), value = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      new DataView(value.buffer).setUint32(0, 1, true);
      return [key, value];
    });
  }
}
