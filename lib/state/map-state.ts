import { UsageError } from '../errors.ts';
import { formatBtfValue, stringifyFormatted } from '../object/btf-format.ts';
import type { FormattedValue } from '../object/btf.ts';
import { MapType, type MapSpec, type ObjectSpec } from '../object/types.ts';
import type { XdpMapHandle, XdpProgram } from '../xdp/xdp-program.ts';
import { encodeBtfValue } from './btf-encode.ts';

/**
 * Map state as JSON (design.md "Map state JSON"): seeding maps before a replay
 * (`--maps-in`) and dumping them after (`--maps-out`), one shape for both:
 *
 *   { "<map>": [ { "key": K, "value": V }, … ], … }
 *
 * Maps are named as libbpf names them; global data also by section (`.data`, `.bss`, `.rodata`).
 * K and V may be: a hex string of exactly the key/value size; a non-negative integer (written
 * little-endian at that size); bpftool's array of "0x.." byte strings; or, where BTF names the
 * type, JSON shaped like bpftool's "formatted" output. A PROG_ARRAY value is a program name.
 * A per-CPU value is an array with one value per modelled CPU (`cpus` load option; a single
 * value, or a one-element array, is taken for every CPU, as bpftool does on update).
 * An ARRAY_OF_MAPS / HASH_OF_MAPS value is the inner map's name (or its u32 index in the object).
 * The dump writes `key`/`value` as hex plus `formatted` where BTF exists, so it is valid input.
 */

export interface MapEntryJson {
  key: unknown;
  value: unknown;
  formatted?: { key?: FormattedValue; value?: FormattedValue };
}
export type MapStateJson = Record<string, MapEntryJson[]>;

const PERCPU_TYPES: ReadonlySet<number> = new Set([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);

export function isPercpu(spec: MapSpec): boolean {
  return PERCPU_TYPES.has(spec.type);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** JSON name of a map in dumps: the section for global data, else the map name. */
export function stateName(spec: MapSpec): string {
  return spec.initialValue !== undefined ? spec.section : spec.name;
}

/** Decode one key or value given in any accepted form into exactly `size` bytes. */
export function decodeBytes(v: unknown, size: number, btf: ObjectSpec['btf'], typeId: number | undefined, where: string): Uint8Array {
  if (typeof v === 'string' && /^([0-9a-f]{2})*$/i.test(v) && v.length === size * 2) return Uint8Array.from(Buffer.from(v, 'hex'));
  if (typeof v === 'string' && /^([0-9a-f]{2})+$/i.test(v)) {
    throw new UsageError(`${where}: hex string of ${v.length / 2} bytes, expected ${size} bytes`);
  }
  if ((typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n)) {
    let n = BigInt(v);
    if (n >= 1n << BigInt(size * 8)) throw new UsageError(`${where}: ${n} does not fit in ${size} bytes`);
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++, n >>= 8n) out[i] = Number(n & 0xffn);
    return out;
  }
  if (Array.isArray(v) && v.length === size && v.every((b) => typeof b === 'string' && /^0x[0-9a-f]{1,2}$/i.test(b))) {
    return Uint8Array.from(v.map((b: string) => parseInt(b, 16)));
  }
  if (btf !== undefined && typeId !== undefined && typeId !== 0) {
    const bytes = encodeBtfValue(btf, typeId, v, where);
    if (bytes.length !== size) throw new UsageError(`${where}: BTF type has ${bytes.length} bytes, the map expects ${size}`);
    return bytes;
  }
  throw new UsageError(`${where}: expected a hex string of ${size} bytes, a non-negative integer or an array of ${size} "0x.." bytes; found ${JSON.stringify(v)}`);
}

function progIndex(object: ObjectSpec, v: unknown, where: string): Uint8Array {
  const names = object.programs.map((p) => p.name);
  const i = typeof v === 'string' ? names.indexOf(v) : -1;
  if (i < 0) throw new UsageError(`${where}: a PROG_ARRAY value is a program name (one of ${names.join(', ')}); found ${JSON.stringify(v)}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, i, true);
  return out;
}

function innerMapIndex(object: ObjectSpec, v: unknown, where: string): Uint8Array {
  const names = object.maps.map((m) => m.name);
  const i = typeof v === 'string' ? names.indexOf(v) : typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < names.length ? v : -1;
  if (i < 0) throw new UsageError(`${where}: a map-in-map value is the name of a map of the object (one of ${names.join(', ')}); found ${JSON.stringify(v)}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, i, true);
  return out;
}

function isMapInMap(spec: MapSpec): boolean {
  return spec.type === MapType.ARRAY_OF_MAPS || spec.type === MapType.HASH_OF_MAPS;
}

function handleFor(program: XdpProgram, name: string, where: string): XdpMapHandle {
  const h = program.maps.get(name);
  if (h !== undefined) return h;
  const known = program.object.maps.map(stateName);
  throw new UsageError(`${where}: no map "${name}" in ${program.object.name}; maps: ${known.join(', ')}`);
}

/** Seed maps from parsed JSON. Returns how many entries were set. */
export function seedMaps(program: XdpProgram, json: unknown, where = 'maps'): number {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UsageError(`${where}: expected an object keyed by map name`);
  let count = 0;
  for (const [name, entries] of Object.entries(json as Record<string, unknown>)) {
    const h = handleFor(program, name, where);
    const spec = h.spec;
    if (!Array.isArray(entries)) throw new UsageError(`${where}: ${name}: expected an array of {"key", "value"} entries`);
    entries.forEach((e: unknown, i) => {
      const at = `${where}: ${name}[${i}]`;
      if (e === null || typeof e !== 'object' || !('key' in e) || !('value' in e)) throw new UsageError(`${at}: expected {"key": …, "value": …}`);
      const entry = e as MapEntryJson;
      const key = decodeBytes(entry.key, spec.keySize, program.object.btf, spec.btfKeyTypeId, `${at}.key`);
      const raw = entry.value;
      let err: number;
      if (isPercpu(spec) && h.percpu !== undefined) {
        const perCpu = Array.isArray(raw) && !(raw.length === spec.valueSize && raw.every((b) => typeof b === 'string' && b.startsWith('0x'))) ? raw : [raw];
        const cpus = program.mapEnv.cpu.cpus;
        if (perCpu.length !== 1 && perCpu.length !== cpus) throw new UsageError(`${at}.value: a per-CPU value has one element or one per CPU (${cpus} modelled; --cpus sets it), found ${perCpu.length}`);
        const values = perCpu.map((v, c) => decodeBytes(v, spec.valueSize, program.object.btf, spec.btfValueTypeId, perCpu.length === 1 ? `${at}.value` : `${at}.value[${c}]`));
        err = h.percpu.update(key, values, 0);
      } else {
        const value = spec.type === MapType.PROG_ARRAY
          ? progIndex(program.object, raw, `${at}.value`)
          : isMapInMap(spec)
            ? innerMapIndex(program.object, raw, `${at}.value`)
            : decodeBytes(raw, spec.valueSize, program.object.btf, spec.btfValueTypeId, `${at}.value`);
        err = h.update(key, value, 0);
      }
      if (err < 0) throw new UsageError(`${at}: the map refused the update (errno ${-err}${spec.maxEntries <= i ? `, max_entries ${spec.maxEntries}` : ''})`);
      count++;
    });
  }
  return count;
}

function formatted(object: ObjectSpec, typeId: number | undefined, bytes: Uint8Array): FormattedValue | undefined {
  if (object.btf === undefined || typeId === undefined || typeId === 0) return undefined;
  try {
    return formatBtfValue(object.btf, typeId, bytes);
  } catch {
    return undefined;
  }
}

/** Dump every map (by JSON name), entries sorted by key bytes. */
export function dumpMaps(program: XdpProgram): MapStateJson {
  const out: MapStateJson = {};
  const object = program.object;
  for (const spec of object.maps) {
    const name = stateName(spec);
    if (name in out) continue;
    const h = program.maps.get(spec.name);
    if (h === undefined) continue;
    const cmp = (a: [Uint8Array, unknown], b: [Uint8Array, unknown]): number => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));
    // Queue/stack contents keep their order (oldest first): their keys are all empty.
    const keep = spec.type === MapType.QUEUE || spec.type === MapType.STACK;
    const entries: [Uint8Array, Uint8Array[]][] = h.percpu !== undefined
      ? h.percpu.entries()
      : h.entries().map(([k, v]) => [k, [v]]);
    if (!keep) entries.sort(cmp);
    out[name] = entries.map(([k, vs]) => {
      const v = vs[0]!;
      const e: MapEntryJson = { key: hex(k), value: hex(v) };
      if (spec.type === MapType.PROG_ARRAY) {
        e.value = object.programs[new DataView(v.buffer, v.byteOffset).getUint32(0, true)]?.name ?? hex(v);
        return e;
      }
      if (isMapInMap(spec)) {
        e.value = object.maps[new DataView(v.buffer, v.byteOffset).getUint32(0, true)]?.name ?? hex(v);
        return e;
      }
      if (h.percpu !== undefined) e.value = vs.map(hex);
      const fk = formatted(object, spec.btfKeyTypeId, k);
      const fvs = vs.map((x) => formatted(object, spec.btfValueTypeId, x));
      const fv = fvs[0];
      if (fk !== undefined || fv !== undefined) {
        e.formatted = {};
        if (fk !== undefined) e.formatted.key = fk;
        if (fv !== undefined) e.formatted.value = h.percpu !== undefined ? (fvs as FormattedValue[]) : fv;
      }
      return e;
    });
  }
  return out;
}

/** JSON text of a dump, one entry per line (bigint-safe). */
export function stringifyMapState(state: MapStateJson): string {
  const maps = Object.entries(state).map(([name, entries]) => {
    const lines = entries.map((e) => `    ${stringifyFormatted(e as unknown as FormattedValue)}`);
    return `  ${JSON.stringify(name)}: [${lines.length > 0 ? `\n${lines.join(',\n')}\n  ` : ''}]`;
  });
  return `{\n${maps.join(',\n')}\n}`;
}
