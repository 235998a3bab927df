import { FormatError } from '../errors.ts';
import { Btf, BtfIntEncoding, BtfKind, MAX_TYPE_DEPTH, type BtfType, type FormattedValue } from './btf.ts';

/**
 * Render bytes of a BTF type as JSON the way `bpftool map dump` prints `"formatted"`
 * (bpftool btf_dumper.c): integers as numbers (bool as true/false), `char[]` that holds a
 * printable NUL-terminated string as a string, bitfields as hex strings (`"0x5"`), structs/unions as objects keyed by member name,
 * arrays as arrays, enums by enumerator name (the number when none matches), pointers as numbers,
 * DATASEC as `{ "<sec>": [ { "<var>": value }, … ] }`. Integers beyond 2^53 are bigint; use
 * `stringifyFormatted` to print them exactly.
 */
export function formatBtfValue(btf: Btf, typeId: number, bytes: Uint8Array): FormattedValue {
  return dump(btf, typeId, bytes, 0, 0);
}

function readUnsigned(bytes: Uint8Array, byteOff: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[byteOff + i] ?? 0);
  return v;
}

function num(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function bitsAt(bytes: Uint8Array, bitOffset: number, bitSize: number): bigint {
  const first = bitOffset >> 3;
  const last = (bitOffset + bitSize + 7) >> 3;
  const raw = readUnsigned(bytes, first, last - first);
  return (raw >> BigInt(bitOffset & 7)) & ((1n << BigInt(bitSize)) - 1n);
}

function intValue(t: BtfType, raw: bigint, bits: number): FormattedValue {
  const enc = t.intEncoding ?? 0;
  if (enc & BtfIntEncoding.BOOL) return raw !== 0n;
  if (bits > 64) return `0x${raw.toString(16)}`;
  if (enc & BtfIntEncoding.SIGNED) return num(BigInt.asIntN(bits, raw));
  return num(raw);
}

function isCharType(btf: Btf, id: number): boolean {
  let t = btf.type(id);
  for (let d = 0; d < MAX_TYPE_DEPTH && (t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG); d++) t = btf.type(t.type);
  return t.kind === BtfKind.INT && t.size === 1 && (((t.intEncoding ?? 0) & BtfIntEncoding.CHAR) !== 0 || t.name === 'char');
}

function asString(bytes: Uint8Array, off: number, n: number): string | undefined {
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[off + i] ?? 0;
    if (c === 0) return s;
    if (c <= 0x1f || c >= 0x7f) return undefined;
    s += String.fromCharCode(c);
  }
  return undefined;
}

function dump(btf: Btf, id: number, bytes: Uint8Array, off: number, depth: number): FormattedValue {
  if (depth > MAX_TYPE_DEPTH) {
    throw new FormatError('btf', 'TYPE_LOOP', btf.type(id).fileOffset, `section ".BTF": type ${id}: nesting deeper than ${MAX_TYPE_DEPTH} (a loop?)`);
  }
  const t = btf.skipModifiers(id);
  switch (t.kind) {
    case BtfKind.INT: {
      const bits = t.intBits ?? t.size * 8;
      if (t.intOffset || bits !== t.size * 8) return `0x${bitsAt(bytes, off * 8 + (t.intOffset ?? 0), bits).toString(16)}`;
      return intValue(t, readUnsigned(bytes, off, t.size), bits);
    }
    case BtfKind.PTR:
      return num(readUnsigned(bytes, off, 8));
    case BtfKind.FLOAT: {
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (t.size === 4 && off + 4 <= bytes.length) return v.getFloat32(off, true);
      if (t.size === 8 && off + 8 <= bytes.length) return v.getFloat64(off, true);
      return `0x${readUnsigned(bytes, off, t.size).toString(16)}`;
    }
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      const raw = readUnsigned(bytes, off, t.size);
      const signed = BigInt.asIntN(t.size * 8, raw);
      const hit = t.enumValues!.find((e) => e.value === raw || e.value === signed);
      return hit ? hit.name : num(t.kindFlag ? signed : raw);
    }
    case BtfKind.ARRAY: {
      const a = t.array!;
      if (isCharType(btf, a.type) && a.nelems > 0) {
        const s = asString(bytes, off, a.nelems);
        if (s !== undefined) return s;
      }
      const es = btf.sizeOf(a.type);
      const out: FormattedValue[] = [];
      for (let i = 0; i < a.nelems; i++) out.push(dump(btf, a.type, bytes, off + i * es, depth + 1));
      return out;
    }
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const out: { [key: string]: FormattedValue } = {};
      for (const m of t.members!) {
        if (m.bitSize > 0 || m.bitOffset % 8 !== 0) {
          // bpftool prints bitfields as hex strings (btf_dumper_bitfield).
          const mt = btf.skipModifiers(m.type);
          const bits = m.bitSize || (mt.intBits ?? mt.size * 8);
          out[m.name] = `0x${bitsAt(bytes, off * 8 + m.bitOffset, bits).toString(16)}`;
        } else {
          out[m.name] = dump(btf, m.type, bytes, off + m.bitOffset / 8, depth + 1);
        }
      }
      return out;
    }
    case BtfKind.VAR:
      return { [t.name]: dump(btf, t.type, bytes, off, depth + 1) };
    case BtfKind.DATASEC:
      return { [t.name]: t.secinfo!.map((s) => dump(btf, s.type, bytes, off + s.offset, depth + 1)) };
    default:
      return `0x${readUnsigned(bytes, off, btf.sizeOf(id)).toString(16)}`;
  }
}

/** JSON.stringify that prints bigint values as exact integers. */
export function stringifyFormatted(value: FormattedValue, indent?: number): string {
  const marked = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `__bigint__${v}` : v), indent);
  return marked.replace(/"__bigint__(-?\d+)"/g, '$1');
}
