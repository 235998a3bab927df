import { CTX_ADDR, STACK_BASE, STACK_FRAME_SIZE, STACK_FRAME_STRIDE, type Region } from '../memory.ts';
import type { ProgramImage } from '../verify.ts';
import { fallsThrough, orderBlocks } from './block-order.ts';
import { emitCheck } from './emit-check.ts';
import { emitInstruction } from './emit-instruction.ts';
import { knownValues, type KnownValues } from './known-values.ts';
import { originLiveOut } from './origin-liveness.ts';
import { packetBounds, type PacketBounds } from './packet-bounds.ts';
import { Code, ModuleBuilder } from './module-builder.ts';
import { Op, ValType } from './opcodes.ts';
import { FRAME_BYTES, FRAMES, INFO, ORIGIN, PACKET_END_AT, PACKET_START_AT, REG_HI_AT, REGS, Status } from './scratch.ts';

/**
 * eBPF → WebAssembly, one module per verified program image, built at load time.
 *
 * Module: imports `env.mem` (the VM's store: same addresses, same map storage as the
 * interpreter) and `env.helper(id, pc) → status`; exports `run(pc, count, budget, depth, entry, r1)`
 * and `precise(…)` (see Entry). Both are the same program: registers r0..r10 are i64 locals, control flow is
 * a `loop` around nested blocks, one per basic block, in program order — forward jumps are a
 * plain `br` to the block that ends just before their target, backward jumps and returns set
 * `pc` and re-enter the `br_table` dispatch at the loop head.
 *
 * Instruction counting: `run` adds a whole block's count at its entry; a fault inside the block
 * subtracts the statically known remainder, so `insns` is exact. When a block would cross the
 * budget, `run` hands over to `precise`, whose blocks are single instructions, and the budget
 * fault lands on exactly the interpreter's instruction (no side effect past it).
 *
 * Memory: an access `r10 + off` inside the 512-byte frame needs no check (r10 is read-only,
 * frames are fixed). Anything else tries the packet window inline, then `$check`, which holds
 * the region table as constants and returns translate()'s codes (1 out of bounds, 2 read-only,
 * 3 context). Faults return a status and the details in the scratch page (see scratch.ts).
 */

export interface CompileOptions {
  /** The VM's regions (map and global regions are baked in as constants). */
  regions: readonly Region[];
  /** Pages of the imported memory. */
  pages: number;
  /** Array maps whose bpf_map_lookup_elem is inlined (as the kernel's JIT does); default none. */
  arrayMaps?: readonly InlineArrayMap[];
  /** Hash maps whose bpf_map_lookup_elem is inlined (key in the current frame); default none. */
  hashMaps?: readonly InlineHashMap[];
  /**
   * By map index: maps whose lookups return pointers to whole values inside their region
   * (array, per-CPU array, hash maps): accesses through a non-NULL result need no check.
   */
  valueMaps?: readonly (ValueMap | undefined)[];
  /** This image's id among the engine's compiled images (written into the call frames it pushes); default 1. */
  imageId?: number;
}

export interface ValueMap { valueSize: number; writable: boolean }

/** What an inlined array lookup needs: the handle `lddw` yields, and the value layout. */
export interface InlineArrayMap { handle: number; start: number; stride: number; maxEntries: number }

/**
 * What an inlined hash lookup needs: the handle, the value slab (slot s at start + s × stride)
 * and the map's SlotTable layout in the store (lib/vm/maps/slot-table.ts).
 */
export interface InlineHashMap {
  handle: number; start: number; stride: number; keySize: number; keyWords: number;
  bucketsAt: number; mask: number; keysAt: number;
  /** LRU maps: a hit is logged (map index, slot) in the touch log for the host to mark (scratch.ts). */
  lru?: { index: number };
}

/**
 * How a run function starts (its `entry` parameter). RESUME: registers from the scratch page,
 * origins as they are (run → precise). RELOAD: registers from the scratch page, origins reset,
 * run-info word 8 zeroed (a tail call, or an entry with registers other than r1 set). FRESH: r1
 * = the `r1` parameter (unsigned), every other register 0, origins reset, word 8 zeroed — the
 * packet entry, which needs nothing of vm.regs (WasmEngine.executeFresh).
 */
export const Entry = { RESUME: 0, RELOAD: 1, FRESH: 2 } as const;

/** Parameter and local indices shared by the two run functions. */
export const L = {
  pc: 0, count: 1, budget: 2, depth: 3, entry: 4, r1: 5,
  /** r0..r10: L.reg + n */
  reg: 6,
  fp: 17, a: 18, t: 19, x: 20, st: 21, y: 22, z: 23,
  /** Verdict origins of r0..r10 (i32): L.origin + n; in memory (scratch ORIGIN) only at entry and exit. */
  origin: 24,
  /** The packet window (xdp_md data_meta, data_end as i64), re-read after every helper call. */
  pkStart: 35, pkEnd: 36,
} as const;

export interface BlockPlan {
  /** Start pc of each block, in layout order (block-order.ts). */
  starts: number[];
  /** One past the last pc of each block (layout order). */
  stops: number[];
  /** Layout position by start pc (-1 elsewhere). */
  blockOf: Int32Array;
  /** Whether the function needs its dispatch loop (a jump back in layout order, or a call). */
  loop: boolean;
}

export interface FuncContext {
  readonly c: Code;
  readonly image: ProgramImage;
  readonly plan: BlockPlan;
  readonly precise: boolean;
  readonly checkFn: number;
  readonly helperFn: number;
  readonly preciseFn: number;
  readonly arrayMaps: readonly InlineArrayMap[];
  readonly hashMaps: readonly InlineHashMap[];
  /** Constant register values and lookup results per instruction (known-values.ts). */
  readonly known: KnownValues;
  readonly valueMaps: readonly (ValueMap | undefined)[];
  /** Map and global regions (fixed bounds): a constant address inside one needs no check. */
  readonly fixed: readonly Region[];
  /** CompileOptions.imageId. */
  readonly imageId: number;
  /** Current block index and number of counted instructions in it. */
  block: number;
  blockLen: number;
  /** Extra structured nesting opened inside the current block's code. */
  extra: number;
  /**
   * Loop-free `run`: the image's instruction count, checked against the budget once at entry
   * (and after callbacks) instead of per block; 0 when every block checks.
   */
  wholeCheck: number;
  /** Per pc, the registers whose verdict origin an exit can still report after it (origin-liveness.ts). */
  readonly originLive: Uint16Array;
  /** Packet accesses the program checked itself (loop-free `run` only, entered with r1 = ctx). */
  packet: PacketBounds | undefined;
}

/** Leaders: 0, jump/call targets, and the instruction after every jump, call (bpf-to-bpf) and exit. */
export function planBlocks(image: ProgramImage, precise: boolean): BlockPlan {
  const n = image.length;
  const lead = new Uint8Array(n + 1);
  lead[0] = 1;
  for (let pc = 0; pc < n; pc++) {
    const op = image.op[pc]!;
    if (op === 0x18) { if (precise) lead[pc] = 1; pc++; continue; }
    if (precise) lead[pc] = 1;
    const cls = op & 7;
    if (cls !== 5 && cls !== 6) continue;
    if (op === 0x85) {
      if (image.src[pc] === 1) { lead[pc + image.imm[pc]! + 1] = 1; lead[pc + 1] = 1; }
      continue;
    }
    if (op === 0x95) { lead[pc + 1] = 1; continue; }
    lead[pc + (op === 0x06 ? image.imm[pc]! : image.off[pc]!) + 1] = 1;
    lead[pc + 1] = 1;
  }
  const pcOrder: number[] = [];
  const blockOf = new Int32Array(n).fill(-1);
  for (let pc = 0; pc < n; pc++) if (lead[pc]) { blockOf[pc] = pcOrder.length; pcOrder.push(pc); }
  const { order, loop } = orderBlocks(image, pcOrder, blockOf);
  const starts = order.map((b) => pcOrder[b]!);
  const stops = order.map((b) => (b + 1 < pcOrder.length ? pcOrder[b + 1]! : n));
  starts.forEach((pc, k) => { blockOf[pc] = k; });
  return { starts, stops, blockOf, loop };
}

export function compileImage(image: ProgramImage, options: CompileOptions): Uint8Array {
  const mb = new ModuleBuilder();
  const helperFn = mb.importFunc('env', 'helper', [ValType.i32, ValType.i32], [ValType.i32]);
  mb.importMemory('env', 'mem', options.pages);
  const check = mb.func('check', [ValType.i64, ValType.i64, ValType.i32, ValType.i32], [ValType.i32], { paramNames: ['addr', 'base', 'size', 'write'] });
  const params = [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32];
  const names = ['pc', 'count', 'budget', 'depth', 'entry', 'r1'];
  const run = mb.func('run', params, [ValType.i32], { exported: true, paramNames: names });
  const precise = mb.func('precise', params, [ValType.i32], { exported: true, paramNames: names });
  emitCheck(check.code, options.regions);
  for (const f of [run, precise]) {
    for (let r = 0; r <= 10; r++) f.local(ValType.i64, `r${r}`);
    f.local(ValType.i32, 'fp'); f.local(ValType.i64, 'a'); f.local(ValType.i64, 't'); f.local(ValType.i32, 'x'); f.local(ValType.i32, 'st');
    f.local(ValType.i32, 'y'); f.local(ValType.i32, 'z');
    for (let r = 0; r <= 10; r++) f.local(ValType.i32, `o${r}`);
    f.local(ValType.i64, 'pkStart'); f.local(ValType.i64, 'pkEnd');
  }
  const valueMaps = options.valueMaps ?? [];
  const known = knownValues(image, (m) => valueMaps[m]?.valueSize ?? -1);
  const fixed = options.regions.filter((r) => r.kind === 'map' || r.kind === 'global');
  const common = { image, originLive: originLiveOut(image), checkFn: check.index, helperFn, preciseFn: precise.index, arrayMaps: options.arrayMaps ?? [], hashMaps: options.hashMaps ?? [], known, valueMaps, fixed, imageId: options.imageId ?? 1, block: 0, blockLen: 0, extra: 0, wholeCheck: 0, packet: undefined };
  emitRunFunction({ ...common, c: run.code, plan: planBlocks(image, false), precise: false });
  emitRunFunction({ ...common, c: precise.code, plan: planBlocks(image, true), precise: true });
  return mb.finish();
}

function emitRunFunction(f: FuncContext): void {
  const { c, image, plan } = f;
  const n = plan.starts.length;
  if (!f.precise && !plan.loop) {
    // Loop-free, no calls: every instruction runs at most once per entry (always at pc 0), so
    // one budget check for the whole image replaces the per-block ones (see emitBlock).
    let total = 0;
    for (let pc = 0; pc < image.length; pc++) { total++; if (image.op[pc] === 0x18) pc++; }
    f.wholeCheck = total;
    c.get(L.count).i32Const(total).op(Op.i32_add).get(L.budget).op(Op.i32_gt_u).if();
    c.get(L.pc).get(L.count).get(L.budget).get(L.depth).get(L.entry).get(L.r1).call(f.preciseFn).op(Op.return);
    c.end();
  }
  // Entry (see Entry): registers, origins, frame pointer from the depth.
  c.get(L.entry).i32Const(Entry.FRESH).op(Op.i32_eq).if();
  c.get(L.r1).op(Op.i64_extend_i32_u).set(L.reg + 1);
  c.else();
  loadRegs(c, 0, 9);
  c.end();
  c.get(L.entry).if();
  for (let r = 0; r <= 10; r++) c.i32Const(-1).set(L.origin + r);
  c.i32Const(0).i32Const(0).mem(Op.i32_store, INFO + 32);
  c.else();
  loadOrigins(c);
  c.end();
  loadPacketWindow(c);
  setFrame(c);
  if (f.wholeCheck !== 0) {
    // The packet bounds assume r1 = ctx at pc 0: any other entry runs precisely (all checks).
    f.packet = packetBounds(image);
    c.get(L.reg + 1).i64Const(BigInt(CTX_ADDR)).op(Op.i64_ne).if();
    c.get(L.pc).get(L.count).get(L.budget).get(L.depth).get(L.entry).get(L.r1).call(f.preciseFn).op(Op.return);
    c.end();
  }
  if (plan.loop) c.loop();
  for (let k = n - 1; k >= 0; k--) c.block();
  // Entry at `pc` through a br_table, unless this is `run` without a loop: it starts at pc 0,
  // which is then laid out first (block-order.ts).
  if (plan.loop || f.precise) {
    c.block();
    const table = new Array<number>(image.length).fill(0);
    for (let b = 0; b < n; b++) table[plan.starts[b]!] = b + 1;
    c.get(L.pc).brTable(table, 0);
    c.end();
    c.op(Op.unreachable);
  }
  for (let b = 0; b < n; b++) {
    c.end();
    emitBlock(f, b);
  }
  if (plan.loop) c.end();
  c.op(Op.unreachable);
}

/** r10 and fp from the depth local. */
export function setFrame(c: Code): void {
  c.get(L.depth).i32Const(STACK_FRAME_STRIDE).op(Op.i32_mul).i32Const(STACK_BASE).op(Op.i32_add).tee(L.fp);
  c.i32Const(STACK_FRAME_SIZE).op(Op.i32_add).op(Op.i64_extend_i32_u).set(L.reg + 10);
}

function emitBlock(f: FuncContext, b: number): void {
  const { c, image, plan } = f;
  const start = plan.starts[b]!;
  const stop = plan.stops[b]!;
  let len = 0;
  for (let pc = start; pc < stop; pc++) { len++; if (image.op[pc] === 0x18) pc++; }
  f.block = b; f.blockLen = len; f.extra = 0;
  // count += len; over budget → precise (run) or the budget fault (precise). A loop-free `run`
  // checked the whole image at its entry.
  if (f.wholeCheck !== 0) {
    c.get(L.count).i32Const(len).op(Op.i32_add).set(L.count);
    emitInstructions(f, b, start, stop);
    return;
  }
  c.get(L.count).i32Const(len).op(Op.i32_add).tee(L.count).get(L.budget).op(Op.i32_gt_u).if();
  c.get(L.count).i32Const(len).op(Op.i32_sub).set(L.count);
  if (f.precise) {
    info(c, 1, () => c.i32Const(start));
    info(c, 2, () => c.get(L.count));
    c.i32Const(Status.BUDGET).op(Op.return);
  } else {
    spillRegs(c);
    spillOrigins(c);
    c.i32Const(start).get(L.count).get(L.budget).get(L.depth).i32Const(Entry.RESUME).i32Const(0).call(f.preciseFn).op(Op.return);
  }
  c.end();
  emitInstructions(f, b, start, stop);
}

function emitInstructions(f: FuncContext, b: number, start: number, stop: number): void {
  const { image, plan } = f;
  let j = 0, last = start;
  for (let pc = start; pc < stop; pc++) {
    emitInstruction(f, pc, j);
    j++;
    last = pc;
    if (image.op[pc] === 0x18) pc++;
  }
  // Falling through to a block not laid out next: say so.
  if (stop < image.length && fallsThrough(image, last) && plan.blockOf[stop] !== b + 1) jumpTo(f, stop);
}

/** Store an i32 into run-info word `word`. */
export function info(c: Code, word: number, value: () => void): void {
  c.i32Const(0);
  value();
  c.mem(Op.i32_store, INFO + 4 * word);
}

/** Registers from..to into Vm.regs (low and high words, see scratch.ts REGS). */
export function spillRegs(c: Code, from = 0, to = 10): void {
  for (let r = from; r <= to; r++) {
    c.i32Const(0).get(L.reg + r).mem(Op.i64_store32, REGS + 4 * r);
    c.i32Const(0).get(L.reg + r).i64Const(32n).op(Op.i64_shr_u).mem(Op.i64_store32, REG_HI_AT + 4 * r);
  }
}

/** The origin locals into Vm.origin (scratch ORIGIN). */
export function spillOrigins(c: Code): void {
  for (let r = 0; r <= 10; r++) c.i32Const(0).get(L.origin + r).mem(Op.i32_store, ORIGIN + 4 * r);
}

function loadOrigins(c: Code): void {
  for (let r = 0; r <= 10; r++) c.i32Const(0).mem(Op.i32_load, ORIGIN + 4 * r).set(L.origin + r);
}

/** The packet window locals from the context (see scratch.ts PACKET_START_AT). */
export function loadPacketWindow(c: Code): void {
  c.i32Const(0).mem(Op.i64_load32_u, PACKET_START_AT).set(L.pkStart);
  c.i32Const(0).mem(Op.i64_load32_u, PACKET_END_AT).set(L.pkEnd);
}

/** Registers from..to from Vm.regs. */
export function loadRegs(c: Code, from: number, to: number): void {
  for (let r = from; r <= to; r++) {
    c.i32Const(0).mem(Op.i64_load32_u, REGS + 4 * r);
    c.i32Const(0).mem(Op.i64_load32_u, REG_HI_AT + 4 * r).i64Const(32n).op(Op.i64_shl).op(Op.i64_or).set(L.reg + r);
  }
}

/** count at counted position j of the current block (exact for faults). */
export function exactCount(f: FuncContext, j: number): void {
  const back = f.blockLen - 1 - j;
  f.c.get(L.count);
  if (back !== 0) f.c.i32Const(back).op(Op.i32_sub);
}

/** Branch to the block starting at `target` (from inside the current block's code). */
export function jumpTo(f: FuncContext, target: number): void {
  const k = f.plan.blockOf[target]!;
  if (k < 0) throw new Error(`wasm compile: jump target ${target} is not a block start`);
  if (k > f.block) { f.c.br(k - f.block - 1 + f.extra); return; }
  if (!f.plan.loop) throw new Error(`wasm compile: jump back to ${target} without a dispatch loop`);
  f.c.i32Const(target).set(L.pc).br(f.plan.starts.length - 1 - f.block + f.extra);
}

/** Conditional branch on the i32 on the stack. */
export function jumpIf(f: FuncContext, target: number): void {
  const k = f.plan.blockOf[target]!;
  if (k > f.block) { f.c.brIf(k - f.block - 1 + f.extra); return; }
  f.c.if(); f.extra++;
  jumpTo(f, target);
  f.c.end(); f.extra--;
}

/** Return from the current function to the dispatch head with pc set from the stack top. */
export function dispatch(f: FuncContext): void {
  if (!f.plan.loop) throw new Error('wasm compile: dispatch without a loop');
  f.c.set(L.pc).br(f.plan.starts.length - 1 - f.block + f.extra);
}

export { FRAME_BYTES, FRAMES };
