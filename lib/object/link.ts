import { FormatError, ObjectError } from '../errors.ts';
import { decodeInstructions, type Instruction } from '../isa/instruction.ts';
import { Op, PseudoCall, PseudoLd } from '../isa/opcode.ts';
import type { SectionExtInfo } from './btf-ext.ts';
import { CoreReloKind } from './btf-ext.ts';
import { ElfFile, RBpf, SHN_UNDEF, ShType, StType, type ElfSection } from './elf.ts';
import type { MapLocation } from './maps.ts';
import type { ProgramSpec, SourceLine } from './types.ts';

/**
 * Relocation and bpf-to-bpf linking, the way libbpf prepares programs for the kernel:
 * each executable section is decoded once and its relocations applied (maps, global data,
 * calls, function references); then each program's entry function is copied and every
 * subprogram it reaches is appended once, with call offsets rewritten to the new layout.
 */

/** A function inside an executable section, in section slots. */
export interface CodeFunc {
  name: string;
  shndx: number;
  start: number;
  end: number;
  global: boolean;
}

/** A reference from one slot to code: a call (`src=1`) or a function address (`lddw src=4`). */
interface CodeRef {
  shndx: number;
  insn: number;
}

export interface CodeSection {
  sec: ElfSection;
  insns: Instruction[];
  funcs: CodeFunc[];
  /** Slot → code target, for calls and function references. */
  refs: Map<number, CodeRef>;
  ext: SectionExtInfo | undefined;
}

const isCall = (i: Instruction): boolean => i.code === Op.CALL;
const isPseudoCall = (i: Instruction): boolean => i.code === Op.CALL && i.src === PseudoCall.CALL;

export function readCodeSection(elf: ElfFile, sec: ElfSection, ext: SectionExtInfo | undefined): CodeSection {
  const insns = decodeInstructions(elf.contents(sec), sec.offset);
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type === StType.FUNC).sort((a, b) => a.value - b.value);
  const funcs: CodeFunc[] = [];
  for (let i = 0; i < syms.length; i++) {
    const s = syms[i]!;
    if (s.value % 8 !== 0) throw new FormatError('elf', 'BAD_SYMBOL', s.fileOffset + 8, `section "${sec.name}": function "${s.name}" at byte ${s.value} expected 8-byte aligned`);
    const next = syms[i + 1]?.value ?? sec.size;
    const endByte = s.size > 0 ? s.value + s.size : next;
    funcs.push({ name: s.name, shndx: sec.index, start: s.value / 8, end: Math.ceil(endByte / 8), global: s.bind !== 0 });
  }
  if (funcs.length === 0 && insns.length > 0) funcs.push({ name: sec.name, shndx: sec.index, start: 0, end: insns.length, global: true });
  return { sec, insns, funcs, refs: new Map(), ext };
}

/** Apply the relocations of one code section; `maps` says which section/offset is which map. */
export function relocateSection(elf: ElfFile, code: CodeSection, locations: MapLocation[]): void {
  const { sec, insns } = code;
  // Calls within a section need no relocation: imm is relative to the call's own position.
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    if (isPseudoCall(i)) code.refs.set(pc, { shndx: sec.index, insn: pc + i.imm + 1 });
  }
  const relSecs = elf.sections.filter((s) => (s.type === ShType.REL || s.type === ShType.RELA) && s.info === sec.index);
  for (const rs of relSecs) {
    for (const r of elf.relocations(rs)) {
      const sym = elf.symbols[r.symbol]!;
      const pc = r.offset / 8;
      const where = `section "${sec.name}": insn ${pc}`;
      const fail = (code: string, detail: string): never => {
        throw new FormatError('elf', code, r.fileOffset, `${where}: ${detail}`);
      };
      if (r.offset % 8 !== 0) fail('BAD_RELOCATION_OFFSET', `relocation offset ${r.offset} expected a multiple of 8`);
      const insn = insns[pc] ?? fail('BAD_RELOCATION_OFFSET', `relocation expected at an instruction (section has ${insns.length})`);
      const symName = sym.name || elf.sections[sym.shndx]?.name || `#${sym.index}`;
      if (sym.shndx === SHN_UNDEF) {
        throw new ObjectError('EXTERN', `elf: ${where}: relocation against extern symbol "${symName}" (.kconfig/.ksyms externs and kfuncs are not supported)`, { section: sec.name });
      }
      const target = elf.sections[sym.shndx];
      if (insn.code === Op.LDDW) {
        if (r.type !== RBpf.R_64_64) fail('BAD_RELOCATION', `lddw relocation type ${r.type}, expected R_BPF_64_64 (1)`);
        const loc = locations.find((l) => l.shndx === sym.shndx && (l.offset === -1 || l.offset === sym.value));
        if (loc && loc.offset >= 0) {
          insn.src = PseudoLd.MAP_FD;
          insn.imm = loc.index;
          insn.imm64 = BigInt(loc.index);
        } else if (loc) {
          const off = sym.value + insn.imm;
          insn.src = PseudoLd.MAP_VALUE;
          insn.imm = loc.index;
          insn.imm64 = (BigInt(off >>> 0) << 32n) | BigInt(loc.index);
          const hi = insns[pc + 1];
          if (hi) hi.imm = off;
        } else if (target && target.flags & 0x4 && target.type === ShType.PROGBITS) {
          const byte = sym.value + insn.imm;
          if (byte % 8 !== 0) fail('BAD_RELOCATION', `function reference to "${symName}" + ${insn.imm} expected 8-byte aligned`);
          insn.src = PseudoLd.FUNC;
          code.refs.set(pc, { shndx: sym.shndx, insn: byte / 8 });
        } else {
          throw new ObjectError('BAD_RELOCATION', `elf: ${where}: lddw refers to "${symName}" in section "${target?.name ?? sym.shndx}", which is neither a map, global data nor code`, { section: sec.name });
        }
      } else if (isCall(insn)) {
        if (!target || (target.flags & 0x4) === 0) fail('BAD_RELOCATION', `call to "${symName}" expected a function in an executable section`);
        insn.src = PseudoCall.CALL;
        code.refs.set(pc, { shndx: sym.shndx, insn: sym.value / 8 + insn.imm + 1 });
      } else {
        fail('BAD_RELOCATION', `relocation against "${symName}" at an instruction that is neither lddw nor call (opcode 0x${insn.code.toString(16)})`);
      }
    }
  }
}

/** Refuse CO-RE relocations we cannot resolve against the object's own BTF. */
export function checkCoreRelos(code: CodeSection, from: number, to: number): void {
  for (const c of code.ext?.coreRelos ?? []) {
    if (c.insn < from || c.insn >= to) continue;
    // Resolved against the object's own BTF, every kind but TYPE_ID_TARGET is what clang already
    // wrote into the instruction (local offsets, sizes, existence = 1, local enum values).
    if (c.kind === 7 || c.kind >= CoreReloKind.length) {
      throw new ObjectError('CORE_RELO', `elf: section "${code.sec.name}": insn ${c.insn}: CO-RE relocation ${CoreReloKind[c.kind] ?? `kind ${c.kind}`} of "${c.accessStr}" (type ${c.typeId}) needs kernel BTF and is not supported`, { section: code.sec.name });
    }
  }
}

/** Link one program: entry function first, then every reachable subprogram, like libbpf. */
export function linkProgram(entry: CodeFunc, codes: Map<number, CodeSection>, info: { isXdp: boolean; frags: boolean }): ProgramSpec {
  const insns: Instruction[] = [];
  const lines: (SourceLine | undefined)[] = [];
  const funcs: { insn: number; name: string }[] = [];
  const placed = new Map<CodeFunc, number>();
  const queue: CodeFunc[] = [entry];
  const entrySec = codes.get(entry.shndx)!;
  const findFunc = (ref: CodeRef, from: string): CodeFunc => {
    const cs = codes.get(ref.shndx);
    const f = cs?.funcs.find((fn) => ref.insn >= fn.start && ref.insn < fn.end);
    if (!cs || !f) throw new ObjectError('BAD_CALL', `prog '${entry.name}': ${from} targets insn ${ref.insn} of section ${cs ? `"${cs.sec.name}"` : ref.shndx}, which is not inside a function`, { program: entry.name, section: entrySec.sec.name });
    return f;
  };
  for (let q = 0; q < queue.length; q++) {
    const fn = queue[q]!;
    const cs = codes.get(fn.shndx)!;
    checkCoreRelos(cs, fn.start, fn.end);
    const at = insns.length;
    placed.set(fn, at);
    funcs.push({ insn: at, name: fn.name });
    for (let pc = fn.start; pc < fn.end; pc++) {
      insns.push({ ...cs.insns[pc]! });
      lines.push(undefined);
      const ref = cs.refs.get(pc);
      if (ref) {
        const callee = findFunc(ref, `insn ${pc} of "${fn.name}"`);
        if (!placed.has(callee) && !queue.includes(callee)) queue.push(callee);
      }
    }
    for (const l of cs.ext?.lines ?? []) if (l.insn >= fn.start && l.insn < fn.end) lines[at + l.insn - fn.start] = l.line;
  }
  // Second pass: rewrite call and function-reference immediates for the new layout.
  for (const [fn, at] of placed) {
    const cs = codes.get(fn.shndx)!;
    for (let pc = fn.start; pc < fn.end; pc++) {
      const ref = cs.refs.get(pc);
      if (!ref) continue;
      const callee = findFunc(ref, `insn ${pc}`);
      const target = placed.get(callee)! + (ref.insn - callee.start);
      const slot = at + pc - fn.start;
      const insn = insns[slot]!;
      insn.imm = target - (slot + 1);
      if (insn.code === Op.LDDW) insn.imm64 = BigInt(insn.imm >>> 0);
    }
  }
  return { name: entry.name, section: entrySec.sec.name, isXdp: info.isXdp, frags: info.frags, insns, funcs, lines };
}

