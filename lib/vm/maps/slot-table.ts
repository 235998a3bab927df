import type { MemoryLayout } from '../memory.ts';

/**
 * The key index of a HASH / PERCPU_HASH map, kept in the VM store so that the compiled
 * engine can look keys up inline (see inlineHashLookup in lib/vm/wasm/emit-instruction.ts)
 * and the host without building a string per key.
 *
 * Open addressing with linear probing over a power-of-two bucket array of at least twice the
 * capacity (load ≤ 1/2): bucket = i32 slot + 1, 0 = empty; deletion shifts the following run
 * back (no tombstones). Keys are stored per value slot, zero-padded to whole 32-bit words,
 * at keysAt + slot × keyBytes; comparisons are word by word (the probe key's last partial
 * word masked).
 *
 * Privacy: the bytes are reserved through MemoryLayout.add() and the region is then taken out
 * of the region table before the store exists, so no program access, helper argument or
 * compiled-code check can reach them (they fault as out of bounds, like any unmapped gap).
 *
 * Iteration order is insertion order (a doubly linked list over slots, kept in JS), as the
 * JS Map it replaces iterated; `move` (an LRU update of an existing key into a fresh node)
 * keeps the key's place, as Map.set of an existing key did.
 *
 * The hash (JS `hashWords` and the compiled code must agree, bit for bit): over the key's
 * little-endian words w (last one zero-padded), h = keyBytes × 0x9e3779b9; per word
 * h = rotl(imul(h ^ w, 0x85ebca6b), 13); then h ^= h >>> 16, h = imul(h, 0x7feb352d),
 * h ^= h >>> 15.
 */

export const HASH_SEED = 0x9e3779b9 | 0;
export const HASH_MUL1 = 0x85ebca6b | 0;
export const HASH_MUL2 = 0x7feb352d | 0;
export const HASH_ROT = 13;

export class SlotTable {
  readonly keySize: number;
  /** Key words (32-bit) and bytes per stored key. */
  readonly keyWords: number;
  readonly keyBytes: number;
  /** Bucket count (power of two) and its mask. */
  readonly buckets: number;
  readonly mask: number;
  /** Store addresses of the bucket array and of the key area (both 16-byte aligned). */
  readonly bucketsAt: number;
  readonly keysAt: number;
  private i32 = new Int32Array(0);
  private u8 = new Uint8Array(0);
  /** Home hash per occupied slot (deletion needs it). */
  private readonly hashes: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly used: Uint8Array;
  private head = -1;
  private tail = -1;
  private count = 0;

  constructor(name: string, keySize: number, capacity: number, layout: MemoryLayout, mapIndex: number) {
    this.keySize = keySize;
    this.keyWords = Math.max(1, Math.ceil(keySize / 4));
    this.keyBytes = this.keyWords * 4;
    let buckets = 8;
    while (buckets < 2 * capacity) buckets *= 2;
    this.buckets = buckets;
    this.mask = buckets - 1;
    const keyArea = Math.ceil((capacity * this.keyBytes) / 16) * 16;
    const region = layout.add(`${name}.index`, 'map', buckets * 4 + keyArea, false, mapIndex);
    // Private: no region covers it (see above).
    layout.regions.splice(layout.regions.indexOf(region), 1);
    this.bucketsAt = region.start;
    this.keysAt = region.start + buckets * 4;
    this.hashes = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  bind(buffer: ArrayBuffer): void {
    this.i32 = new Int32Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }

  get size(): number {
    return this.count;
  }

  /** Word w of a key (little-endian, zero-padded past keySize). */
  private word(key: Uint8Array, w: number): number {
    const i = 4 * w, n = this.keySize;
    return (key[i]! | (i + 1 < n ? key[i + 1]! << 8 : 0) | (i + 2 < n ? key[i + 2]! << 16 : 0) | (i + 3 < n ? key[i + 3]! << 24 : 0));
  }

  hash(key: Uint8Array): number {
    let h = Math.imul(this.keyBytes, HASH_SEED);
    for (let w = 0; w < this.keyWords; w++) {
      h = Math.imul(h ^ this.word(key, w), HASH_MUL1);
      h = (h << HASH_ROT) | (h >>> (32 - HASH_ROT));
    }
    h ^= h >>> 16;
    h = Math.imul(h, HASH_MUL2);
    return h ^ (h >>> 15);
  }

  private same(slot: number, key: Uint8Array): boolean {
    const at = (this.keysAt >> 2) + slot * this.keyWords, i32 = this.i32;
    for (let w = 0; w < this.keyWords; w++) if (i32[at + w] !== this.word(key, w)) return false;
    return true;
  }

  /** Slot of `key` (its first keySize bytes), or -1. */
  find(key: Uint8Array): number {
    const i32 = this.i32, base = this.bucketsAt >> 2, mask = this.mask;
    for (let b = this.hash(key) & mask; ; b = (b + 1) & mask) {
      const s = i32[base + b]!;
      if (s === 0) return -1;
      if (this.same(s - 1, key)) return s - 1;
    }
  }

  /** Add `key` (known absent) at `slot`, last in iteration order. */
  insert(key: Uint8Array, slot: number): void {
    const i32 = this.i32, base = this.bucketsAt >> 2, mask = this.mask;
    const h = this.hash(key);
    let b = h & mask;
    while (i32[base + b] !== 0) b = (b + 1) & mask;
    i32[base + b] = slot + 1;
    const at = this.keysAt + slot * this.keyBytes;
    this.u8.fill(0, at, at + this.keyBytes);
    this.u8.set(key.subarray(0, this.keySize), at);
    this.hashes[slot] = h;
    this.prev[slot] = this.tail; this.next[slot] = -1;
    if (this.tail >= 0) this.next[this.tail] = slot; else this.head = slot;
    this.tail = slot;
    this.used[slot] = 1;
    this.count++;
  }

  /** Remove `key`; its slot, or -1 when absent. */
  remove(key: Uint8Array): number {
    const i32 = this.i32, base = this.bucketsAt >> 2, mask = this.mask;
    for (let b = this.hash(key) & mask; ; b = (b + 1) & mask) {
      const s = i32[base + b]!;
      if (s === 0) return -1;
      if (this.same(s - 1, key)) { this.removeAt(b, s - 1); return s - 1; }
    }
  }

  /** Whether `slot` holds a key. */
  has(slot: number): boolean {
    return this.used[slot] === 1;
  }

  /** Bucket holding `slot` (which must be occupied). */
  private bucketOf(slot: number): number {
    const i32 = this.i32, base = this.bucketsAt >> 2, mask = this.mask;
    let b = this.hashes[slot]! & mask;
    while (i32[base + b] !== slot + 1) b = (b + 1) & mask;
    return b;
  }

  /** Remove the key at an occupied `slot` (LRU eviction). */
  removeSlot(slot: number): void {
    this.removeAt(this.bucketOf(slot), slot);
  }

  /** Move the key at occupied slot `from` to free slot `to`, keeping its place in the iteration order. */
  move(from: number, to: number): void {
    this.i32[(this.bucketsAt >> 2) + this.bucketOf(from)] = to + 1;
    const a = this.keysAt + from * this.keyBytes;
    this.u8.copyWithin(this.keysAt + to * this.keyBytes, a, a + this.keyBytes);
    this.hashes[to] = this.hashes[from]!;
    const p = this.prev[from]!, n = this.next[from]!;
    this.prev[to] = p; this.next[to] = n;
    if (p >= 0) this.next[p] = to; else this.head = to;
    if (n >= 0) this.prev[n] = to; else this.tail = to;
    this.used[from] = 0; this.used[to] = 1;
  }

  private removeAt(b: number, slot: number): void {
    const i32 = this.i32, base = this.bucketsAt >> 2, mask = this.mask;
    // Backward shift: move later entries of the run whose home is not in (hole, j] into the hole.
    let hole = b;
    for (let j = (b + 1) & mask; ; j = (j + 1) & mask) {
      const t = i32[base + j]!;
      if (t === 0) break;
      const home = this.hashes[t - 1]! & mask;
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      i32[base + hole] = t;
      hole = j;
    }
    i32[base + hole] = 0;
    const p = this.prev[slot]!, n = this.next[slot]!;
    if (p >= 0) this.next[p] = n; else this.head = n;
    if (n >= 0) this.prev[n] = p; else this.tail = p;
    this.used[slot] = 0;
    this.count--;
  }

  /** Occupied slots in insertion order. */
  slots(): number[] {
    const out: number[] = [];
    for (let s = this.head; s >= 0; s = this.next[s]!) out.push(s);
    return out;
  }

  /** A copy of the key stored at `slot`. */
  keyOf(slot: number): Uint8Array {
    const at = this.keysAt + slot * this.keyBytes;
    return this.u8.slice(at, at + this.keySize);
  }
}
