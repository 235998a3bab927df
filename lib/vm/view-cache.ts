/**
 * Views of fixed ranges of one ArrayBuffer, reused: a view of a range never changes, and making
 * one (30–55 ns) costs more than the work it serves on the per-packet and per-helper paths.
 * Direct-mapped by start and length; each slot remembers its range in Int32Arrays, because the
 * byteOffset and length getters cost about as much as a new view. An evicted view stays valid:
 * only the cache forgets it.
 */
export class ViewCache {
  private readonly views: (Uint8Array | undefined)[];
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  private readonly mask: number;

  /** `slots` is a power of two; ranges of one start and lengths below `slots` never collide. */
  constructor(private readonly buffer: ArrayBuffer, slots: number) {
    this.views = new Array<Uint8Array | undefined>(slots).fill(undefined);
    this.starts = new Int32Array(slots);
    this.lengths = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** A view of buffer[start, start + length). */
  view(start: number, length: number): Uint8Array {
    const slot = (start + length * 31) & this.mask;
    let view = this.views[slot];
    if (view === undefined || this.starts[slot] !== (start | 0) || this.lengths[slot] !== length) {
      view = new Uint8Array(this.buffer, start, length);
      this.views[slot] = view;
      this.starts[slot] = start;
      this.lengths[slot] = length;
    }
    return view;
  }
}
