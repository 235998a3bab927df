/**
 * The kernel's common LRU (kernel/bpf/bpf_lru_list.c, 6.16+) for an LRU hash map of n
 * preallocated nodes, modelled node by node so that eviction order matches the kernel when
 * one CPU runs the program:
 *
 *   - a global list with ACTIVE, INACTIVE and FREE sublists, and per CPU a local FREE and a
 *     local PENDING list; every node starts on the global FREE list (node n−1 first);
 *   - an insert takes the head of the running CPU's local free list; when empty it first
 *     flushes the CPU's pending nodes into the global lists (referenced → ACTIVE, others →
 *     INACTIVE), rotates (ACTIVE tail → INACTIVE when INACTIVE is not larger, INACTIVE nodes
 *     with the reference bit → ACTIVE), moves up to target_free = clamp(n / cpus / 2, 1, 128)
 *     nodes from the global FREE list and, if that is short, shrinks the INACTIVE list from its
 *     tail (evicting unreferenced nodes), or evicts one node regardless of references;
 *   - the taken node goes to the head of the CPU's pending list; lookups set its reference bit;
 *   - a freed node returns to its CPU's local free list while pending, else to the global FREE
 *     list.
 *
 *   - when the running CPU's lists and the global lists have nothing, a node is stolen round
 *     robin (from the CPU after the last one stolen from, starting with the running CPU): the
 *     head of that CPU's local free list, else the oldest unreferenced (then any) node of its
 *     pending list (reachable only when the running CPU changes between packets).
 *
 * Not modelled: concurrency, BPF_F_NO_COMMON_LRU (per-CPU LRU lists).
 */

const ACTIVE = 0, INACTIVE = 1, FREE = 2, LOCAL_BASE = 3;
const LOCAL_FREE_TARGET = 128;

export class LruList {
  private readonly n: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** List id each node is on (−1 detached). */
  private readonly on: Int32Array;
  private readonly ref: Uint8Array;
  private readonly counts = [0, 0];
  private nextInactiveRotation: number;
  readonly targetFree: number;
  /** Set by the owner: remove the node's key from the hash; false if it has none. */
  evict: (node: number) => boolean = () => true;
  cpu = 0;
  private readonly cpus: number;
  private readonly nextSteal: Int32Array;

  constructor(n: number, cpus: number) {
    this.n = n;
    this.cpus = Math.max(1, cpus);
    this.nextSteal = Int32Array.from({ length: this.cpus }, (_, c) => c);
    const lists = LOCAL_BASE + 2 * Math.max(1, cpus);
    this.next = new Int32Array(n + lists);
    this.prev = new Int32Array(n + lists);
    this.on = new Int32Array(n).fill(-1);
    this.ref = new Uint8Array(n);
    for (let l = 0; l < lists; l++) { this.next[n + l] = n + l; this.prev[n + l] = n + l; }
    for (let i = 0; i < n; i++) this.add(i, FREE);
    this.nextInactiveRotation = this.head(INACTIVE);
    this.targetFree = Math.min(LOCAL_FREE_TARGET, Math.max(1, Math.floor(Math.floor(n / Math.max(1, cpus)) / 2)));
  }

  private head(list: number): number {
    return this.n + list;
  }

  private localFree(): number {
    return LOCAL_BASE + 2 * this.cpu;
  }

  private localPending(): number {
    return LOCAL_BASE + 2 * this.cpu + 1;
  }

  private del(x: number): void {
    const p = this.prev[x]!, q = this.next[x]!;
    this.next[p] = q; this.prev[q] = p;
    if (x < this.n) {
      const l = this.on[x]!;
      if (l === ACTIVE || l === INACTIVE) this.counts[l]!--;
      this.on[x] = -1;
    }
  }

  /** list_add: insert after the list head. */
  private add(x: number, list: number): void {
    const h = this.head(list), q = this.next[h]!;
    this.next[h] = x; this.prev[x] = h; this.next[x] = q; this.prev[q] = x;
    this.on[x] = list;
    if (list === ACTIVE || list === INACTIVE) this.counts[list]!++;
  }

  /** __bpf_lru_node_move (and move_in / move_to_free): to the head of `list`, reference cleared where the kernel clears it. */
  private move(x: number, list: number, clearRef = true): void {
    if (x === this.nextInactiveRotation) this.nextInactiveRotation = this.prev[x]!;
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

  private rotate(): void {
    if (this.counts[INACTIVE]! < this.counts[ACTIVE]!) {
      let i = 0;
      const first = this.next[this.head(ACTIVE)]!;
      for (const x of this.reverse(ACTIVE)) {
        this.move(x, this.ref[x] ? ACTIVE : INACTIVE);
        if (++i === LOCAL_FREE_TARGET || x === first) break;
      }
    }
    const inactive = this.head(INACTIVE);
    if (this.next[inactive] === inactive) return;
    let last = this.next[this.nextInactiveRotation]!;
    if (last === inactive) last = this.next[last]!;
    let cur = this.nextInactiveRotation, next = cur, i = 0;
    while (i < LOCAL_FREE_TARGET) {
      if (cur === inactive) { cur = this.prev[cur]!; continue; }
      next = this.prev[cur]!;
      if (this.ref[cur]) this.move(cur, ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    this.nextInactiveRotation = next;
  }

  private shrink(want: number, to: number): void {
    let done = 0, i = 0;
    for (const x of this.reverse(INACTIVE)) {
      if (this.ref[x]) this.move(x, ACTIVE);
      else if (this.evict(x)) {
        this.move(x, to, false);
        if (++done === want) break;
      }
      if (++i === LOCAL_FREE_TARGET) break;
    }
    if (done > 0) return;
    const inactive = this.head(INACTIVE);
    const force = this.next[inactive] !== inactive ? INACTIVE : ACTIVE;
    for (const x of this.reverse(force)) {
      if (this.evict(x)) { this.move(x, to, false); return; }
    }
  }

  /** bpf_lru_pop_free: a node for a new element (it may evict one), or −1. */
  pop(): number {
    const lf = this.head(this.localFree());
    if (this.next[lf] === lf) {
      for (const x of this.reverse(this.localPending())) this.move(x, this.ref[x] ? ACTIVE : INACTIVE);
      this.rotate();
      let nfree = 0;
      const free = this.head(FREE);
      while (nfree < this.targetFree && this.next[free] !== free) { this.move(this.next[free]!, this.localFree(), false); nfree++; }
      if (nfree < this.targetFree) this.shrink(this.targetFree - nfree, this.localFree());
    }
    let x = this.next[lf]!;
    if (x === lf) x = this.steal();
    if (x < 0) return -1;
    this.del(x);
    this.add(x, this.localPending());
    this.ref[x] = 0;
    return x;
  }

  /** The kernel's steal loop over every CPU's local free, then pending, list. */
  private steal(): number {
    const first = this.nextSteal[this.cpu]!;
    let c = first, found = -1;
    do {
      const free = this.head(LOCAL_BASE + 2 * c);
      if (this.next[free] !== free) found = this.next[free]!;
      else found = this.stealPending(c);
      c = (c + 1) % this.cpus;
    } while (found < 0 && c !== first);
    this.nextSteal[this.cpu] = c;
    return found;
  }

  private stealPending(c: number): number {
    const pending = this.reverse(LOCAL_BASE + 2 * c + 1);
    for (const x of pending) if (!this.ref[x] && this.evict(x)) return x;
    for (const x of pending) if (this.evict(x)) return x;
    return -1;
  }

  /** bpf_lru_push_free. */
  pushFree(node: number): void {
    const l = this.on[node]!;
    if (l >= LOCAL_BASE && (l - LOCAL_BASE) % 2 === 1) {
      this.del(node);
      this.add(node, l - 1);
      this.ref[node] = 0;
      return;
    }
    this.move(node, FREE);
  }
}
