import { MapType, type ObjectSpec } from './types.ts';
import { describeSection, matchSection } from './section-defs.ts';

/** Summary of an object for `xdpreplay progs` (plain data; JSON-ready). */
export interface ObjectSummary {
  name: string;
  license: string;
  btf: boolean;
  lineInfo: boolean;
  programs: { name: string; section: string; progType: string; insns: number; xdp: boolean; frags: boolean; functions: string[] }[];
  maps: {
    name: string;
    section: string;
    type: string;
    key: { size: number; type?: string };
    value: { size: number; type?: string };
    maxEntries: number;
    flags: number;
    globalData: boolean;
    readOnly: boolean;
    inner?: string;
    initialSlots?: { key: number; name: string }[];
  }[];
}

const MAP_TYPE_NAMES = new Map<number, string>(Object.entries(MapType).map(([k, v]) => [v, k.toLowerCase()]));

/** bpftool's lower-case map type name, e.g. `percpu_array`; `type N` when unknown. */
export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES.get(type) ?? `type ${type}`;
}

export function describeObject(spec: ObjectSpec): ObjectSummary {
  const btf = spec.btf;
  const typeName = (id: number | undefined): string | undefined => (btf && id !== undefined ? btf.typeName(id) : undefined);
  return {
    name: spec.name,
    license: spec.license,
    btf: btf !== undefined,
    lineInfo: spec.programs.some((p) => p.lines.some((l) => l !== undefined)),
    programs: spec.programs.map((p) => ({
      name: p.name,
      section: p.section,
      progType: matchSection(p.section).isXdp ? 'xdp' : describeSection(p.section).toLowerCase(),
      insns: p.insns.length,
      xdp: p.isXdp,
      frags: p.frags,
      functions: p.funcs.map((f) => f.name),
    })),
    maps: spec.maps.map((m) => {
      const key = typeName(m.btfKeyTypeId);
      const value = typeName(m.btfValueTypeId);
      return {
        name: m.name,
        section: m.section,
        type: mapTypeName(m.type),
        key: { size: m.keySize, ...(key !== undefined ? { type: key } : {}) },
        value: { size: m.valueSize, ...(value !== undefined ? { type: value } : {}) },
        maxEntries: m.maxEntries,
        flags: m.flags,
        globalData: m.initialValue !== undefined,
        readOnly: m.readOnly,
        ...(m.inner ? { inner: m.inner.name } : {}),
        ...(m.initialSlots ? { initialSlots: m.initialSlots } : {}),
      };
    }),
  };
}

/** Human-readable rendering of an ObjectSummary. */
export function formatObjectSummary(s: ObjectSummary): string {
  const out: string[] = [];
  out.push(`object ${s.name}: license "${s.license}", BTF ${s.btf ? 'yes' : 'no'}, line info ${s.lineInfo ? 'yes' : 'no'}`);
  out.push('', 'programs:');
  if (s.programs.length === 0) out.push('  (none)');
  for (const p of s.programs) {
    const kind = p.xdp ? (p.frags ? 'xdp (frags)' : 'xdp') : `${p.progType}, not XDP`;
    const subs = p.functions.length > 1 ? `, calls ${p.functions.slice(1).join(', ')}` : '';
    out.push(`  ${p.name}  section ${p.section}  ${kind}  ${p.insns} insns${subs}`);
  }
  const maps = s.maps.filter((m) => !m.globalData);
  const data = s.maps.filter((m) => m.globalData);
  out.push('', 'maps:');
  if (maps.length === 0) out.push('  (none)');
  for (const m of maps) {
    const kv = (x: { size: number; type?: string }): string => (x.type ? `${x.type} (${x.size})` : `${x.size} bytes`);
    const extra = [m.flags ? `flags 0x${m.flags.toString(16)}` : '', m.inner ? `inner ${m.inner}` : '', m.initialSlots ? `init ${m.initialSlots.map((i) => `[${i.key}]=${i.name}`).join(' ')}` : ''].filter(Boolean).join('  ');
    out.push(`  ${m.name}  ${m.type}  key ${kv(m.key)}  value ${kv(m.value)}  max_entries ${m.maxEntries}${extra ? `  ${extra}` : ''}`);
  }
  out.push('', 'global data:');
  if (data.length === 0) out.push('  (none)');
  for (const m of data) out.push(`  ${m.section}  map ${m.name}  ${m.value.size} bytes${m.readOnly ? '  read-only' : ''}`);
  return out.join('\n');
}
