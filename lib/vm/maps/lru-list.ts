/**
 * The kernel's LRU lists for an LRU hash map of n preallocated nodes (kernel/bpf/bpf_lru_list.c,
 * 6.16+), modelled node by node so that eviction order matches the kernel.
 *
 * Common LRU (the default):
 *   - a global list set (ACTIVE, INACTIVE, FREE) and per CPU a local FREE and PENDING list;
 *     every node starts on the global FREE list (node n−1 first);
 *   - an insert takes the head of the running CPU's local free list; when empty it first
 *     flushes the CPU's pending nodes into the global lists (referenced → ACTIVE, others →
 *     INACTIVE), rotates (ACTIVE tail → INACTIVE when INACTIVE is smaller, INACTIVE nodes with
 *     the reference bit → ACTIVE), moves up to target_free = clamp(n / cpus / 2, 1, 128) nodes
 *     from the global FREE list and, if that is short, shrinks the INACTIVE list from its tail
 *     (evicting unreferenced nodes), or evicts one node regardless of references;
 *   - when the running CPU's lists and the global lists have nothing, a node is stolen round
 *     robin (from the CPU after the last one stolen from, starting with the running CPU): the
 *     head of that CPU's local free list, else the oldest unreferenced (then any) node of its
 *     pending list (reachable only when the running CPU changes between packets);
 *   - the taken node goes to the head of the CPU's pending list; lookups set its reference bit;
 *     a freed node returns to its CPU's local free list while pending, else to the global FREE.
 *
 * Per-CPU LRU (BPF_F_NO_COMMON_LRU): n = max_entries rounded up to a multiple of the CPUs,
 * n / cpus nodes per CPU (CPU 0 first), one list set per CPU and no sharing: an insert rotates
 * the running CPU's set, shrinks its INACTIVE list by up to 4 nodes when its FREE list is empty,
 * and puts the taken node at the head of INACTIVE; a freed node returns to its CPU's FREE list.
 *
 * Not modelled: concurrency.
 */

const ACTIVE = 0, INACTIVE = 1, FREE = 2;
const LOCAL_FREE_TARGET = 128;
const PERCPU_FREE_TARGET = 4;

export class LruList {
  readonly n: number;
  readonly percpu: boolean;
  readonly targetFree: number;
  /** Set by the owner: remove the node's key from the hash; false if it has none. */
  evict: (node: number) => boolean = () => true;
  cpu = 0;
  private readonly cpus: number;
  /** List sets: 1 (common) or cpus (per-CPU); lists 3s..3s+2 belong to set s. */
  private readonly sets: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** List id each node is on (−1 detached). */
  private readonly on: Int32Array;
  private readonly ref: Uint8Array;
  private readonly counts: Int32Array;
  private readonly rotation: Int32Array;
  private readonly nextSteal: Int32Array;

  /** `n`: max_entries (rounded up to a multiple of `cpus` for the per-CPU flavour). */
  constructor(n: number, cpus: number, percpu = false) {
    this.cpus = Math.max(1, cpus);
    this.percpu = percpu;
    this.n = percpu ? Math.ceil(n / this.cpus) * this.cpus : n;
    this.sets = percpu ? this.cpus : 1;
    const lists = 3 * this.sets + (percpu ? 0 : 2 * this.cpus);
    const size = this.n + lists;
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.on = new Int32Array(this.n).fill(-1);
    this.ref = new Uint8Array(this.n);
    this.counts = new Int32Array(2 * this.sets);
    this.rotation = new Int32Array(this.sets);
    this.nextSteal = Int32Array.from({ length: this.cpus }, (_, c) => c);
    for (let l = 0; l < lists; l++) { this.next[this.n + l] = this.n + l; this.prev[this.n + l] = this.n + l; }
    for (let s = 0; s < this.sets; s++) this.rotation[s] = this.head(3 * s + INACTIVE);
    const per = this.n / this.sets;
    for (let i = 0; i < this.n; i++) this.add(i, percpu ? 3 * Math.floor(i / per) + FREE : FREE);
    this.targetFree = Math.min(LOCAL_FREE_TARGET, Math.max(1, Math.floor(Math.floor(n / this.cpus) / 2)));
  }

  private head(list: number): number {
    return this.n + list;
  }

  private localFree(cpu: number): number {
    return 3 + 2 * cpu;
  }

  private isLocal(list: number): boolean {
    return list >= 3 * this.sets;
  }

  private del(x: number): void {
    const p = this.prev[x]!, q = this.next[x]!;
    this.next[p] = q; this.prev[q] = p;
    const l = this.on[x]!;
    if (l >= 0 && !this.isLocal(l) && l % 3 !== FREE) this.counts[2 * Math.floor(l / 3) + (l % 3)]!--;
    this.on[x] = -1;
  }

  /** list_add: insert after the list head. */
  private add(x: number, list: number): void {
    const h = this.head(list), q = this.next[h]!;
    this.next[h] = x; this.prev[x] = h; this.next[x] = q; this.prev[q] = x;
    this.on[x] = list;
    if (!this.isLocal(list) && list % 3 !== FREE) this.counts[2 * Math.floor(list / 3) + (list % 3)]!++;
  }

  /** __bpf_lru_node_move (and move_in / move_to_free): to the head of `list`. */
  private move(x: number, list: number, clearRef = true): void {
    const l = this.on[x]!;
    if (l >= 0 && !this.isLocal(l)) {
      const s = Math.floor(l / 3);
      if (x === this.rotation[s]) this.rotation[s] = this.prev[x]!;
    }
    this.del(x);
    this.add(x, list);
    if (clearRef) this.ref[x] = 0;
  }

  touch(node: number): void {
    this.ref[node] = 1;
  }

  /** Nodes of `list` from tail to head (a snapshot, so moves during the walk are safe). */
  private reverse(list: number): number[] {
    const out: number[] = [];
    const h = this.head(list);
    for (let x = this.prev[h]!; x !== h; x = this.prev[x]!) out.push(x);
    return out;
  }

  private rotate(s: number): void {
    const A = 3 * s + ACTIVE, I = 3 * s + INACTIVE;
    if (this.counts[2 * s + INACTIVE]! < this.counts[2 * s + ACTIVE]!) {
      let i = 0;
      const first = this.next[this.head(A)]!;
      for (const x of this.reverse(A)) {
        this.move(x, this.ref[x] ? A : I);
        if (++i === LOCAL_FREE_TARGET || x === first) break;
      }
    }
    const inactive = this.head(I);
    if (this.next[inactive] === inactive) return;
    let last = this.next[this.rotation[s]!]!;
    if (last === inactive) last = this.next[last]!;
    let cur = this.rotation[s]!, next = cur, i = 0;
    while (i < LOCAL_FREE_TARGET) {
      if (cur === inactive) { cur = this.prev[cur]!; continue; }
      next = this.prev[cur]!;
      if (this.ref[cur]) this.move(cur, A);
      if (cur === last) break;
      cur = next;
      i++;
    }
    this.rotation[s] = next;
  }

  private shrink(s: number, want: number, to: number): void {
    const A = 3 * s + ACTIVE, I = 3 * s + INACTIVE;
    let done = 0, i = 0;
    for (const x of this.reverse(I)) {
      if (this.ref[x]) this.move(x, A);
      else if (this.evict(x)) {
        this.move(x, to, false);
        if (++done === want) break;
      }
      if (++i === LOCAL_FREE_TARGET) break;
    }
    if (done > 0) return;
    const inactive = this.head(I);
    const force = this.next[inactive] !== inactive ? I : A;
    for (const x of this.reverse(force)) {
      if (this.evict(x)) { this.move(x, to, false); return; }
    }
  }

  /** bpf_lru_pop_free: a node for a new element (it may evict one), or −1. */
  pop(): number {
    return this.percpu ? this.popPercpu() : this.popCommon();
  }

  private popPercpu(): number {
    const s = this.cpu, F = 3 * s + FREE;
    this.rotate(s);
    const free = this.head(F);
    if (this.next[free] === free) this.shrink(s, PERCPU_FREE_TARGET, F);
    if (this.next[free] === free) return -1;
    const x = this.next[free]!;
    this.move(x, 3 * s + INACTIVE);
    return x;
  }

  private popCommon(): number {
    const lfList = this.localFree(this.cpu), lf = this.head(lfList);
    if (this.next[lf] === lf) {
      for (const x of this.reverse(lfList + 1)) this.move(x, this.ref[x] ? ACTIVE : INACTIVE);
      this.rotate(0);
      let nfree = 0;
      const free = this.head(FREE);
      while (nfree < this.targetFree && this.next[free] !== free) { this.move(this.next[free]!, lfList, false); nfree++; }
      if (nfree < this.targetFree) this.shrink(0, this.targetFree - nfree, lfList);
    }
    let x = this.next[lf]!;
    if (x === lf) x = this.steal();
    if (x < 0) return -1;
    this.del(x);
    this.add(x, lfList + 1);
    this.ref[x] = 0;
    return x;
  }

  /** The kernel's steal loop over every CPU's local free, then pending, list. */
  private steal(): number {
    const first = this.nextSteal[this.cpu]!;
    let c = first, found = -1;
    do {
      const free = this.head(this.localFree(c));
      if (this.next[free] !== free) found = this.next[free]!;
      else found = this.stealPending(c);
      c = (c + 1) % this.cpus;
    } while (found < 0 && c !== first);
    this.nextSteal[this.cpu] = c;
    return found;
  }

  private stealPending(c: number): number {
    const pending = this.reverse(this.localFree(c) + 1);
    for (const x of pending) if (!this.ref[x] && this.evict(x)) return x;
    for (const x of pending) if (this.evict(x)) return x;
    return -1;
  }

  /** bpf_lru_push_free. */
  pushFree(node: number): void {
    const l = this.on[node]!;
    if (this.percpu) {
      this.move(node, 3 * Math.floor(l / 3) + FREE);
      return;
    }
    if (this.isLocal(l) && (l - 3) % 2 === 1) {
      this.del(node);
      this.add(node, l - 1);
      this.ref[node] = 0;
      return;
    }
    this.move(node, FREE);
  }
}
