import type { MapSpec } from '../../object/types.ts';

/**
 * A map as the VM sees it. Program-side operations take key/value bytes (views into VM
 * memory) and return value addresses or errnos; host-side (tests, JSON seeding/dumping)
 * use the same operations with owned bytes. One file per map type under lib/vm/maps/,
 * registered in create-map.ts.
 */
export interface VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  /** Virtual address of the value for `key`, or 0 when absent. (A program-side lookup may count as a use, e.g. LRU.) */
  lookup(key: Uint8Array): number;
  /** 0 or a negative errno, as the kernel's map_update_elem. */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** 0 or a negative errno. */
  delete(key: Uint8Array): number;
  /** Current contents (key, value) as owned copies; per-CPU maps give the running CPU's slot. */
  entries(): [Uint8Array, Uint8Array][];
}

/** CPUs modelled (`cpus`, default 1) and the CPU the program runs on (`cpu`, default 0). Shared by all maps of a load. */
export interface CpuModel {
  cpus: number;
  cpu: number;
}

/** A record from bpf_ringbuf_output/submit or bpf_perf_event_output, captured per packet. */
export interface MapEvent {
  map: string;
  /** perf_event_output: the perf-event-array index the record went to. */
  cpu?: number;
  data: Uint8Array;
}

/** What a load shares with its maps: the CPU model, the per-packet event sink, the map list. */
export interface MapEnv {
  readonly cpu: CpuModel;
  /** Events of the current packet (the loader empties it before each run). */
  events: MapEvent[];
  /** Index of a map in the object by name (map-in-map values), or -1. */
  mapIndex(name: string): number;
}

export function defaultMapEnv(): MapEnv {
  return { cpu: { cpus: 1, cpu: 0 }, events: [], mapIndex: () => -1 };
}

/** Per-CPU maps: host-side access to every CPU's value (userspace reads/writes all CPUs at once). */
export interface PercpuAccess {
  /** Set `values[c]` on CPU c; one value is used for every CPU (as bpftool does). */
  updateAll(key: Uint8Array, values: readonly Uint8Array[], flags: number): number;
  /** Entries with one value per modelled CPU. */
  entriesAll(): [Uint8Array, Uint8Array[]][];
}

export function hasPercpu(m: VmMap): m is VmMap & PercpuAccess {
  return typeof (m as Partial<PercpuAccess>).updateAll === 'function' && (m as { percpu?: boolean }).percpu === true;
}

export const Errno = { ENOENT: 2, E2BIG: 7, EEXIST: 17, EINVAL: 22, ENOSPC: 28, EPERM: 1, EBUSY: 16, EACCES: 13, ENOTSUPP: 524, EOPNOTSUPP: 95, EAGAIN: 11, ENODEV: 19, ENOMEM: 12 } as const;

export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, F_LOCK: 4 } as const;

/** Key bytes as a string usable as a JS Map key (one char per byte). */
export function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]!);
  return s;
}

export function keyFromString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Array-style index key (u32 little-endian) from key bytes. */
export function keyIndex(key: Uint8Array): number {
  return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
}

export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}
