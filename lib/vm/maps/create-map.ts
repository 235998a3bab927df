import { ObjectError } from '../../errors.ts';
import { MapType, type MapSpec } from '../../object/types.ts';
import type { MemoryLayout, VmMemory } from '../memory.ts';
import { ArrayMap } from './array-map.ts';
import { DevMap } from './dev-map.ts';
import { HashMap } from './hash-map.ts';
import { ProgArrayMap } from './prog-array-map.ts';
import type { VmMap } from './vm-map.ts';

export type BindableMap = VmMap & { bind?(mem: VmMemory): void };

/** One line per supported map type; adding a type = one file + one line here. */
export function createMap(spec: MapSpec, index: number, layout: MemoryLayout, programNames: readonly string[]): BindableMap {
  if (spec.initialValue !== undefined) return new ArrayMap(spec, index, layout);
  switch (spec.type) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      return new ArrayMap(spec, index, layout);
    case MapType.HASH:
    case MapType.PERCPU_HASH:
      return new HashMap(spec, index, layout, { lru: false });
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
      return new HashMap(spec, index, layout, { lru: true });
    case MapType.PROG_ARRAY:
      return new ProgArrayMap(spec, index, programNames);
    case MapType.DEVMAP:
      return new DevMap(spec, index, layout);
    default:
      throw new ObjectError('UNSUPPORTED_MAP', `map "${spec.name}": map type ${spec.type} is not supported yet`);
  }
}
