import { FormatError, ObjectError } from '../errors.ts';
import { dataView } from '../util/bytes.ts';
import { Btf, BtfKind, type BtfMember, type BtfType } from './btf.ts';
import { ElfFile, RBpf, ShFlag, ShType, StType, type ElfSection } from './elf.ts';
import { MapType, type MapSpec } from './types.ts';

/**
 * Map definitions: BTF-defined `.maps`, legacy `maps` (`struct bpf_map_def`), and global data
 * sections as single-entry ARRAY maps, following libbpf's conventions.
 */

/** BPF_F_* map flags libbpf sets on global data maps. */
export const BPF_F_RDONLY_PROG = 0x80;
export const BPF_F_MMAPABLE = 0x400;
/** BPF_OBJ_NAME_LEN: kernel object names are at most 15 characters plus NUL. */
export const BPF_OBJ_NAME_LEN = 16;
const LEGACY_MAP_DEF_SIZE = 20;
/** Largest global data section we accept (the kernel's array value limit is far below this anyway). */
export const MAX_GLOBAL_DATA = 1 << 26;

/** Where a map definition lives in the ELF, so relocations can find it. */
export interface MapLocation {
  /** ELF section index. */
  shndx: number;
  /** Byte offset of the definition (`.maps`/`maps`) in the section; -1 for global data (whole section). */
  offset: number;
  /** Index into `maps`. */
  index: number;
}

export interface CollectedMaps {
  maps: MapSpec[];
  locations: MapLocation[];
}

export function isGlobalDataSection(name: string): boolean {
  return name === '.bss' || name === '.data' || name === '.rodata' || name.startsWith('.data.') || name.startsWith('.rodata.');
}

/**
 * libbpf's `internal_map_name`: `<obj name prefix><section>` where the prefix is the first
 * min(16 - max(7, len(section)) - 1, len(obj)) characters of the object name, no prefix when the
 * section name has a second '.', characters other than [A-Za-z0-9_.] replaced by '_', at most 15
 * characters in all.
 */
export function internalMapName(objName: string, section: string): string {
  const sfx = Math.max(7, section.length);
  const pfx = section.indexOf('.', 1) >= 0 ? 0 : Math.max(0, Math.min(BPF_OBJ_NAME_LEN - sfx - 1, objName.length));
  const name = (objName.slice(0, pfx) + section).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/**
 * clang leaves DATASEC sizes and variable offsets at 0; like libbpf (btf_fixup_datasec) we fill
 * them in from the ELF section sizes and symbol values.
 */
export function fixupDatasecs(elf: ElfFile, btf: Btf): void {
  for (const t of btf.types) {
    if (t.kind !== BtfKind.DATASEC) continue;
    const sec = elf.section(t.name);
    if (!sec) continue;
    t.size = sec.size;
    for (const vs of t.secinfo!) {
      const v = btf.type(vs.type);
      if (v.kind !== BtfKind.VAR) continue;
      const sym = elf.symbols.find((s) => s.shndx === sec.index && s.name === v.name && s.type === StType.OBJECT);
      if (sym) vs.offset = sym.value;
    }
  }
}

export function collectMaps(elf: ElfFile, btf: Btf | undefined, objName: string): CollectedMaps {
  const out: CollectedMaps = { maps: [], locations: [] };
  const legacy = elf.section('maps');
  if (legacy) collectLegacy(elf, legacy, out);
  const btfMaps = elf.section('.maps');
  if (btfMaps) collectBtfMaps(elf, btfMaps, btf, out);
  for (const s of elf.sections) {
    if (!isGlobalDataSection(s.name) || (s.type !== ShType.PROGBITS && s.type !== ShType.NOBITS) || (s.flags & ShFlag.ALLOC) === 0) continue;
    if (s.size > MAX_GLOBAL_DATA) {
      throw new FormatError('elf', 'SECTION_TOO_BIG', s.headerOffset + 32, `section "${s.name}": ${s.size} bytes of global data, expected at most ${MAX_GLOBAL_DATA}`);
    }
    const readOnly = s.name.startsWith('.rodata');
    const datasec = btf?.types.find((t) => t.kind === BtfKind.DATASEC && t.name === s.name);
    const spec: MapSpec = {
      name: internalMapName(objName, s.name),
      section: s.name,
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: s.size,
      maxEntries: 1,
      flags: BPF_F_MMAPABLE | (readOnly ? BPF_F_RDONLY_PROG : 0),
      initialValue: s.type === ShType.NOBITS ? new Uint8Array(s.size) : elf.contents(s).slice(),
      readOnly,
      ...(datasec ? { btfValueTypeId: datasec.id } : {}),
    };
    out.locations.push({ shndx: s.index, offset: -1, index: out.maps.length });
    out.maps.push(spec);
  }
  return out;
}

function collectLegacy(elf: ElfFile, sec: ElfSection, out: CollectedMaps): void {
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== StType.SECTION && s.name !== '').sort((a, b) => a.value - b.value);
  if (syms.length === 0) return;
  const data = elf.contents(sec);
  const v = dataView(data);
  const defSize = syms[0]!.size || Math.floor(sec.size / syms.length);
  for (const sym of syms) {
    if (defSize < LEGACY_MAP_DEF_SIZE || sym.value + LEGACY_MAP_DEF_SIZE > data.length) {
      throw new FormatError('elf', 'BAD_MAP_DEF', sym.fileOffset, `section "maps": map "${sym.name}" at ${sym.value} expected a ${LEGACY_MAP_DEF_SIZE}-byte struct bpf_map_def within ${data.length} bytes`);
    }
    const at = sym.value;
    out.locations.push({ shndx: sec.index, offset: at, index: out.maps.length });
    out.maps.push({
      name: sym.name,
      section: 'maps',
      type: v.getUint32(at, true),
      keySize: v.getUint32(at + 4, true),
      valueSize: v.getUint32(at + 8, true),
      maxEntries: v.getUint32(at + 12, true),
      flags: v.getUint32(at + 16, true),
      readOnly: (v.getUint32(at + 16, true) & BPF_F_RDONLY_PROG) !== 0,
    });
  }
}

function collectBtfMaps(elf: ElfFile, sec: ElfSection, btf: Btf | undefined, out: CollectedMaps): void {
  if (!btf) throw new ObjectError('NO_BTF', 'elf: section ".maps" needs BTF to describe the maps, but the object has no .BTF section', { section: '.maps' });
  const datasec = btf.types.find((t) => t.kind === BtfKind.DATASEC && t.name === '.maps');
  if (!datasec) throw new FormatError('btf', 'NO_MAPS_DATASEC', btf.base, 'section ".BTF": expected a DATASEC ".maps" describing section ".maps"');
  const rels = elf.sections.filter((s) => (s.type === ShType.REL || s.type === ShType.RELA) && s.info === sec.index).flatMap((s) => elf.relocations(s));
  for (const vs of datasec.secinfo!) {
    const v = btf.type(vs.type);
    if (v.kind !== BtfKind.VAR) throw new FormatError('btf', 'BAD_MAP_DEF', v.fileOffset, `section ".BTF": DATASEC ".maps" entry type ${v.id} expected a VAR, found kind ${v.kind}`);
    if (vs.offset + vs.size > sec.size) throw new FormatError('btf', 'BAD_MAP_DEF', v.fileOffset, `section ".BTF": map "${v.name}" at ${vs.offset}+${vs.size} expected within ".maps" (${sec.size} bytes)`);
    const def = btf.skipModifiers(v.type);
    const spec = parseMapDef(btf, v.name, def, 0);
    const values = def.members!.find((m) => m.name === 'values');
    if (values) {
      const base = vs.offset + values.bitOffset / 8;
      const slots: { key: number; name: string }[] = [];
      for (const r of rels) {
        if (r.offset < base || r.offset >= vs.offset + vs.size) continue;
        if (r.type !== RBpf.R_64_ABS64 && r.type !== RBpf.R_64_64) continue;
        const sym = elf.symbols[r.symbol]!;
        slots.push({ key: (r.offset - base) / 8, name: sym.name });
      }
      slots.sort((a, b) => a.key - b.key);
      if (slots.length > 0) spec.initialSlots = slots;
      if (spec.maxEntries === 0 && slots.length > 0) spec.maxEntries = slots[slots.length - 1]!.key + 1;
    }
    out.locations.push({ shndx: sec.index, offset: vs.offset, index: out.maps.length });
    out.maps.push(spec);
  }
}

/** `__uint(name, N)` is `int (*name)[N]`: a pointer to an array of N elements. */
function uintMember(btf: Btf, m: BtfMember, mapName: string): number {
  const p = btf.skipModifiers(m.type);
  const a = p.kind === BtfKind.PTR ? btf.skipModifiers(p.type) : undefined;
  if (!a || a.kind !== BtfKind.ARRAY) {
    throw new FormatError('btf', 'BAD_MAP_DEF', p.fileOffset, `section ".BTF": map "${mapName}": member "${m.name}" expected __uint() (pointer to array), found kind ${p.kind}`);
  }
  return a.array!.nelems;
}

function typeMember(btf: Btf, m: BtfMember, mapName: string): number {
  const p = btf.skipModifiers(m.type);
  if (p.kind !== BtfKind.PTR) throw new FormatError('btf', 'BAD_MAP_DEF', p.fileOffset, `section ".BTF": map "${mapName}": member "${m.name}" expected __type() (a pointer), found kind ${p.kind}`);
  return p.type;
}

function parseMapDef(btf: Btf, name: string, def: BtfType, depth: number): MapSpec {
  if (def.kind !== BtfKind.STRUCT) throw new FormatError('btf', 'BAD_MAP_DEF', def.fileOffset, `section ".BTF": map "${name}" expected a struct definition, found kind ${def.kind}`);
  const spec: MapSpec = { name, section: '.maps', type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, readOnly: false };
  for (const m of def.members!) {
    switch (m.name) {
      case 'type':
        spec.type = uintMember(btf, m, name);
        break;
      case 'max_entries':
        spec.maxEntries = uintMember(btf, m, name);
        break;
      case 'map_flags':
        spec.flags = uintMember(btf, m, name);
        break;
      case 'key_size':
        spec.keySize = uintMember(btf, m, name);
        break;
      case 'value_size':
        spec.valueSize = uintMember(btf, m, name);
        break;
      case 'key':
        spec.btfKeyTypeId = typeMember(btf, m, name);
        spec.keySize = btf.sizeOf(spec.btfKeyTypeId);
        break;
      case 'value':
        spec.btfValueTypeId = typeMember(btf, m, name);
        spec.valueSize = btf.sizeOf(spec.btfValueTypeId);
        break;
      case 'values': {
        // __array(values, struct inner_def): a zero-length array of pointers to the inner definition.
        const a = btf.skipModifiers(m.type);
        const p = a.kind === BtfKind.ARRAY ? btf.skipModifiers(a.array!.type) : undefined;
        const inner = p?.kind === BtfKind.PTR ? btf.skipModifiers(p.type) : undefined;
        if (!inner) throw new FormatError('btf', 'BAD_MAP_DEF', a.fileOffset, `section ".BTF": map "${name}": member "values" expected __array() (array of pointers), found kind ${a.kind}`);
        if (inner.kind === BtfKind.STRUCT && depth === 0 && spec.type !== MapType.PROG_ARRAY) {
          spec.inner = parseMapDef(btf, `${name}.inner`, inner, depth + 1);
        }
        break;
      }
      case 'pinning':
      case 'map_extra':
      case 'numa_node':
        break;
      default:
        throw new ObjectError('UNKNOWN_MAP_ATTR', `map "${name}": unknown attribute "${m.name}" in BTF map definition`, { section: '.maps' });
    }
  }
  if (spec.type === MapType.ARRAY_OF_MAPS || spec.type === MapType.HASH_OF_MAPS) {
    if (!spec.inner) throw new ObjectError('NO_INNER_MAP', `map "${name}": map-in-map needs an inner map definition (__array(values, …))`, { section: '.maps' });
    spec.valueSize = 4;
  }
  if (spec.type === MapType.PROG_ARRAY || spec.type === MapType.DEVMAP || spec.type === MapType.CPUMAP || spec.type === MapType.XSKMAP || spec.type === MapType.DEVMAP_HASH) {
    if (spec.keySize === 0) spec.keySize = 4;
    if (spec.valueSize === 0) spec.valueSize = 4;
  }
  // The kernel makes DEVMAP values read-only for programs (dev_map_init_map adds the flag).
  if (spec.type === MapType.DEVMAP || spec.type === MapType.DEVMAP_HASH) spec.flags |= BPF_F_RDONLY_PROG;
  spec.readOnly = (spec.flags & BPF_F_RDONLY_PROG) !== 0;
  return spec;
}
