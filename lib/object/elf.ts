import { FormatError } from '../errors.ts';
import { dataView } from '../util/bytes.ts';

/**
 * Minimal ELF64 reader for BPF objects (System V gABI, "ELF-64 Object File Format" 1.5).
 * Every offset and size read from the file is checked against the file before use; a violation
 * is a FormatError('elf', code, absolute byte offset, expected vs found).
 */

/** e_ident / header constants (gABI §4). */
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EM_BPF = 247;
export const EHDR_SIZE = 64;
export const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;
export const RELA_SIZE = 24;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;
export const SHN_LORESERVE = 0xff00;

/** Section types (sh_type). */
export const ShType = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
/** Section flags (sh_flags). */
export const ShFlag = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;
/** Symbol binding / type (st_info). */
export const StBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const StType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;

/** BPF relocation types (llvm BPFELFObjectWriter; kernel Documentation/bpf/llvm_reloc.rst). */
export const RBpf = { NONE: 0, R_64_64: 1, R_64_ABS64: 2, R_64_ABS32: 3, R_64_NODYLD32: 4, R_64_32: 10 } as const;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** Absolute file offset of the contents (0 for NOBITS). */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** File offset of this section's header, for error messages. */
  headerOffset: number;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  shndx: number;
  /** Absolute file offset of the symbol entry. */
  fileOffset: number;
}

export interface ElfRelocation {
  /** Offset of the patched bytes within the target section. */
  offset: number;
  type: number;
  symbol: number;
  addend: number;
  /** Absolute file offset of the relocation entry. */
  fileOffset: number;
}

export class ElfFile {
  readonly bytes: Uint8Array;
  readonly sections: ElfSection[];
  readonly symbols: ElfSymbol[];
  /** Index of the .symtab section, or -1. */
  readonly symtabIndex: number;
  private readonly view: DataView;

  constructor(input: Uint8Array) {
    // A plain Uint8Array view: Node's Buffer.slice() would alias instead of copying.
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.bytes = bytes;
    this.view = dataView(bytes);
    const h = this.readHeader();
    this.sections = this.readSections(h.shoff, h.shnum, h.shstrndx, h.shentsize);
    this.symtabIndex = this.sections.findIndex((s) => s.type === ShType.SYMTAB);
    this.symbols = this.symtabIndex < 0 ? [] : this.readSymbols(this.sections[this.symtabIndex]!);
  }

  private fail(code: string, at: number, detail: string): never {
    throw new FormatError('elf', code, at, detail);
  }

  private need(at: number, len: number, what: string): void {
    if (at < 0 || len < 0 || at + len > this.bytes.length) {
      this.fail('OUT_OF_BOUNDS', Math.min(Math.max(at, 0), this.bytes.length), `${what}: bytes ${at}..${at + len} expected within the file of ${this.bytes.length} bytes`);
    }
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }
  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }
  /** u64 field that must fit a JS number. */
  private u64n(at: number, what: string): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('BAD_VALUE', at, `${what}: expected a size or offset, found ${v}`);
    return Number(v);
  }

  private readHeader(): { shoff: number; shnum: number; shstrndx: number; shentsize: number } {
    const b = this.bytes;
    if (b.length < 16) this.fail('TRUNCATED', b.length, `ELF identification needs 16 bytes, file has ${b.length}`);
    if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
      const found = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
      this.fail('BAD_MAGIC', 0, `expected ELF magic 7f 45 4c 46, found ${found}`);
    }
    if (b[4] !== ELFCLASS64) this.fail('BAD_CLASS', 4, `expected ELFCLASS64 (2), found ${b[4]}`);
    if (b[5] === ELFDATA2MSB) this.fail('BIG_ENDIAN', 5, 'big-endian BPF objects are not supported (build with -target bpfel or -target bpf on a little-endian host)');
    if (b[5] !== ELFDATA2LSB) this.fail('BAD_DATA', 5, `expected ELFDATA2LSB (1), found ${b[5]}`);
    if (b.length < EHDR_SIZE) this.fail('TRUNCATED', b.length, `ELF header needs ${EHDR_SIZE} bytes, file has ${b.length}`);
    const machine = this.u16(18);
    if (machine !== EM_BPF) this.fail('BAD_MACHINE', 18, `expected e_machine EM_BPF (247), found ${machine}`);
    const shoff = this.u64n(40, 'e_shoff');
    const shentsize = this.u16(58);
    let shnum = this.u16(60);
    let shstrndx = this.u16(62);
    if (shoff === 0) this.fail('NO_SECTIONS', 40, 'expected a section header table, e_shoff is 0');
    if (shentsize !== SHDR_SIZE) this.fail('BAD_SHENTSIZE', 58, `expected e_shentsize ${SHDR_SIZE}, found ${shentsize}`);
    this.need(shoff, SHDR_SIZE, 'section header 0');
    if (shnum === 0) shnum = this.u64n(shoff + 32, 'section 0 sh_size (extended e_shnum)');
    if (shstrndx === SHN_XINDEX) shstrndx = this.u32(shoff + 40);
    this.need(shoff, shnum * SHDR_SIZE, `section header table (${shnum} entries)`);
    if (shstrndx >= shnum) this.fail('BAD_SHSTRNDX', 62, `expected e_shstrndx < ${shnum}, found ${shstrndx}`);
    return { shoff, shnum, shstrndx, shentsize };
  }

  private readSections(shoff: number, shnum: number, shstrndx: number, shentsize: number): ElfSection[] {
    const raw: ElfSection[] = [];
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      const sec: ElfSection = {
        index: i,
        name: '',
        type: this.u32(at + 4),
        flags: this.u64n(at + 8, `section ${i} sh_flags`),
        offset: this.u64n(at + 24, `section ${i} sh_offset`),
        size: this.u64n(at + 32, `section ${i} sh_size`),
        link: this.u32(at + 40),
        info: this.u32(at + 44),
        entsize: this.u64n(at + 56, `section ${i} sh_entsize`),
        headerOffset: at,
      };
      raw.push(sec);
    }
    const nameOffsets = raw.map((s) => this.u32(s.headerOffset));
    const shstr = raw[shstrndx]!;
    this.checkContents(shstr, `section ${shstrndx} (section names)`);
    for (const s of raw) {
      s.name = this.stringAt(shstr, nameOffsets[s.index]!, s.headerOffset);
    }
    for (const s of raw) if (s.index !== 0) this.checkContents(s, `section "${s.name}"`);
    return raw;
  }

  private checkContents(s: ElfSection, what: string): void {
    if (s.type === ShType.NOBITS || s.type === ShType.NULL) return;
    if (s.offset + s.size > this.bytes.length) {
      this.fail('SECTION_OUT_OF_FILE', s.headerOffset + 24, `${what}: contents ${s.offset}..${s.offset + s.size} expected within the file of ${this.bytes.length} bytes`);
    }
  }

  /** NUL-terminated string at `off` in string-table section `strtab`; `refAt` is where the reference was read. */
  stringAt(strtab: ElfSection, off: number, refAt: number): string {
    if (off >= strtab.size) this.fail('BAD_STRING', refAt, `string offset ${off} expected < size ${strtab.size} of "${strtab.name || 'string table'}"`);
    const start = strtab.offset + off;
    const end = this.bytes.indexOf(0, start);
    if (end < 0 || end >= strtab.offset + strtab.size) this.fail('BAD_STRING', start, `string in "${strtab.name}" at offset ${off} is not NUL-terminated within the section`);
    return latin1(this.bytes.subarray(start, end));
  }

  /** Contents of a section (empty for NOBITS); aliases the file bytes. */
  contents(s: ElfSection): Uint8Array {
    if (s.type === ShType.NOBITS) return new Uint8Array(0);
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  private readSymbols(symtab: ElfSection): ElfSymbol[] {
    if (symtab.size % SYM_SIZE !== 0) this.fail('BAD_SYMTAB', symtab.headerOffset + 32, `section "${symtab.name}": size ${symtab.size} expected a multiple of ${SYM_SIZE}`);
    const strtab = this.sections[symtab.link];
    if (strtab === undefined || strtab.type !== ShType.STRTAB) {
      this.fail('BAD_SYMTAB', symtab.headerOffset + 40, `section "${symtab.name}": sh_link ${symtab.link} expected to name a string table`);
    }
    const out: ElfSymbol[] = [];
    const n = symtab.size / SYM_SIZE;
    for (let i = 0; i < n; i++) {
      const at = symtab.offset + i * SYM_SIZE;
      const info = this.bytes[at + 4]!;
      const sym: ElfSymbol = {
        index: i,
        name: this.stringAt(strtab, this.u32(at), at),
        bind: info >> 4,
        type: info & 0xf,
        shndx: this.u16(at + 6),
        value: this.u64n(at + 8, `symbol ${i} st_value`),
        size: this.u64n(at + 16, `symbol ${i} st_size`),
        fileOffset: at,
      };
      if (sym.shndx !== SHN_UNDEF && sym.shndx < SHN_LORESERVE) {
        const sec = this.sections[sym.shndx];
        if (sec === undefined) this.fail('BAD_SYMBOL', at + 6, `symbol "${sym.name}": section index ${sym.shndx} expected < ${this.sections.length}`);
        if (sym.type !== StType.SECTION && sym.type !== StType.FILE && sym.value + sym.size > sec.size) {
          this.fail('SYMBOL_OUT_OF_SECTION', at + 8, `section "${sec.name}": symbol "${sym.name}" at ${sym.value} size ${sym.size} expected within the section size ${sec.size}`);
        }
      }
      out.push(sym);
    }
    return out;
  }

  /** Relocations of a REL or RELA section, symbols checked against the symbol table. */
  relocations(rel: ElfSection): ElfRelocation[] {
    const isRela = rel.type === ShType.RELA;
    const entsize = isRela ? RELA_SIZE : REL_SIZE;
    if (rel.size % entsize !== 0) this.fail('BAD_RELOCATIONS', rel.headerOffset + 32, `section "${rel.name}": size ${rel.size} expected a multiple of ${entsize}`);
    if (rel.link !== this.symtabIndex) this.fail('BAD_RELOCATIONS', rel.headerOffset + 40, `section "${rel.name}": sh_link ${rel.link} expected the symbol table ${this.symtabIndex}`);
    const target = this.sections[rel.info];
    const out: ElfRelocation[] = [];
    for (let i = 0; i < rel.size / entsize; i++) {
      const at = rel.offset + i * entsize;
      const offset = this.u64n(at, `section "${rel.name}" relocation ${i} r_offset`);
      const type = this.u32(at + 8);
      const symbol = this.u32(at + 12);
      const addend = isRela ? Number(this.view.getBigInt64(at + 16, true)) : 0;
      if (symbol >= this.symbols.length) {
        this.fail('BAD_RELOCATION_SYMBOL', at + 12, `section "${rel.name}": relocation ${i} refers to symbol ${symbol}, expected < ${this.symbols.length}`);
      }
      const width = type === RBpf.R_64_ABS32 || type === RBpf.R_64_NODYLD32 ? 4 : 8;
      if (target !== undefined && target.type !== ShType.NOBITS && offset + width > target.size) {
        this.fail('BAD_RELOCATION_OFFSET', at, `section "${rel.name}": relocation ${i} at offset ${offset} expected within "${target.name}" (${target.size} bytes)`);
      }
      out.push({ offset, type, symbol, addend, fileOffset: at });
    }
    return out;
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}
