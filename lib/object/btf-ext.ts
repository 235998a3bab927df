import { FormatError } from '../errors.ts';
import { dataView } from '../util/bytes.ts';
import { Btf, BtfKind } from './btf.ts';
import type { SourceLine } from './types.ts';

/**
 * `.BTF.ext` (kernel Documentation/bpf/btf.rst §4.2): func_info, line_info and CO-RE
 * relocation records, grouped per ELF section. In object files `insn_off` is a byte offset into
 * the section; we convert to instruction slots. Strings live in the `.BTF` string section.
 * line_col packs line and column: line = line_col >> 10, col = line_col & 0x3ff.
 */

export const BTF_EXT_HEADER_MIN = 24;

export interface FuncInfo {
  /** Instruction slot within the section. */
  insn: number;
  typeId: number;
  /** Name of the BTF FUNC. */
  name: string;
}

export interface LineInfo {
  insn: number;
  line: SourceLine;
}

/** CO-RE relocation kinds (enum bpf_core_relo_kind). */
export const CoreReloKind = [
  'FIELD_BYTE_OFFSET', 'FIELD_BYTE_SIZE', 'FIELD_EXISTS', 'FIELD_SIGNED', 'FIELD_LSHIFT_U64', 'FIELD_RSHIFT_U64',
  'TYPE_ID_LOCAL', 'TYPE_ID_TARGET', 'TYPE_EXISTS', 'TYPE_SIZE', 'ENUMVAL_EXISTS', 'ENUMVAL_VALUE', 'TYPE_MATCHES',
] as const;

export interface CoreRelo {
  insn: number;
  typeId: number;
  accessStr: string;
  kind: number;
  fileOffset: number;
}

export interface SectionExtInfo {
  funcs: FuncInfo[];
  lines: LineInfo[];
  coreRelos: CoreRelo[];
}

export type BtfExt = Map<string, SectionExtInfo>;

export function parseBtfExt(bytes: Uint8Array, base: number, btf: Btf): BtfExt {
  const fail = (code: string, at: number, detail: string): never => {
    throw new FormatError('btf.ext', code, base + at, `section ".BTF.ext": ${detail}`);
  };
  if (bytes.length < BTF_EXT_HEADER_MIN) fail('TRUNCATED', bytes.length, `header needs ${BTF_EXT_HEADER_MIN} bytes, found ${bytes.length}`);
  const v = dataView(bytes);
  const magic = v.getUint16(0, true);
  if (magic !== 0xeb9f) fail('BAD_MAGIC', 0, `expected magic 0xeb9f, found 0x${magic.toString(16)}`);
  const hdrLen = v.getUint32(4, true);
  if (hdrLen < BTF_EXT_HEADER_MIN || hdrLen > bytes.length) fail('BAD_HEADER', 4, `hdr_len ${hdrLen} expected between ${BTF_EXT_HEADER_MIN} and ${bytes.length}`);
  const out: BtfExt = new Map();
  const entry = (name: string): SectionExtInfo => {
    let e = out.get(name);
    if (!e) out.set(name, (e = { funcs: [], lines: [], coreRelos: [] }));
    return e;
  };
  const str = (off: number, at: number): string => btf.stringAt(off) ?? fail('BAD_STRING', at, `string offset ${off} expected within the .BTF string section (${btf.strings.length} bytes)`);

  const walk = (hdrField: number, minRec: number, what: string, rec: (sec: string, at: number) => void): void => {
    if (hdrField + 8 > hdrLen) return;
    const off = v.getUint32(hdrField, true);
    const len = v.getUint32(hdrField + 4, true);
    if (len === 0) return;
    const start = hdrLen + off;
    const end = start + len;
    if (end > bytes.length) fail('BAD_LENGTHS', hdrField, `${what} ${off}+${len} expected within ${bytes.length - hdrLen} bytes after the header`);
    if (len < 4) fail('TRUNCATED', start, `${what}: record size needs 4 bytes`);
    const recSize = v.getUint32(start, true);
    if (recSize < minRec || recSize % 4 !== 0) fail('BAD_RECORD_SIZE', start, `${what}: record size ${recSize} expected >= ${minRec} and a multiple of 4`);
    let pos = start + 4;
    while (pos < end) {
      if (pos + 8 > end) fail('TRUNCATED', pos, `${what}: section header needs 8 bytes, ${end - pos} left`);
      const sec = str(v.getUint32(pos, true), pos);
      const n = v.getUint32(pos + 4, true);
      pos += 8;
      if (n * recSize > end - pos) fail('TRUNCATED', pos, `${what} for section "${sec}": ${n} records of ${recSize} bytes expected within ${end - pos} bytes`);
      for (let i = 0; i < n; i++, pos += recSize) rec(sec, pos);
    }
  };
  const slot = (at: number, what: string): number => {
    const b = v.getUint32(at, true);
    if (b % 8 !== 0) fail('BAD_INSN_OFF', at, `${what}: insn_off ${b} expected a multiple of 8`);
    return b / 8;
  };

  walk(8, 8, 'func_info', (sec, at) => {
    const typeId = v.getUint32(at + 4, true);
    const t = btf.types[typeId];
    if (t === undefined || t.kind !== BtfKind.FUNC) fail('BAD_FUNC_INFO', at + 4, `func_info for section "${sec}": type ${typeId} expected a BTF FUNC`);
    entry(sec).funcs.push({ insn: slot(at, `func_info for section "${sec}"`), typeId, name: t.name });
  });
  walk(16, 16, 'line_info', (sec, at) => {
    const lc = v.getUint32(at + 12, true);
    entry(sec).lines.push({
      insn: slot(at, `line_info for section "${sec}"`),
      line: { file: str(v.getUint32(at + 4, true), at + 4), text: str(v.getUint32(at + 8, true), at + 8), line: lc >>> 10, col: lc & 0x3ff },
    });
  });
  if (hdrLen >= 32) {
    walk(24, 16, 'core_relo', (sec, at) => {
      entry(sec).coreRelos.push({
        insn: slot(at, `core_relo for section "${sec}"`),
        typeId: v.getUint32(at + 4, true),
        accessStr: str(v.getUint32(at + 8, true), at + 8),
        kind: v.getUint32(at + 12, true),
        fileOffset: base + at,
      });
    });
  }
  return out;
}
