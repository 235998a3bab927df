/**
 * Byte cursors over Uint8Array with explicit endianness.
 * ByteReader checks bounds before every read and reports absolute offsets
 * (`base` is the absolute offset of `bytes[0]` in the whole input).
 * ByteWriter grows geometrically (amortised O(1) appends, never concat per chunk).
 */

export class OutOfBoundsError extends RangeError {
  constructor(readonly byteOffset: number, readonly need: number, readonly have: number) {
    super(`need ${need} bytes at byte ${byteOffset}, only ${have} available`);
    this.name = 'OutOfBoundsError';
  }
}

export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Position within `bytes`. */
  pos: number;
  littleEndian: boolean;
  /** Absolute offset of bytes[0] in the original input, for error messages. */
  readonly base: number;

  constructor(bytes: Uint8Array, options: { littleEndian?: boolean; base?: number; pos?: number } = {}) {
    this.bytes = bytes;
    this.view = dataView(bytes);
    this.littleEndian = options.littleEndian ?? true;
    this.base = options.base ?? 0;
    this.pos = options.pos ?? 0;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Absolute offset of the cursor. */
  get absolute(): number {
    return this.base + this.pos;
  }

  ensure(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new OutOfBoundsError(this.absolute, n, this.remaining);
  }

  skip(n: number): this {
    this.ensure(n);
    this.pos += n;
    return this;
  }

  u8(): number {
    this.ensure(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.ensure(2);
    const v = this.view.getUint16(this.pos, this.littleEndian);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.ensure(4);
    const v = this.view.getUint32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.ensure(4);
    const v = this.view.getInt32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.ensure(8);
    const v = this.view.getBigUint64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }

  /** A u64 that must fit in a JS number (sizes, offsets). */
  u64n(): number {
    const at = this.absolute;
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new OutOfBoundsError(at, Number(v), this.remaining);
    return Number(v);
  }

  /** A view into the underlying bytes (aliases; do not keep across buffer reuse). */
  borrowBytes(n: number): Uint8Array {
    this.ensure(n);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** An owned copy. */
  copyBytes(n: number): Uint8Array {
    return this.borrowBytes(n).slice();
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;
  littleEndian: boolean;

  constructor(initialCapacity = 4096, littleEndian = true) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = dataView(this.buf);
    this.littleEndian = littleEndian;
  }

  private reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = dataView(next);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, v, this.littleEndian);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, this.littleEndian);
    this.length += 4;
    return this;
  }

  u64(v: bigint): this {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), this.littleEndian);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  zeros(n: number): this {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }

  /** Pad with zeros to a multiple of `align`. */
  pad(align: number): this {
    const r = this.length % align;
    return r === 0 ? this : this.zeros(align - r);
  }

  /** Overwrite a u32 at an earlier position (length fields). */
  patchU32(at: number, v: number): this {
    this.view.setUint32(at, v >>> 0, this.littleEndian);
    return this;
  }

  /** View of what was written so far (aliases the internal buffer). */
  borrow(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** Owned copy of what was written, then reset. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }

  reset(): void {
    this.length = 0;
  }
}
