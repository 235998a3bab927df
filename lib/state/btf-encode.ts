import { UsageError } from '../errors.ts';
import { Btf, BtfIntEncoding, BtfKind, MAX_TYPE_DEPTH, type BtfType } from '../object/btf.ts';

/**
 * The inverse of formatBtfValue (object/btf-format.ts): JSON shaped like bpftool's
 * `"formatted"` output → bytes of a BTF type. Integers as numbers, bigint or "0x…" strings;
 * bool as true/false; enums by name or number; char arrays as strings; structs/unions as
 * objects keyed by member name (members left out stay zero); arrays as arrays (shorter ones
 * are zero-padded); DATASEC as `{ "<sec>": [ { "<var>": value }, … ] }` or `{ "<var>": value }`.
 * Errors name the JSON path that is wrong (`maps.json: backends[0].value.port: …`).
 */
export function encodeBtfValue(btf: Btf, typeId: number, value: unknown, where: string): Uint8Array {
  const out = new Uint8Array(btf.sizeOf(typeId));
  encode(btf, typeId, value, out, 0, where, 0);
  return out;
}

function fail(where: string, detail: string): never {
  throw new UsageError(`${where}: ${detail}`);
}

function toBigInt(value: unknown, where: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'string' && /^-?(0x[0-9a-f]+|\d+)$/i.test(value)) return value.startsWith('-') ? -BigInt(value.slice(1)) : BigInt(value);
  return fail(where, `expected an integer, found ${JSON.stringify(value)}`);
}

function writeBits(out: Uint8Array, bitOffset: number, bitSize: number, v: bigint): void {
  const mask = (1n << BigInt(bitSize)) - 1n;
  v &= mask;
  for (let i = 0; i < bitSize; i++) {
    const bit = bitOffset + i;
    const byte = bit >> 3;
    if (byte >= out.length) return;
    if ((v >> BigInt(i)) & 1n) out[byte]! |= 1 << (bit & 7);
    else out[byte]! &= ~(1 << (bit & 7));
  }
}

function writeInt(out: Uint8Array, off: number, size: number, v: bigint, where: string, signed: boolean): void {
  const bits = BigInt(size * 8);
  const min = -(1n << (bits - 1n)); // negative values of unsigned types are taken as two's complement
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (v < min || v > max) fail(where, `${v} does not fit in ${size} bytes`);
  let u = BigInt.asUintN(Number(bits), v);
  for (let i = 0; i < size; i++, u >>= 8n) out[off + i] = Number(u & 0xffn);
}

function isCharType(btf: Btf, id: number): boolean {
  const t = btf.skipModifiers(id);
  return t.kind === BtfKind.INT && t.size === 1 && (((t.intEncoding ?? 0) & BtfIntEncoding.CHAR) !== 0 || t.name === 'char');
}

function encode(btf: Btf, id: number, value: unknown, out: Uint8Array, off: number, where: string, depth: number): void {
  if (depth > MAX_TYPE_DEPTH) fail(where, `type nesting deeper than ${MAX_TYPE_DEPTH}`);
  const t: BtfType = btf.skipModifiers(id);
  switch (t.kind) {
    case BtfKind.INT: {
      const bits = t.intBits ?? t.size * 8;
      const v = toBigInt(value, where);
      if (t.intOffset || bits !== t.size * 8) writeBits(out, off * 8 + (t.intOffset ?? 0), bits, v);
      else writeInt(out, off, t.size, v, where, ((t.intEncoding ?? 0) & BtfIntEncoding.SIGNED) !== 0);
      return;
    }
    case BtfKind.PTR:
      writeInt(out, off, 8, toBigInt(value, where), where, false);
      return;
    case BtfKind.FLOAT: {
      if (typeof value !== 'number') fail(where, `expected a number, found ${JSON.stringify(value)}`);
      const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
      if (t.size === 4) v.setFloat32(off, value, true);
      else if (t.size === 8) v.setFloat64(off, value, true);
      else fail(where, `float of ${t.size} bytes is not supported`);
      return;
    }
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      const named = typeof value === 'string' ? t.enumValues!.find((e) => e.name === value) : undefined;
      const v = named !== undefined ? named.value : typeof value === 'string' && !/^-?(0x)?[0-9a-f]+$/i.test(value)
        ? fail(where, `"${value}" is not an enumerator of ${t.name || 'the enum'} (${t.enumValues!.map((e) => e.name).join(', ')})`)
        : toBigInt(value, where);
      writeInt(out, off, t.size, BigInt.asUintN(t.size * 8, v), where, false);
      return;
    }
    case BtfKind.ARRAY: {
      const a = t.array!;
      const es = btf.sizeOf(a.type);
      if (typeof value === 'string' && isCharType(btf, a.type)) {
        const bytes = new TextEncoder().encode(value);
        if (bytes.length > a.nelems) fail(where, `string of ${bytes.length} bytes does not fit in char[${a.nelems}]`);
        out.set(bytes, off);
        return;
      }
      if (!Array.isArray(value)) fail(where, `expected an array of ${a.nelems}, found ${JSON.stringify(value)}`);
      if (value.length > a.nelems) fail(where, `array of ${value.length} elements does not fit in [${a.nelems}]`);
      value.forEach((v, i) => encode(btf, a.type, v, out, off + i * es, `${where}[${i}]`, depth + 1));
      return;
    }
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(where, `expected an object with members ${t.members!.map((m) => m.name).join(', ')}`);
      const obj = value as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        if (!t.members!.some((m) => m.name === key)) fail(where, `${t.name || 'the struct'} has no member "${key}" (members: ${t.members!.map((m) => m.name).join(', ')})`);
      }
      for (const m of t.members!) {
        if (!(m.name in obj)) continue;
        const at = `${where}.${m.name}`;
        if (m.bitSize > 0 || m.bitOffset % 8 !== 0) {
          const mt = btf.skipModifiers(m.type);
          writeBits(out, off * 8 + m.bitOffset, m.bitSize || (mt.intBits ?? mt.size * 8), toBigInt(obj[m.name], at));
        } else {
          encode(btf, m.type, obj[m.name], out, off + m.bitOffset / 8, at, depth + 1);
        }
      }
      return;
    }
    case BtfKind.VAR:
      encode(btf, t.type, value, out, off, where, depth + 1);
      return;
    case BtfKind.DATASEC: {
      // Accept bpftool's shape { ".data": [ {var: v}, … ] } or a flat { var: v, … }.
      let vars: Record<string, unknown> = {};
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        const list = obj[t.name];
        if (Array.isArray(list)) for (const item of list) Object.assign(vars, item as Record<string, unknown>);
        else vars = obj;
      } else fail(where, `expected an object of variables for ${t.name}`);
      const byName = new Map(t.secinfo!.map((s) => [btf.type(s.type).name, s] as const));
      for (const [name, v] of Object.entries(vars)) {
        const s = byName.get(name) ?? fail(where, `section ${t.name} has no variable "${name}" (variables: ${[...byName.keys()].join(', ')})`);
        encode(btf, s.type, v, out, off + s.offset, `${where}.${name}`, depth + 1);
      }
      return;
    }
    default:
      fail(where, `cannot encode BTF kind ${t.kind} from JSON; give the value as hex`);
  }
}
