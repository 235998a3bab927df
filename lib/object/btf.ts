import { FormatError } from '../errors.ts';
import { dataView } from '../util/bytes.ts';

/**
 * BTF (the `.BTF` section): header, type section, string section (kernel
 * Documentation/bpf/btf.rst §2). All kinds up to ENUM64 are parsed; a type id that is out of
 * range is a FormatError with the byte offset of the reference. Type chains are followed with a
 * depth cap so a malicious loop cannot hang us.
 */

/** BTF strings (names, file paths, source lines) are UTF-8 as the compiler wrote them. */
const utf8 = new TextDecoder('utf-8');

export const BTF_MAGIC = 0xeb9f;
export const BTF_HEADER_MIN = 24;
/** Longest typedef/modifier/array chain we follow before calling it a loop. */
export const MAX_TYPE_DEPTH = 32;

/** BTF_KIND_* (btf.rst §2.2). */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export const BTF_KIND_NAMES = ['UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64'] as const;

/** BTF_INT_* encoding bits. */
export const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width in bits, 0 for an ordinary member. */
  bitSize: number;
}

export interface BtfEnumValue {
  name: string;
  value: bigint;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

/** One parsed type; fields beyond `kind`/`name` depend on the kind. */
export interface BtfType {
  id: number;
  kind: number;
  name: string;
  kindFlag: boolean;
  vlen: number;
  /** size (INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT) */
  size: number;
  /** referenced type (PTR, TYPEDEF, modifiers, FUNC, FUNC_PROTO return, VAR, DECL_TAG, TYPE_TAG) */
  type: number;
  /** INT: encoding bits, bit offset, bit count */
  intEncoding?: number;
  intOffset?: number;
  intBits?: number;
  /** ARRAY */
  array?: { type: number; indexType: number; nelems: number };
  members?: BtfMember[];
  enumValues?: BtfEnumValue[];
  params?: BtfParam[];
  /** VAR linkage or FUNC linkage (vlen) */
  linkage?: number;
  secinfo?: BtfVarSecinfo[];
  /** DECL_TAG component index (-1 = the declaration itself) */
  componentIdx?: number;
  /** Absolute file offset of the type record. */
  fileOffset: number;
}

/** JSON-like value as `bpftool map dump` formats it; integers beyond 2^53 stay bigint. */
export type FormattedValue = number | bigint | string | boolean | FormattedValue[] | { [key: string]: FormattedValue };

export class Btf {
  /** types[0] is the implicit void. */
  readonly types: BtfType[];
  readonly strings: Uint8Array;
  /** Absolute offset of the .BTF section in the file. */
  readonly base: number;
  private readonly stringsBase: number;

  get typeCount(): number {
    return this.types.length - 1;
  }

  /** Parse `.BTF` contents; `base` = absolute offset of `bytes[0]` in the object file. */
  constructor(bytes: Uint8Array, base = 0) {
    this.base = base;
    const fail = (code: string, at: number, detail: string): never => {
      throw new FormatError('btf', code, base + at, `section ".BTF": ${detail}`);
    };
    if (bytes.length < BTF_HEADER_MIN) fail('TRUNCATED', bytes.length, `header needs ${BTF_HEADER_MIN} bytes, found ${bytes.length}`);
    const v = dataView(bytes);
    const magic = v.getUint16(0, true);
    if (magic === 0x9feb) fail('BIG_ENDIAN', 0, 'big-endian BTF is not supported');
    if (magic !== BTF_MAGIC) fail('BAD_MAGIC', 0, `expected magic 0xeb9f, found 0x${magic.toString(16)}`);
    const version = bytes[2]!;
    if (version !== 1) fail('BAD_VERSION', 2, `expected version 1, found ${version}`);
    const hdrLen = v.getUint32(4, true);
    if (hdrLen < BTF_HEADER_MIN || hdrLen > bytes.length) fail('BAD_HEADER', 4, `hdr_len ${hdrLen} expected between ${BTF_HEADER_MIN} and ${bytes.length}`);
    const typeOff = v.getUint32(8, true);
    const typeLen = v.getUint32(12, true);
    const strOff = v.getUint32(16, true);
    const strLen = v.getUint32(20, true);
    const body = bytes.length - hdrLen;
    if (typeOff + typeLen > body) fail('BAD_LENGTHS', 8, `type section ${typeOff}+${typeLen} expected within ${body} bytes after the header`);
    if (strOff + strLen > body) fail('BAD_LENGTHS', 16, `string section ${strOff}+${strLen} expected within ${body} bytes after the header`);
    if (typeOff % 4 !== 0) fail('BAD_LENGTHS', 8, `type_off ${typeOff} expected 4-byte aligned`);
    this.stringsBase = hdrLen + strOff;
    this.strings = bytes.subarray(this.stringsBase, this.stringsBase + strLen);
    if (strLen > 0 && this.strings[0] !== 0) fail('BAD_STRINGS', this.stringsBase, 'string section expected to start with NUL');
    if (strLen > 0 && this.strings[strLen - 1] !== 0) fail('BAD_STRINGS', this.stringsBase + strLen - 1, 'string section expected to end with NUL');
    this.types = [{ id: 0, kind: BtfKind.UNKN, name: 'void', kindFlag: false, vlen: 0, size: 0, type: 0, fileOffset: base + hdrLen + typeOff }];
    const start = hdrLen + typeOff;
    const end = start + typeLen;
    let pos = start;
    const need = (n: number, what: string): void => {
      if (pos + n > end) fail('TRUNCATED', pos, `type ${this.types.length}: ${what} needs ${n} bytes, ${end - pos} left in the type section`);
    };
    const str = (off: number, at: number): string => this.stringAtOr(off, () => fail('BAD_STRING', at, `name offset ${off} expected < string section size ${strLen}`));
    while (pos < end) {
      const id = this.types.length;
      const at = pos;
      need(12, 'btf_type');
      const nameOff = v.getUint32(pos, true);
      const info = v.getUint32(pos + 4, true);
      const sizeOrType = v.getUint32(pos + 8, true);
      pos += 12;
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const kindFlag = (info >>> 31) === 1;
      const t: BtfType = { id, kind, name: str(nameOff, at), kindFlag, vlen, size: 0, type: 0, fileOffset: base + at };
      switch (kind) {
        case BtfKind.INT: {
          need(4, 'INT encoding');
          const e = v.getUint32(pos, true);
          pos += 4;
          t.size = sizeOrType;
          t.intEncoding = (e >>> 24) & 0x0f;
          t.intOffset = (e >>> 16) & 0xff;
          t.intBits = e & 0xff;
          if (t.intBits > 128 || t.intBits + t.intOffset > sizeOrType * 8) fail('BAD_TYPE', at, `type ${id}: INT of ${t.intBits} bits at bit ${t.intOffset} expected to fit ${sizeOrType} bytes`);
          break;
        }
        case BtfKind.PTR:
        case BtfKind.TYPEDEF:
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT:
        case BtfKind.FUNC:
        case BtfKind.TYPE_TAG:
          t.type = sizeOrType;
          if (kind === BtfKind.FUNC) t.linkage = vlen;
          break;
        case BtfKind.FWD:
          break;
        case BtfKind.ARRAY:
          need(12, 'btf_array');
          t.array = { type: v.getUint32(pos, true), indexType: v.getUint32(pos + 4, true), nelems: v.getUint32(pos + 8, true) };
          pos += 12;
          break;
        case BtfKind.STRUCT:
        case BtfKind.UNION: {
          t.size = sizeOrType;
          need(12 * vlen, `${vlen} members`);
          t.members = [];
          for (let i = 0; i < vlen; i++, pos += 12) {
            const off = v.getUint32(pos + 8, true);
            t.members.push({
              name: str(v.getUint32(pos, true), pos),
              type: v.getUint32(pos + 4, true),
              bitOffset: kindFlag ? off & 0xffffff : off,
              bitSize: kindFlag ? off >>> 24 : 0,
            });
          }
          break;
        }
        case BtfKind.ENUM: {
          t.size = sizeOrType;
          need(8 * vlen, `${vlen} enumerators`);
          t.enumValues = [];
          for (let i = 0; i < vlen; i++, pos += 8) {
            const raw = kindFlag ? v.getInt32(pos + 4, true) : v.getUint32(pos + 4, true);
            t.enumValues.push({ name: str(v.getUint32(pos, true), pos), value: BigInt(raw) });
          }
          break;
        }
        case BtfKind.ENUM64: {
          t.size = sizeOrType;
          need(12 * vlen, `${vlen} enumerators`);
          t.enumValues = [];
          for (let i = 0; i < vlen; i++, pos += 12) {
            const u = (BigInt(v.getUint32(pos + 8, true)) << 32n) | BigInt(v.getUint32(pos + 4, true));
            t.enumValues.push({ name: str(v.getUint32(pos, true), pos), value: kindFlag ? BigInt.asIntN(64, u) : u });
          }
          break;
        }
        case BtfKind.FUNC_PROTO:
          t.type = sizeOrType;
          need(8 * vlen, `${vlen} parameters`);
          t.params = [];
          for (let i = 0; i < vlen; i++, pos += 8) t.params.push({ name: str(v.getUint32(pos, true), pos), type: v.getUint32(pos + 4, true) });
          break;
        case BtfKind.VAR:
          t.type = sizeOrType;
          need(4, 'btf_var');
          t.linkage = v.getUint32(pos, true);
          pos += 4;
          break;
        case BtfKind.DATASEC:
          t.size = sizeOrType;
          need(12 * vlen, `${vlen} variables`);
          t.secinfo = [];
          for (let i = 0; i < vlen; i++, pos += 12) t.secinfo.push({ type: v.getUint32(pos, true), offset: v.getUint32(pos + 4, true), size: v.getUint32(pos + 8, true) });
          break;
        case BtfKind.FLOAT:
          t.size = sizeOrType;
          break;
        case BtfKind.DECL_TAG:
          t.type = sizeOrType;
          need(4, 'btf_decl_tag');
          t.componentIdx = v.getInt32(pos, true);
          pos += 4;
          break;
        default:
          fail('BAD_KIND', at + 4, `type ${id}: expected a kind 1..19, found ${kind}`);
      }
      this.types.push(t);
    }
    // Every reference must name an existing type.
    const n = this.types.length;
    const check = (t: BtfType, ref: number, what: string): void => {
      if (ref >= n) fail('BAD_TYPE_ID', t.fileOffset - base, `type ${t.id} (${BTF_KIND_NAMES[t.kind]}): ${what} refers to type ${ref}, expected < ${n}`);
    };
    for (const t of this.types) {
      check(t, t.type, 'type');
      if (t.array) {
        check(t, t.array.type, 'element type');
        check(t, t.array.indexType, 'index type');
      }
      for (const m of t.members ?? []) check(t, m.type, `member "${m.name}"`);
      for (const p of t.params ?? []) check(t, p.type, `parameter "${p.name}"`);
      for (const s of t.secinfo ?? []) check(t, s.type, 'variable');
    }
  }

  private readonly stringCache = new Map<number, string>();

  private stringAtOr(off: number, onBad: () => never): string {
    if (off === 0) return '';
    if (off >= this.strings.length) onBad();
    const hit = this.stringCache.get(off);
    if (hit !== undefined) return hit;
    const end = this.strings.indexOf(0, off);
    const s = utf8.decode(this.strings.subarray(off, end));
    this.stringCache.set(off, s);
    return s;
  }

  /** String at `off` in the BTF string section (used by BTF.ext); undefined when out of range. */
  stringAt(off: number): string | undefined {
    if (off >= this.strings.length) return undefined;
    return this.stringAtOr(off, () => {
      throw new Error('unreachable');
    });
  }

  /** Absolute file offset of a string (for messages). */
  stringOffset(off: number): number {
    return this.base + this.stringsBase + off;
  }

  type(id: number): BtfType {
    const t = this.types[id];
    if (t === undefined) throw new FormatError('btf', 'BAD_TYPE_ID', this.base, `section ".BTF": type id ${id} expected < ${this.types.length}`);
    return t;
  }

  private loop(id: number): never {
    throw new FormatError('btf', 'TYPE_LOOP', this.type(id).fileOffset, `section ".BTF": type ${id}: chain of references longer than ${MAX_TYPE_DEPTH} (a loop?)`);
  }

  /** Follow typedef/const/volatile/restrict/type_tag to the underlying type. */
  skipModifiers(id: number): BtfType {
    let t = this.type(id);
    for (let d = 0; ; d++) {
      if (d > MAX_TYPE_DEPTH) this.loop(id);
      if (t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG) {
        t = this.type(t.type);
      } else return t;
    }
  }

  /** Byte size of a type (btf__resolve_size). */
  sizeOf(id: number, depth = 0): number {
    if (depth > MAX_TYPE_DEPTH) this.loop(id);
    const t = this.skipModifiers(id);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.DATASEC:
      case BtfKind.FLOAT:
        return t.size;
      case BtfKind.PTR:
        return 8;
      case BtfKind.ARRAY:
        return t.array!.nelems * this.sizeOf(t.array!.type, depth + 1);
      case BtfKind.VAR:
        return this.sizeOf(t.type, depth + 1);
      default:
        return 0;
    }
  }

  /** C-like name of a type: `struct flow_key`, `__u32`, `char[16]`, `void *`. */
  typeName(id: number, depth = 0): string {
    if (depth > MAX_TYPE_DEPTH) this.loop(id);
    const t = this.type(id);
    switch (t.kind) {
      case BtfKind.UNKN:
        return 'void';
      case BtfKind.STRUCT:
        return `struct ${t.name || '(anon)'}`;
      case BtfKind.UNION:
        return `union ${t.name || '(anon)'}`;
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return `enum ${t.name || '(anon)'}`;
      case BtfKind.PTR:
        return `${this.typeName(t.type, depth + 1)} *`;
      case BtfKind.ARRAY:
        return `${this.typeName(t.array!.type, depth + 1)}[${t.array!.nelems}]`;
      case BtfKind.CONST:
        return `const ${this.typeName(t.type, depth + 1)}`;
      case BtfKind.VOLATILE:
        return `volatile ${this.typeName(t.type, depth + 1)}`;
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
        return this.typeName(t.type, depth + 1);
      default:
        return t.name || `(${BTF_KIND_NAMES[t.kind]} ${t.id})`;
    }
  }

  /** Find a named type (first match), optionally of one kind. */
  findByName(name: string, kind?: number): BtfType | undefined {
    return this.types.find((t) => t.name === name && (kind === undefined || t.kind === kind));
  }
}
