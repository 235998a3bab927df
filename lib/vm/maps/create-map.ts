import { ObjectError } from '../../errors.ts';
import { MapType, type MapSpec } from '../../object/types.ts';
import type { MemoryLayout, VmMemory } from '../memory.ts';
import { ArrayMap } from './array-map.ts';
import { BloomFilterMap } from './bloom-filter-map.ts';
import { DevMap } from './dev-map.ts';
import { HashMap } from './hash-map.ts';
import { LpmTrieMap } from './lpm-trie-map.ts';
import { MapInMap } from './map-in-map.ts';
import { PercpuArrayMap } from './percpu-array-map.ts';
import { PerfEventArrayMap } from './perf-event-array-map.ts';
import { ProgArrayMap } from './prog-array-map.ts';
import { QueueStackMap } from './queue-stack-map.ts';
import { DevMapHash, TargetArrayMap } from './redirect-maps.ts';
import { RingbufMap } from './ringbuf-map.ts';
import { defaultMapEnv, type MapEnv, type VmMap } from './vm-map.ts';

export type BindableMap = VmMap & { bind?(mem: VmMemory): void; endPacket?(): void };

const BPF_F_NO_PREALLOC = 1;

/** Map definitions the kernel refuses at creation (so libbpf cannot load the object): why, or undefined. */
export function refusedSpec(spec: MapSpec): string | undefined {
  const noPrealloc = (spec.flags & BPF_F_NO_PREALLOC) !== 0;
  switch (spec.type) {
    case MapType.LPM_TRIE:
      if (!noPrealloc) return 'an LPM trie needs BPF_F_NO_PREALLOC';
      if (spec.keySize < 5 || spec.keySize > 4 + 256) return `an LPM trie key is 4 + 1…256 bytes, not ${spec.keySize}`;
      break;
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
      if (noPrealloc) return 'LRU maps are always preallocated (BPF_F_NO_PREALLOC is refused)';
      break;
    case MapType.QUEUE:
    case MapType.STACK:
    case MapType.BLOOM_FILTER:
      if (spec.keySize !== 0) return `key_size must be 0, not ${spec.keySize}`;
      break;
    case MapType.RINGBUF:
      if (spec.maxEntries === 0 || (spec.maxEntries & (spec.maxEntries - 1)) !== 0 || spec.maxEntries % 4096 !== 0) return `a ring buffer size is a power of two and a multiple of 4096, not ${spec.maxEntries}`;
      return undefined;
    case MapType.PERF_EVENT_ARRAY:
      return undefined; // max_entries 0 = one slot per CPU (libbpf)
    default:
      break;
  }
  if (spec.maxEntries === 0 && spec.initialValue === undefined) return 'max_entries is 0';
  return undefined;
}

/** One line per supported map type; adding a type = one file + one line here. */
export function createMap(spec: MapSpec, index: number, layout: MemoryLayout, programNames: readonly string[], env: MapEnv = defaultMapEnv(), mapCount = 0): BindableMap {
  if (spec.initialValue !== undefined) return new ArrayMap(spec, index, layout);
  const refused = refusedSpec(spec);
  if (refused !== undefined) throw new ObjectError('BAD_MAP', `map "${spec.name}": the kernel refuses this map: ${refused}`);
  switch (spec.type) {
    case MapType.ARRAY:
      return new ArrayMap(spec, index, layout);
    case MapType.PERCPU_ARRAY:
      return new PercpuArrayMap(spec, index, layout, env);
    case MapType.HASH:
      return new HashMap(spec, index, layout, { lru: false, env });
    case MapType.PERCPU_HASH:
      return new HashMap(spec, index, layout, { lru: false, percpu: true, env });
    case MapType.LRU_HASH:
      return new HashMap(spec, index, layout, { lru: true, env });
    case MapType.LRU_PERCPU_HASH:
      return new HashMap(spec, index, layout, { lru: true, percpu: true, env });
    case MapType.LPM_TRIE:
      return new LpmTrieMap(spec, index, layout);
    case MapType.QUEUE:
      return new QueueStackMap(spec, index, false);
    case MapType.STACK:
      return new QueueStackMap(spec, index, true);
    case MapType.BLOOM_FILTER:
      return new BloomFilterMap(spec, index);
    case MapType.RINGBUF:
      return new RingbufMap(spec, index, layout, env);
    case MapType.PERF_EVENT_ARRAY:
      return new PerfEventArrayMap(spec, index, env);
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS:
      return new MapInMap(spec, index, mapCount, env);
    case MapType.PROG_ARRAY:
      return new ProgArrayMap(spec, index, programNames);
    case MapType.DEVMAP:
      return new DevMap(spec, index, layout);
    case MapType.DEVMAP_HASH:
      return new DevMapHash(spec, index, layout);
    case MapType.CPUMAP:
      return new TargetArrayMap(spec, index, 'cpumap', env.cpu.cpus);
    case MapType.XSKMAP:
      return new TargetArrayMap(spec, index, 'xskmap', env.cpu.cpus);
    default:
      throw new ObjectError('UNSUPPORTED_MAP', `map "${spec.name}": map type ${spec.type} is not supported yet`);
  }
}
