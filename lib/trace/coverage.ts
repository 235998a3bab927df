import { disassembleEntries } from '../isa/disassemble.ts';
import type { ProgramImage } from '../vm/verify.ts';
import type { TraceHook } from '../vm/vm.ts';
import type { XdpProgram } from '../xdp/xdp-program.ts';

/**
 * Instruction, line and branch coverage over a replay, and its lcov text.
 *
 * Counts come from the reference interpreter's per-instruction hook, installed only when
 * coverage is asked for. A conditional jump's outcome is known when the next instruction
 * starts: the fall-through slot means "not taken", anything else "taken".
 *
 * lcov mapping: `SF:` is the file name as BTF line info gives it (clang's DW_AT_name, `./x.c`
 * for our samples, so run genhtml where the source is); a line's `DA` count is the highest hit
 * count of the instructions attributed to it (how often the line ran, not how many
 * instructions); `FN`/`FNDA` are the BPF functions (entry and bpf-to-bpf subprograms; inlined
 * functions are not functions in BPF); every conditional jump gives two `BRDA` records
 * (taken, not taken) with the jump's slot as the block number.
 */

interface ImageCounts {
  image: ProgramImage;
  hits: Float64Array;
  taken: Float64Array;
  notTaken: Float64Array;
  isCond: Uint8Array;
}

function isConditionalJump(code: number): boolean {
  const cls = code & 0x07;
  if (cls !== 0x05 && cls !== 0x06) return false;
  const op = code & 0xf0;
  return op !== 0x00 && op !== 0x80 && op !== 0x90;
}

export interface FunctionSummary {
  name: string;
  file: string;
  line: number;
  calls: number;
  linesHit: number;
  linesTotal: number;
  insnsHit: number;
  insnsTotal: number;
  branchesHit: number;
  branchesTotal: number;
}

export class CoverageCollector {
  readonly hook: TraceHook;
  private readonly counts = new Map<ProgramImage, ImageCounts>();
  private pendingImage: ProgramImage | undefined;
  private pendingPc = -1;

  constructor(program: XdpProgram) {
    for (const image of new Set(program.vm.images.values())) {
      const n = image.length;
      const isCond = new Uint8Array(n);
      for (let pc = 0; pc < n; pc++) if (isConditionalJump(image.op[pc]!)) isCond[pc] = 1;
      this.counts.set(image, { image, hits: new Float64Array(n), taken: new Float64Array(n), notTaken: new Float64Array(n), isCond });
    }
    let lastImage: ProgramImage | undefined;
    let cur: ImageCounts | undefined;
    this.hook = (pc, image) => {
      if (image !== lastImage) { lastImage = image; cur = this.counts.get(image); }
      if (this.pendingImage !== undefined) {
        const p = this.counts.get(this.pendingImage)!;
        if (image === this.pendingImage && pc === this.pendingPc + 1) p.notTaken[this.pendingPc]!++;
        else p.taken[this.pendingPc]!++;
        this.pendingImage = undefined;
      }
      if (cur === undefined) return;
      cur.hits[pc]!++;
      if (cur.isCond[pc] === 1) { this.pendingImage = image; this.pendingPc = pc; }
    };
  }

  /** Call between packets: a run that ended on a jump (budget fault) leaves no outcome. */
  endPacket(): void {
    this.pendingImage = undefined;
  }

  /** Hit count of each slot of `image` (for tests and instruction-level reports). */
  insnHits(image: ProgramImage): Float64Array | undefined {
    return this.counts.get(image)?.hits;
  }

  /** Taken / not-taken counts of each slot's conditional jump (isCond marks the jumps). */
  branchCounts(image: ProgramImage): { isCond: Uint8Array; taken: Float64Array; notTaken: Float64Array } | undefined {
    return this.counts.get(image);
  }

  /** Per-file line hits (max over each line's instructions, summed over images). */
  lineHits(): Map<string, Map<number, number>> {
    const files = new Map<string, Map<number, number>>();
    for (const c of this.counts.values()) {
      const perImage = new Map<string, Map<number, number>>();
      c.image.lines.forEach((l, pc) => {
        if (l === undefined || l.line === 0) return; // line 0: compiler-generated code
        let m = perImage.get(l.file);
        if (m === undefined) { m = new Map(); perImage.set(l.file, m); }
        m.set(l.line, Math.max(m.get(l.line) ?? 0, c.hits[pc]!));
      });
      for (const [file, m] of perImage) {
        let all = files.get(file);
        if (all === undefined) { all = new Map(); files.set(file, all); }
        for (const [line, n] of m) all.set(line, (all.get(line) ?? 0) + n);
      }
    }
    return files;
  }

  functions(): FunctionSummary[] {
    const out: FunctionSummary[] = [];
    for (const c of this.counts.values()) {
      const funcs = c.image.funcs.length > 0 ? c.image.funcs : [{ insn: 0, name: c.image.name }];
      funcs.forEach((f, i) => {
        const end = funcs[i + 1]?.insn ?? c.image.length;
        const first = c.image.lines[f.insn];
        const lines = new Map<string, number>();
        let insnsHit = 0, insnsTotal = 0, branchesHit = 0, branchesTotal = 0;
        for (let pc = f.insn; pc < end; pc++) {
          if (pc > 0 && c.image.op[pc - 1] === 0x18) continue; // lddw second slot
          insnsTotal++;
          if (c.hits[pc]! > 0) insnsHit++;
          const l = c.image.lines[pc];
          if (l !== undefined && l.line !== 0) { const k = `${l.file}:${l.line}`; lines.set(k, Math.max(lines.get(k) ?? 0, c.hits[pc]!)); }
          if (c.isCond[pc] === 1) {
            branchesTotal += 2;
            branchesHit += (c.taken[pc]! > 0 ? 1 : 0) + (c.notTaken[pc]! > 0 ? 1 : 0);
          }
        }
        out.push({
          name: f.name, file: first?.file ?? '', line: first?.line ?? 0, calls: c.hits[f.insn]!,
          linesHit: [...lines.values()].filter((n) => n > 0).length, linesTotal: lines.size, insnsHit, insnsTotal, branchesHit, branchesTotal,
        });
      });
    }
    return out;
  }

  /** The lcov tracefile (one record per source file). */
  toLcov(testName = ''): string {
    const out: string[] = [];
    const lines = this.lineHits();
    const funcs = this.functions();
    const branches = new Map<string, string[]>();
    let imageIndex = 0;
    for (const c of this.counts.values()) {
      for (let pc = 0; pc < c.image.length; pc++) {
        const l = c.image.lines[pc];
        if (c.isCond[pc] !== 1 || l === undefined || l.line === 0) continue;
        const ran = c.hits[pc]! > 0;
        const block = imageIndex * 1_000_000 + pc;
        const list = branches.get(l.file) ?? [];
        list.push(`BRDA:${l.line},${block},0,${ran ? c.taken[pc]! : '-'}`, `BRDA:${l.line},${block},1,${ran ? c.notTaken[pc]! : '-'}`);
        branches.set(l.file, list);
      }
      imageIndex++;
    }
    for (const [file, m] of [...lines].sort((a, b) => a[0].localeCompare(b[0]))) {
      out.push(`TN:${testName}`, `SF:${file}`);
      const fs = funcs.filter((f) => f.file === file);
      const seen = new Set<string>();
      for (const f of fs) if (!seen.has(f.name)) { seen.add(f.name); out.push(`FN:${f.line},${f.name}`); }
      const calls = new Map<string, number>();
      for (const f of fs) calls.set(f.name, (calls.get(f.name) ?? 0) + f.calls);
      for (const [name, n] of calls) out.push(`FNDA:${n},${name}`);
      out.push(`FNF:${calls.size}`, `FNH:${[...calls.values()].filter((n) => n > 0).length}`);
      const br = branches.get(file) ?? [];
      out.push(...br);
      out.push(`BRF:${br.length}`, `BRH:${br.filter((b) => !b.endsWith(',-') && !b.endsWith(',0')).length}`);
      const sorted = [...m].sort((a, b) => a[0] - b[0]);
      for (const [line, n] of sorted) out.push(`DA:${line},${n}`);
      out.push(`LF:${sorted.length}`, `LH:${sorted.filter(([, n]) => n > 0).length}`, 'end_of_record');
    }
    return `${out.join('\n')}\n`;
  }
}

/**
 * Instruction-level coverage as an annotated listing (bpftool linum layout with a hit-count
 * column; conditional jumps add `taken T / not taken N`), one block per program image.
 */
export function formatInsnCoverage(cov: CoverageCollector, program: XdpProgram): string {
  const out: string[] = [];
  const maps = program.object.maps;
  for (const image of new Set(program.vm.images.values())) {
    const hits = cov.insnHits(image)!;
    const branches = cov.branchCounts(image)!;
    out.push(`# program ${image.name}`);
    for (const e of disassembleEntries(image.spec, { helperNames: true, mapName: (i) => maps[i]?.name })) {
      if (e.func !== undefined) out.push(`${e.func}:`);
      if (e.src !== undefined) out.push(`; ${e.src} [file:${e.file ?? ''} line_num:${e.line_num ?? 0}]`);
      const n = hits[e.pc]!;
      const br = branches.isCond[e.pc] === 1 ? `   taken ${branches.taken[e.pc]} / not taken ${branches.notTaken[e.pc]}` : '';
      out.push(`${(n === 0 ? '-' : String(n)).padStart(9)} ${String(e.pc).padStart(5)}: ${e.insn}${br}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The per-function summary for stderr: `xdp_firewall  firewall.c:179  lines 40/62 (64.5%) …`. */
export function formatCoverageSummary(funcs: readonly FunctionSummary[]): string {
  const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
  const w = Math.max(8, ...funcs.map((f) => f.name.length));
  const rows = funcs.map((f) =>
    `  ${f.name.padEnd(w)}  ${`${f.file.replace(/^\.\//, '')}:${f.line}`.padEnd(16)} calls ${String(f.calls).padStart(6)}  lines ${f.linesHit}/${f.linesTotal} (${pct(f.linesHit, f.linesTotal)})  insns ${f.insnsHit}/${f.insnsTotal}  branches ${f.branchesHit}/${f.branchesTotal} (${pct(f.branchesHit, f.branchesTotal)})`);
  return ['coverage:', ...rows].join('\n');
}
