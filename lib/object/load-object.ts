import { FormatError, ObjectError } from '../errors.ts';
import { Btf } from './btf.ts';
import { parseBtfExt, type BtfExt } from './btf-ext.ts';
import { ElfFile, ShFlag, ShType } from './elf.ts';
import { linkProgram, readCodeSection, relocateSection, type CodeSection } from './link.ts';
import { collectMaps, fixupDatasecs } from './maps.ts';
import { describeSection, matchSection } from './section-defs.ts';
import type { ObjectSpec, ProgramSpec } from './types.ts';

export interface LoadObjectOptions {
  /** Object name (libbpf's: file basename up to the first '.'); default "obj". */
  name?: string;
}

/** libbpf's object name for a path: basename without directories, cut at the first '.'. */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Turn a clang-compiled BPF ELF object into an ObjectSpec: programs linked with their
 * subprograms and relocated (see ProgramSpec.insns), maps, global data, BTF and line info.
 * Bad bytes → FormatError; well-formed but unsupported → ObjectError. Nothing else escapes.
 */
export function loadObject(bytes: Uint8Array, opts: LoadObjectOptions = {}): ObjectSpec {
  try {
    return load(bytes, opts);
  } catch (err) {
    if (err instanceof RangeError) {
      // A bounds check we missed: still the input's fault, still typed.
      throw new FormatError('elf', 'OUT_OF_BOUNDS', 0, `malformed object (${err.message})`, { cause: err });
    }
    throw err;
  }
}

function load(bytes: Uint8Array, opts: LoadObjectOptions): ObjectSpec {
  const name = opts.name !== undefined ? objectNameFromPath(opts.name) : 'obj';
  const elf = new ElfFile(bytes);
  const btfSec = elf.section('.BTF');
  const btf = btfSec && btfSec.type !== ShType.NOBITS ? new Btf(elf.contents(btfSec), btfSec.offset) : undefined;
  if (btf) fixupDatasecs(elf, btf);
  const extSec = elf.section('.BTF.ext');
  const ext: BtfExt = extSec && btf ? parseBtfExt(elf.contents(extSec), extSec.offset, btf) : new Map();
  const licSec = elf.section('license');
  let license = '';
  if (licSec) {
    const raw = elf.contents(licSec);
    const end = raw.indexOf(0);
    license = String.fromCharCode(...raw.subarray(0, end < 0 ? raw.length : end).subarray(0, 128));
  }
  const { maps, locations } = collectMaps(elf, btf, name);

  const codes = new Map<number, CodeSection>();
  for (const s of elf.sections) {
    if (s.type !== ShType.PROGBITS || (s.flags & ShFlag.EXECINSTR) === 0 || s.size === 0) continue;
    const cs = readCodeSection(elf, s, ext.get(s.name));
    relocateSection(elf, cs, locations);
    codes.set(s.index, cs);
  }
  const programs: ProgramSpec[] = [];
  for (const cs of codes.values()) {
    if (cs.sec.name === '.text') continue;
    const m = matchSection(cs.sec.name);
    for (const fn of cs.funcs) programs.push(linkProgram(fn, codes, { isXdp: m.isXdp, frags: m.frags }));
  }
  return { name, license, programs, maps, ...(btf ? { btf } : {}) };
}

/**
 * Pick a program by function name or section name. Without a name: the only XDP program, or the
 * only program. Missing or ambiguous → ObjectError listing what is available.
 */
export function selectProgram(spec: ObjectSpec, nameOrSection?: string): ProgramSpec {
  const list = (): string => (spec.programs.length === 0 ? 'none' : spec.programs.map((p) => `${p.name} (section ${p.section}${p.isXdp ? '' : `, ${describeSection(p.section)}`})`).join(', '));
  const file = `${spec.name}.o`;
  if (nameOrSection === undefined) {
    const xdp = spec.programs.filter((p) => p.isXdp);
    if (xdp.length === 1) return xdp[0]!;
    if (spec.programs.length === 1) return spec.programs[0]!;
    const what = xdp.length > 1 ? `${xdp.length} XDP programs` : spec.programs.length === 0 ? 'no programs' : 'no XDP program';
    throw new ObjectError('PROGRAM_AMBIGUOUS', `${file} has ${what}; choose one with --prog: available: ${list()}`);
  }
  const byName = spec.programs.find((p) => p.name === nameOrSection);
  if (byName) return byName;
  const bySec = spec.programs.filter((p) => p.section === nameOrSection);
  if (bySec.length === 1) return bySec[0]!;
  if (bySec.length > 1) {
    throw new ObjectError('PROGRAM_AMBIGUOUS', `section "${nameOrSection}" of ${file} holds ${bySec.length} programs; choose one by name: available: ${list()}`, { section: nameOrSection });
  }
  throw new ObjectError('PROGRAM_NOT_FOUND', `program "${nameOrSection}" not found in ${file}; available: ${list()}`, { program: nameOrSection });
}
