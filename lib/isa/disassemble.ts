import type { Instruction } from './instruction.ts';
import type { SourceLine } from '../object/types.ts';
import { Op } from './opcode.ts';
import { instructionFormatter, type FormatOptions } from './disasm.ts';

/**
 * Whole-program listings in the layout of `bpftool prog dump xlated … linum`:
 *
 *   int xdp_prog(struct xdp_md * ctx):
 *   ; void *data = (void *)(long)ctx->data; [file:fw.c line_num:12 line_col:37]
 *      0: (61) r2 = *(u32 *)(r1 +0)
 *
 * and its JSON form (keys `pc`, `opcode`, `insn`, `src`, `file`, `line_num`, `line_col`).
 * Works on any `{insns, funcs, lines}` — a linked ProgramSpec or a hand-made program.
 */

/** The parts of a ProgramSpec a listing needs (lib/object/types.ts). */
export interface ListingProgram {
  insns: readonly Instruction[];
  /** Function starts, sorted by `insn`. May be empty. */
  funcs?: readonly { insn: number; name: string }[];
  /** Source line per slot, sparse. May be empty. */
  lines?: readonly (SourceLine | undefined)[];
}

export interface ListingOptions extends FormatOptions {
  /** Print `; source` lines. Default true. */
  source?: boolean;
  /** Append ` [file:… line_num:… line_col:…]` to source lines. Default true. */
  linum?: boolean;
  /** Header for a function start, e.g. a C prototype from BTF; default `<name>:`. */
  funcHeader?: (name: string) => string | undefined;
}

/** One instruction of a JSON listing. `src`/`file`/`line_num`/`line_col` only where the line changes. */
export interface ListingEntry {
  pc: number;
  /** 8-bit opcode. */
  opcode: number;
  insn: string;
  /** Name of the function that starts at this slot. */
  func?: string;
  src?: string;
  file?: string;
  line_num?: number;
  line_col?: number;
}

function sameLine(a: SourceLine | undefined, b: SourceLine | undefined): boolean {
  return a !== undefined && b !== undefined && a.file === b.file && a.line === b.line && a.col === b.col && a.text === b.text;
}

/** Default funcName resolver: the function that starts exactly at `pc`. */
function funcNamer(program: ListingProgram): (pc: number) => string | undefined {
  const byStart = new Map<number, string>();
  for (const f of program.funcs ?? []) byStart.set(f.insn, f.name);
  return (pc) => byStart.get(pc);
}

/** Structured listing: one entry per instruction (an lddw's second slot is skipped). */
export function disassembleEntries(program: ListingProgram, opts: ListingOptions = {}): ListingEntry[] {
  const formatOpts: FormatOptions = { ...opts, funcName: opts.funcName ?? funcNamer(program) };
  const fmt = instructionFormatter(formatOpts);
  const starts = funcNamer(program);
  const lines = program.lines ?? [];
  const out: ListingEntry[] = [];
  let last: SourceLine | undefined;
  for (let pc = 0; pc < program.insns.length; pc++) {
    const insn = program.insns[pc]!;
    const entry: ListingEntry = { pc, opcode: insn.code, insn: fmt(program.insns, pc) };
    const func = starts(pc);
    if (func !== undefined) entry.func = func;
    const line = lines[pc];
    if (line !== undefined && !sameLine(line, last)) {
      entry.src = line.text.trimStart(); // bpftool left-trims the BTF line text
      entry.file = line.file;
      entry.line_num = line.line;
      entry.line_col = line.col;
      last = line;
    }
    out.push(entry);
    if (insn.code === Op.LDDW) pc++;
  }
  return out;
}

/** Text listing, one string per output line (no trailing newlines). */
export function disassemble(program: ListingProgram, opts: ListingOptions = {}): string[] {
  const withSource = opts.source ?? true;
  const linum = opts.linum ?? true;
  const out: string[] = [];
  for (const e of disassembleEntries(program, opts)) {
    if (e.func !== undefined) out.push(opts.funcHeader?.(e.func) ?? `${e.func}:`);
    if (withSource && e.src !== undefined) {
      const where = linum ? ` [file:${e.file ?? ''} line_num:${e.line_num ?? 0} line_col:${e.line_col ?? 0}]` : '';
      out.push(`; ${e.src}${where}`);
    }
    out.push(`${String(e.pc).padStart(4)}: (${e.opcode.toString(16).padStart(2, '0')}) ${e.insn}`);
  }
  return out;
}
