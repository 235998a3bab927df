import type { VmFaultKind } from '../vm/fault.ts';
import type { XdpResult } from '../xdp/xdp-program.ts';
import { actionName, exitLabel } from './annotate.ts';

/** What a replay did: counted on every packet, printed at the end, written with --json-summary. */
export interface ReplaySummary {
  packetsIn: number;
  /** Packets the program ran on (excludes frames the kernel would refuse). */
  packetsRun: number;
  /** Records written to the output (after --actions / filter selection; 2 per packet with --capture both). */
  recordsOut: number;
  /** Packets selected by --actions and the filter. */
  packetsSelected: number;
  notRun: number;
  /** Reason → count for packets not run. */
  notRunReasons: Record<string, number>;
  /** Truncated final record skipped (0 or 1). */
  truncated: number;
  /** Action name → packets. */
  verdicts: Record<string, number>;
  faults: Partial<Record<VmFaultKind, number>>;
  /** Action name → exit location (`file.c:42`) → packets. */
  exitLines: Record<string, Record<string, number>>;
  insns: number;
  helperCalls: number;
  /** Helper name → calls (e.g. `bpf_map_lookup_elem`). */
  helperCallsByName: Record<string, number>;
  /** Map operations made by the program: lookup, update, delete, push, pop, peek. */
  mapOperations: Record<string, number>;
  tailCalls: number;
  printkLines: number;
  redirects: number;
  elapsedMs: number;
  interrupted: boolean;
  brokenPipe: boolean;
}

export function emptySummary(): ReplaySummary {
  return {
    packetsIn: 0, packetsRun: 0, recordsOut: 0, packetsSelected: 0, notRun: 0, notRunReasons: {}, truncated: 0,
    verdicts: {}, faults: {}, exitLines: {}, insns: 0, helperCalls: 0, helperCallsByName: {}, mapOperations: {}, tailCalls: 0, printkLines: 0, redirects: 0,
    elapsedMs: 0, interrupted: false, brokenPipe: false,
  };
}

/** Count one packet's result. */
export function countResult(s: ReplaySummary, r: XdpResult): void {
  s.packetsIn++;
  if (r.notRun !== undefined) {
    s.notRun++;
    const reason = r.notRun.replace(/\d+/g, 'N');
    s.notRunReasons[reason] = (s.notRunReasons[reason] ?? 0) + 1;
    return;
  }
  s.packetsRun++;
  const name = actionName(r.action);
  s.verdicts[name] = (s.verdicts[name] ?? 0) + 1;
  const lines = (s.exitLines[name] ??= {});
  const where = exitLabel(r);
  lines[where] = (lines[where] ?? 0) + 1;
  if (r.fault !== undefined) s.faults[r.fault.kind] = (s.faults[r.fault.kind] ?? 0) + 1;
  s.insns += r.insns;
  s.helperCalls += r.helperCalls;
  s.tailCalls += r.tailCalls;
  s.printkLines += r.printk.length;
  if (r.redirect !== undefined) s.redirects++;
}

/** Map helpers by id → the operation they count as (include/uapi/linux/bpf.h ids). */
const MAP_OPERATIONS: Readonly<Record<number, string>> = { 1: 'lookup', 2: 'update', 3: 'delete', 87: 'push', 88: 'pop', 89: 'peek', 195: 'lookup' };

/** Fill the per-helper and map-operation counts from the VM's helper totals (after − before the run). */
export function countHelpers(s: ReplaySummary, before: Float64Array, after: Float64Array, name: (id: number) => string): void {
  for (let id = 0; id < after.length; id++) {
    const n = after[id]! - (before[id] ?? 0);
    if (n === 0) continue;
    s.helperCallsByName[name(id)] = n;
    const op = MAP_OPERATIONS[id];
    if (op !== undefined) s.mapOperations[op] = (s.mapOperations[op] ?? 0) + n;
  }
}

function pct(n: number, of: number): string {
  return of === 0 ? '0.0%' : `${((100 * n) / of).toFixed(1)}%`;
}

/** The human summary printed on stderr at the end of a replay. */
export function formatSummary(s: ReplaySummary, topLines = 5): string {
  const out: string[] = [];
  const secs = s.elapsedMs / 1000;
  out.push(`${s.packetsIn} packets in, ${s.packetsRun} run, ${s.recordsOut} records out` +
    `${s.packetsSelected !== s.packetsIn ? ` (${s.packetsSelected} packets selected)` : ''}` +
    `, ${secs.toFixed(2)} s, ${secs > 0 ? Math.round(s.packetsIn / secs) : s.packetsIn} packets/s`);
  const verdicts = Object.entries(s.verdicts).sort((a, b) => b[1] - a[1]);
  for (const [name, n] of verdicts) {
    out.push(`  ${name.padEnd(13)} ${String(n).padStart(9)}  ${pct(n, s.packetsRun).padStart(6)}`);
    const lines = Object.entries(s.exitLines[name] ?? {}).sort((a, b) => b[1] - a[1]);
    for (const [where, count] of lines.slice(0, topLines)) out.push(`      ${String(count).padStart(9)}  at ${where}`);
    if (lines.length > topLines) out.push(`      … ${lines.length - topLines} more exit locations`);
  }
  if (s.notRun > 0) {
    out.push(`  not run       ${String(s.notRun).padStart(9)}`);
    for (const [why, n] of Object.entries(s.notRunReasons)) out.push(`      ${String(n).padStart(9)}  ${why}`);
  }
  const faults = Object.entries(s.faults);
  if (faults.length > 0) out.push(`  faults: ${faults.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  out.push(`  instructions ${s.insns}, helper calls ${s.helperCalls}, tail calls ${s.tailCalls}, printk lines ${s.printkLines}`);
  const helpers = Object.entries(s.helperCallsByName).sort((a, b) => b[1] - a[1]);
  if (helpers.length > 0) out.push(`  helpers: ${helpers.map(([h, n]) => `${h} ${n}`).join(', ')}`);
  const ops = Object.entries(s.mapOperations);
  if (ops.length > 0) out.push(`  map operations: ${ops.map(([o, n]) => `${o} ${n}`).join(', ')}`);
  if (s.truncated > 0) out.push(`  warning: the input ended inside a record; ${s.truncated} truncated packet skipped`);
  if (s.interrupted) out.push('  interrupted: output holds every packet completed before the interrupt');
  return out.join('\n');
}
