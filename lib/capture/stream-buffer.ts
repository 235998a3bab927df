/**
 * The single input buffer of a push parser: chunks are copied in at the end; consumed bytes are
 * dropped by moving the unread tail to the front (compaction) only when a chunk does not fit,
 * and the buffer doubles only when the unread bytes plus the chunk exceed its capacity.
 * Never concatenates per chunk; memory is bounded by the largest record plus one chunk.
 */
import { dataView } from '../util/bytes.ts';

export class StreamBuffer {
  bytes: Uint8Array;
  view: DataView;
  /** bytes.buffer, kept apart: the TypedArray .buffer getter costs ~35 ns, per packet in borrow(). */
  private arrayBuffer: ArrayBuffer;
  /** Index of the first unread byte. */
  start = 0;
  /** Index one past the last valid byte. */
  end = 0;
  /** Absolute input offset of bytes[0]. */
  base = 0;
  /** Total bytes appended. */
  bytesIn = 0;

  constructor(initialCapacity = 64 * 1024) {
    this.bytes = new Uint8Array(initialCapacity);
    this.view = dataView(this.bytes);
    this.arrayBuffer = this.bytes.buffer as ArrayBuffer;
  }

  /** Unread bytes available. */
  get available(): number {
    return this.end - this.start;
  }

  /** Absolute input offset of the first unread byte. */
  get position(): number {
    return this.base + this.start;
  }

  append(chunk: Uint8Array): void {
    const n = chunk.length;
    this.bytesIn += n;
    if (n === 0) return;
    if (this.start === this.end) {
      this.base += this.start;
      this.start = this.end = 0;
    }
    if (this.end + n > this.bytes.length) {
      const unread = this.end - this.start;
      if (unread + n <= this.bytes.length) {
        this.bytes.copyWithin(0, this.start, this.end);
      } else {
        let cap = this.bytes.length * 2;
        while (cap < unread + n) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.bytes.subarray(this.start, this.end));
        this.bytes = next;
        this.view = dataView(next);
        this.arrayBuffer = next.buffer;
      }
      this.base += this.start;
      this.end = unread;
      this.start = 0;
    }
    this.bytes.set(chunk, this.end);
    this.end += n;
  }

  /**
   * A view of `length` bytes at index `from` (valid until the next append). Built on the
   * ArrayBuffer directly: about half the cost of subarray(), which is per packet on the hot path.
   */
  borrow(from: number, length: number): Uint8Array {
    return new Uint8Array(this.arrayBuffer, from, length);
  }

  consume(n: number): void {
    this.start += n;
  }
}
