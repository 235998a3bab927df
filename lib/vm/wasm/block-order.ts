import type { ProgramImage } from '../verify.ts';

/**
 * The order in which the compiler lays out basic blocks. Every jump to a block laid out later
 * is a plain `br` out of nested blocks; a jump to one laid out earlier (or a return from a
 * bpf-to-bpf call) has to go round the dispatch loop (`loop` + `br_table`), which makes every
 * register a loop-carried value. clang emits shared epilogues (the counter update before
 * `return`) after code that jumps back to them, so program order has such jumps even when the
 * control flow has no cycle. Laid out in a topological order (program order where possible:
 * Kahn's algorithm taking the lowest ready start first), an acyclic program without
 * bpf-to-bpf calls needs no loop at all. With a cycle or a call: program order and the loop.
 */

export interface BlockOrder {
  /** Block indices (program order) in layout order. */
  order: number[];
  /** Whether any jump goes back (or a call returns): the run function needs its dispatch loop. */
  loop: boolean;
}

/** Can the instruction at pc continue to pc + 1 (or pc + 2 after lddw)? */
export function fallsThrough(image: ProgramImage, pc: number): boolean {
  const op = image.op[pc]!;
  if (op === 0x95 || op === 0x05 || op === 0x06) return false;
  return !(op === 0x85 && image.src[pc] === 1);
}

/** `starts`: block start pcs ascending; `blockOf`: block index by start pc. */
export function orderBlocks(image: ProgramImage, starts: readonly number[], blockOf: Int32Array): BlockOrder {
  const n = starts.length;
  const identity = { order: starts.map((_, b) => b), loop: true };
  const succ: number[][] = starts.map(() => []);
  const indeg = new Int32Array(n);
  const edge = (from: number, pc: number): void => {
    if (pc < 0 || pc >= image.length) return;
    const to = blockOf[pc]!;
    if (to < 0) return;
    succ[from]!.push(to);
    indeg[to]++;
  };
  for (let b = 0; b < n; b++) {
    const stop = b + 1 < n ? starts[b + 1]! : image.length;
    let last = starts[b]!;
    for (let pc = starts[b]!; pc < stop; pc++) { last = pc; if (image.op[pc] === 0x18) pc++; }
    const op = image.op[last]!, cls = op & 7;
    if (op === 0x85 && image.src[last] === 1) return identity; // returns come back through the loop
    if (fallsThrough(image, last) && b + 1 < n) edge(b, starts[b + 1]!);
    if (op === 0x05) edge(b, last + image.off[last]! + 1);
    else if (op === 0x06) edge(b, last + image.imm[last]! + 1);
    else if ((cls === 5 || cls === 6) && op !== 0x85 && op !== 0x95) edge(b, last + image.off[last]! + 1);
  }
  // Kahn's algorithm over a binary min-heap of ready blocks.
  const heap: number[] = [];
  const push = (v: number): void => {
    let i = heap.push(v) - 1;
    while (i > 0) { const p = (i - 1) >> 1; if (heap[p]! <= v) break; heap[i] = heap[p]!; i = p; }
    heap[i] = v;
  };
  const pop = (): number => {
    const top = heap[0]!, v = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i, mv = v;
        if (l < heap.length && heap[l]! < mv) { m = l; mv = heap[l]!; }
        if (r < heap.length && heap[r]! < mv) { m = r; mv = heap[r]!; }
        if (m === i) break;
        heap[i] = mv; i = m;
      }
      heap[i] = v;
    }
    return top;
  };
  for (let b = 0; b < n; b++) if (indeg[b] === 0) push(b);
  const order: number[] = [];
  while (heap.length > 0) {
    const b = pop();
    order.push(b);
    for (const s of succ[b]!) if (--indeg[s] === 0) push(s);
  }
  if (order.length < n || order[0] !== 0) return identity; // a cycle (or a jump back to the entry)
  return { order, loop: false };
}
