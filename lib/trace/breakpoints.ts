import type { SourceLine } from '../object/types.ts';
import type { ProgramImage } from '../vm/verify.ts';
import type { TraceHook, Vm } from '../vm/vm.ts';
import type { XdpProgram } from '../xdp/xdp-program.ts';
import { EvalError, ExprParser, SpecError, describe, evaluate, mapNames, registerName, tokenize, type Expr } from './expr.ts';
import { findMap, formatMapBytes, hex, lineLabel, regValue, vmEnv } from './vm-view.ts';

/**
 * Breakpoints in the `bpftool prog inspect` spec:
 *
 *   SPEC := LOC [if COND] [print ITEM, …] [skip N]
 *   LOC  := func:insn        instruction `insn` counted from the start of function `func`
 *         | file.c:line      the first instruction executed on that source line each time
 *                            execution enters the line from another line
 *   ITEM := EXPR | regs | stack | MAPNAME | "string"
 *
 * `skip N` ignores the first N stops (where COND held) over the whole replay, like gdb's
 * ignore count. See expr.ts for expressions.
 */

export type BreakLoc = { kind: 'insn'; func: string; insn: number; col: number } | { kind: 'line'; file: string; line: number; col: number };

export type PrintItem =
  | { kind: 'expr'; expr: Expr; text: string }
  | { kind: 'regs' }
  | { kind: 'stack' }
  | { kind: 'map'; name: string; col: number }
  | { kind: 'str'; value: string };

export interface BreakSpec {
  text: string;
  loc: BreakLoc;
  cond?: Expr;
  print: PrintItem[];
  skip: number;
}

const KEYWORDS = new Set(['if', 'print', 'skip']);

/** Parse a spec; a mistake is a SpecError (a UsageError) naming the column. */
export function parseBreakSpec(text: string): BreakSpec {
  const m = /^(\s*)([^\s:]+):([0-9]+)(?=\s|$)/.exec(text);
  if (m === null) {
    const col = (/^\s*/.exec(text)?.[0].length ?? 0) + 1;
    throw new SpecError(text, col, 'expected a location FUNC:INSN or FILE.c:LINE');
  }
  const col = m[1]!.length + 1;
  const name = m[2]!;
  const n = Number(m[3]);
  const loc: BreakLoc = /[./]/.test(name) ? { kind: 'line', file: name, line: n, col } : { kind: 'insn', func: name, insn: n, col };
  const p = new ExprParser(text, tokenize(text, m[0].length));
  const spec: BreakSpec = { text, loc, print: [], skip: 0 };
  let seen = 0; // 1 = if, 2 = print, 3 = skip: clauses in this order, each at most once
  for (;;) {
    const tok = p.peek();
    if (tok.t === 'eof') break;
    if (tok.t !== 'id' || !KEYWORDS.has(tok.value)) p.fail(tok, `expected "if", "print" or "skip", found ${describe(tok)}`);
    const order = tok.value === 'if' ? 1 : tok.value === 'print' ? 2 : 3;
    if (order <= seen) p.fail(tok, `"${tok.value}" ${order === seen ? 'given twice' : 'must come earlier (order: if, print, skip)'}`);
    seen = order;
    p.pos++;
    if (order === 1) spec.cond = p.parseExpr();
    else if (order === 2) spec.print = parseItems(text, p);
    else {
      const num = p.peek();
      if (num.t !== 'num') return p.fail(num, `skip expects a count, found ${describe(num)}`);
      p.pos++;
      spec.skip = Number(num.value);
    }
  }
  return spec;
}

function parseItems(text: string, p: ExprParser): PrintItem[] {
  const items: PrintItem[] = [];
  for (;;) {
    const tok = p.peek();
    const next = p.tokens[p.pos + 1];
    const alone = next === undefined || next.t === 'eof' || (next.t === 'op' && next.value === ',') || (next.t === 'id' && KEYWORDS.has(next.value));
    if (tok.t === 'str') { items.push({ kind: 'str', value: tok.value }); p.pos++; }
    else if (tok.t === 'id' && alone && tok.value === 'regs') { items.push({ kind: 'regs' }); p.pos++; }
    else if (tok.t === 'id' && alone && tok.value === 'stack') { items.push({ kind: 'stack' }); p.pos++; }
    else if (tok.t === 'id' && alone && registerName(tok.value) === undefined && !KEYWORDS.has(tok.value)) { items.push({ kind: 'map', name: tok.value, col: tok.col }); p.pos++; }
    else if (tok.t === 'eof' || (tok.t === 'id' && KEYWORDS.has(tok.value))) p.fail(tok, `expected a print item, found ${describe(tok)}`);
    else {
      const expr = p.parseExpr();
      const end = p.peek().col;
      items.push({ kind: 'expr', expr, text: text.slice(tok.col - 1, end - 1).trim() });
    }
    if (!p.isOp(',')) return items;
    p.pos++;
  }
}

/** One stop: where, and what the print items gave. */
export interface BreakHit {
  /** Index of the spec in the list given. */
  index: number;
  spec: string;
  program: string;
  func: string;
  /** Slot within `func` (the `insn` of a func:insn location). */
  funcInsn: number;
  /** Slot within the program image. */
  pc: number;
  line?: SourceLine;
  items: PrintedItem[];
}

export type PrintedItem =
  | { kind: 'str'; text: string }
  | { kind: 'value'; label: string; value: string; error?: string }
  | { kind: 'regs'; regs: string[] }
  | { kind: 'stack'; rows: { offset: number; hex: string }[] }
  | { kind: 'map'; name: string; entries: { key: string; value: string }[]; omitted: number };

interface Bound {
  index: number;
  spec: BreakSpec;
  /** Per image: 1 at every slot where the location may stop. */
  slots: Map<ProgramImage, Uint8Array>;
  hits: number;
}

function sameFile(btfFile: string, user: string): boolean {
  const a = btfFile.replace(/^\.\//, ''), b = user.replace(/^\.\//, '');
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

function funcOf(image: ProgramImage, pc: number): { name: string; insn: number } {
  let found = { name: image.name, insn: 0 };
  for (const f of image.funcs) if (f.insn <= pc) found = f;
  return found;
}

/** Resolve a spec's location and map names against the loaded program; SpecError if they match nothing. */
function bind(spec: BreakSpec, index: number, vm: Vm): Bound {
  const images = [...new Set(vm.images.values())];
  const slots = new Map<ProgramImage, Uint8Array>();
  const loc = spec.loc;
  if (loc.kind === 'insn') {
    const known: string[] = [];
    for (const image of images) {
      image.funcs.forEach((f, i) => {
        known.push(f.name);
        if (f.name !== loc.func) return;
        const end = image.funcs[i + 1]?.insn ?? image.length;
        const pc = f.insn + loc.insn;
        if (pc >= end) throw new SpecError(spec.text, loc.col, `function ${f.name} has ${end - f.insn} instruction slots (0..${end - f.insn - 1}), not ${loc.insn}`);
        if (pc > 0 && image.op[pc - 1] === 0x18) throw new SpecError(spec.text, loc.col, `${f.name}:${loc.insn} is the second slot of an lddw`);
        if (!slots.has(image)) slots.set(image, new Uint8Array(image.length));
        slots.get(image)![pc] = 1;
      });
    }
    if (slots.size === 0) throw new SpecError(spec.text, loc.col, `no function "${loc.func}" (functions: ${[...new Set(known)].join(', ')})`);
  } else {
    const lines = new Set<number>();
    for (const image of images) {
      for (let pc = 0; pc < image.length; pc++) {
        const l = image.lines[pc];
        if (l === undefined || !sameFile(l.file, loc.file)) continue;
        lines.add(l.line);
        if (l.line !== loc.line) continue;
        if (!slots.has(image)) slots.set(image, new Uint8Array(image.length));
        slots.get(image)![pc] = 1;
      }
    }
    if (slots.size === 0) {
      const sorted = [...lines].sort((a, b) => a - b);
      const near = sorted.filter((l) => Math.abs(l - loc.line) <= 5);
      throw new SpecError(spec.text, loc.col, lines.size === 0 ? `no instruction comes from a file "${loc.file}"` : `no instruction comes from ${loc.file}:${loc.line}${near.length > 0 ? ` (nearby lines with code: ${near.join(', ')})` : ''}`);
    }
  }
  const names = [...(spec.cond !== undefined ? mapNames(spec.cond) : [])];
  for (const item of spec.print) {
    if (item.kind === 'expr') mapNames(item.expr, names);
    if (item.kind === 'map') names.push({ name: item.name, col: item.col });
  }
  for (const n of names) {
    if (findMap(vm, n.name) === undefined) throw new SpecError(spec.text, n.col, `no map "${n.name}" (maps: ${vm.maps.map((m) => m.spec.name).join(', ')})`);
  }
  return { index, spec, slots, hits: 0 };
}

/**
 * Breakpoints bound to one loaded program. `hook` goes on `program.trace` (or is called from
 * another hook); stops accumulate until `take()`.
 */
export class Breakpoints {
  readonly hook: TraceHook;
  private readonly bound: Bound[];
  private pending: BreakHit[] = [];
  private readonly vm: Vm;
  private readonly program: XdpProgram;

  constructor(program: XdpProgram, specs: readonly BreakSpec[]) {
    this.program = program;
    this.vm = program.vm;
    this.bound = specs.map((s, i) => bind(s, i, this.vm));
    // Per image: the breakpoints that have a slot in it, and one flag array over all of them,
    // so an instruction without a breakpoint costs one array read.
    const perImage = new Map<ProgramImage, { list: Bound[]; any: Uint8Array }>();
    for (const b of this.bound) {
      for (const [image, slots] of b.slots) {
        const entry = perImage.get(image) ?? { list: [], any: new Uint8Array(image.length) };
        entry.list.push(b);
        for (let pc = 0; pc < slots.length; pc++) entry.any[pc] |= slots[pc]!;
        perImage.set(image, entry);
      }
    }
    const byLine = this.bound.some((b) => b.spec.loc.kind === 'line');
    let lastImage: ProgramImage | undefined;
    let last: { list: Bound[]; any: Uint8Array } | undefined;
    let prevLine: SourceLine | undefined;
    this.hook = (pc, image, L, H) => {
      if (image !== lastImage) { lastImage = image; last = perImage.get(image); }
      if (last !== undefined && last.any[pc] === 1) {
        const line = image.lines[pc];
        for (const b of last.list) {
          if (b.slots.get(image)![pc] !== 1) continue;
          if (b.spec.loc.kind === 'line' && prevLine !== undefined && line !== undefined && prevLine.line === line.line && prevLine.file === line.file) continue;
          this.check(b, pc, image, L, H);
        }
      }
      if (byLine) prevLine = image.lines[pc];
    };
  }

  /** Stops since the last call (one packet's worth when called per packet). */
  take(): BreakHit[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private check(b: Bound, pc: number, image: ProgramImage, L: Int32Array, H: Int32Array): void {
    const env = vmEnv(this.vm, L, H);
    if (b.spec.cond !== undefined) {
      try {
        if (evaluate(b.spec.cond, env) === 0n) return;
      } catch (err) {
        if (err instanceof EvalError) return; // an unreadable operand: the condition does not hold
        throw err;
      }
    }
    if (b.hits++ < b.spec.skip) return;
    const f = funcOf(image, pc);
    const hit: BreakHit = { index: b.index, spec: b.spec.text, program: image.name, func: f.name, funcInsn: pc - f.insn, pc, items: [] };
    const line = image.lines[pc];
    if (line !== undefined) hit.line = line;
    for (const item of b.spec.print) hit.items.push(this.print(item, env, L, H));
    this.pending.push(hit);
  }

  private print(item: PrintItem, env: ReturnType<typeof vmEnv>, L: Int32Array, H: Int32Array): PrintedItem {
    switch (item.kind) {
      case 'str': return { kind: 'str', text: item.value };
      case 'regs': return { kind: 'regs', regs: Array.from({ length: 11 }, (_, r) => `0x${regValue(L, H, r).toString(16)}`) };
      case 'stack': {
        const top = L[10]! >>> 0;
        const rows: { offset: number; hex: string }[] = [];
        for (let off = -512; off < 0; off += 16) {
          const bytes = this.vm.mem.u8.subarray(top + off, top + off + 16);
          if (bytes.some((x) => x !== 0)) rows.push({ offset: off, hex: hex(bytes) });
        }
        return { kind: 'stack', rows };
      }
      case 'map': {
        const m = findMap(this.vm, item.name)!;
        const object = this.program.object;
        const entries: { key: string; value: string }[] = [];
        let omitted = 0;
        for (const [k, v] of m.entries()) {
          if (!v.some((x) => x !== 0)) { omitted++; continue; }
          entries.push({ key: formatMapBytes(object, m.spec, 'key', k), value: formatMapBytes(object, m.spec, 'value', v) });
        }
        return { kind: 'map', name: m.spec.name, entries, omitted };
      }
      case 'expr':
        try {
          return { kind: 'value', label: item.text, value: `0x${evaluate(item.expr, env).toString(16)}` };
        } catch (err) {
          if (!(err instanceof EvalError)) throw err;
          return { kind: 'value', label: item.text, value: '?', error: err.message };
        }
    }
  }
}

/** Human text of one stop, tagged with packet id and location. */
export function formatHit(packetId: number, hit: BreakHit): string {
  const head = `#${packetId} break ${hit.func}:${hit.funcInsn} (${hit.program} insn ${hit.pc}) ${lineLabel(hit.line)}`;
  const parts = hit.items.map((it) => {
    switch (it.kind) {
      case 'str': return `  ${it.text}`;
      case 'value': return it.error !== undefined ? `  ${it.label} = ? (${it.error})` : `  ${it.label} = ${BigInt(it.value)} (${it.value})`;
      case 'regs': return `  ${it.regs.map((v, r) => `r${r}=${v}`).join(' ')}`;
      case 'stack': return it.rows.length === 0 ? '  stack: all zero' : it.rows.map((r) => `  r10${r.offset}: ${r.hex.replace(/(..)(?!$)/g, '$1 ')}`).join('\n');
      case 'map': return [`  map ${it.name}: ${it.entries.length} entries${it.omitted > 0 ? ` (+${it.omitted} all-zero)` : ''}`, ...it.entries.map((e) => `    ${e.key}: ${e.value}`)].join('\n');
    }
  });
  return [head, ...parts].join('\n');
}

/** JSON-able record of one stop. */
export interface HitRecord {
  type: 'break';
  packet: number;
  spec: string;
  program: string;
  func: string;
  insn: number;
  pc: number;
  file?: string;
  line_num?: number;
  items: PrintedItem[];
}

export function hitRecord(packetId: number, hit: BreakHit): HitRecord {
  return {
    type: 'break', packet: packetId, spec: hit.spec, program: hit.program, func: hit.func, insn: hit.funcInsn, pc: hit.pc,
    ...(hit.line !== undefined ? { file: hit.line.file, line_num: hit.line.line } : {}),
    items: hit.items,
  };
}
