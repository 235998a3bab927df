/**
 * LEB128 as the WebAssembly binary format uses it (spec §5.2.2 "Integers"). Unsigned and
 * 32-bit signed values take JS numbers; 64-bit signed constants take a bigint (a number would
 * lose bits past 2^53, the classic bug of small encoders).
 */

export function unsignedLeb(value: number, out: number[]): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`unsigned LEB128 value ${value} out of range`);
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v === 0) { out.push(byte); return; }
    out.push(byte | 0x80);
  }
}

export function signedLeb32(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

export function signedLeb64(value: bigint, out: number[]): void {
  let v = BigInt.asIntN(64, value);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** Decoders (tests and dumps only). Return [value, bytes read]. */
export function readUnsignedLeb(bytes: Uint8Array, at: number): [number, number] {
  let result = 0, shift = 0, i = at;
  for (;;) {
    const b = bytes[i++]!;
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result, i - at];
  }
}

export function readSignedLeb64(bytes: Uint8Array, at: number): [bigint, number] {
  let result = 0n, shift = 0n, i = at, b = 0;
  do {
    b = bytes[i++]!;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  if (b & 0x40) result -= 1n << shift;
  return [BigInt.asIntN(64, result), i - at];
}
