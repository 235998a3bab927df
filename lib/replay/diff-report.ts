import { XDP_ACTION_NAMES } from '../xdp/constants.ts';
import { DIFF_KINDS, NOT_RUN, type DiffKind, type DiffPacket, type DiffReport, type DiffSideInfo, type DiffSideResult } from './diff.ts';

/** `22:13:20.001000` (UTC, µs), as tcpdump prints times. */
export function packetTime(tsNs: bigint): string {
  const d = new Date(Number(tsNs / 1_000_000n));
  return `${d.toISOString().slice(11, 19)}.${String((tsNs / 1000n) % 1_000_000n).padStart(6, '0')}`;
}

/** Matrix labels in a stable order: XDP actions by number, other numbers, then `not run`. */
function orderLabels(labels: Iterable<string>): string[] {
  const rank = (l: string): number => {
    const i = XDP_ACTION_NAMES.indexOf(l);
    if (i >= 0) return i;
    if (l === NOT_RUN) return Number.MAX_SAFE_INTEGER;
    return /^\d+$/.test(l) ? 1e6 + Number(l) : 2e6;
  };
  return [...new Set(labels)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const KIND_TEXT: Readonly<Record<DiffKind, string>> = {
  'fault-appeared': 'fault appeared',
  'fault-disappeared': 'fault disappeared',
  verdict: 'verdict',
  bytes: 'bytes',
};

function sideText(s: DiffSideResult): string {
  if (s.notRun !== undefined) return NOT_RUN;
  return `${s.verdict} ${s.exit ?? '?'}${s.fault !== undefined ? ` (fault: ${s.fault})` : ''}`;
}

function sideName(s: DiffSideInfo): string {
  return `${s.label} (${s.program}, section ${s.section})`;
}

/** Two lines per differing packet: what it is, then old → new and where the bytes differ. */
export function formatDiffPacket(p: DiffPacket): string {
  const head = `#${p.packetId} ${packetTime(p.tsNs)} ${p.summary}`;
  let change = `    ${KIND_TEXT[p.kind]}: ${sideText(p.old)} → ${sideText(p.new)}`;
  if (p.byteOffset !== undefined) change += `; bytes differ from offset ${p.byteOffset} (${p.field ?? 'unknown field'})`;
  else if (p.field === 'meta') change += '; metadata differs';
  return `${head}\n${change}`;
}

/** The transition matrix as a text table, rows = old verdict, columns = new verdict. */
export function formatMatrix(matrix: DiffReport['matrix']): string {
  const rows = orderLabels(Object.keys(matrix));
  const cols = orderLabels([...rows, ...Object.values(matrix).flatMap((r) => Object.keys(r))]);
  const all = orderLabels([...rows, ...cols]);
  const first = Math.max('old \\ new'.length, ...all.map((l) => l.length));
  const widths = all.map((c) => Math.max(c.length, ...rows.map((r) => String(matrix[r]?.[c] ?? 0).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(first) : c.padStart(widths[i - 1]!))).join('  ').trimEnd();
  const out = [line(['old \\ new', ...all])];
  for (const r of all) {
    if (matrix[r] === undefined) continue;
    out.push(line([r, ...all.map((c) => String(matrix[r]?.[c] ?? 0))]));
  }
  return out.join('\n');
}

/** The human report printed on stdout. */
export function formatDiffReport(r: DiffReport): string {
  const out: string[] = [];
  out.push(`old: ${sideName(r.old)}`);
  out.push(`new: ${sideName(r.new)}`);
  out.push(`${r.packetsIn} packets compared (${r.compare === 'bytes' ? 'verdicts and output bytes' : 'verdicts only'}), ${r.packetsDiffering} differ`);
  if (r.packetsIn > 0) out.push('', formatMatrix(r.matrix));
  out.push('', `differences: ${DIFF_KINDS.map((k) => `${KIND_TEXT[k]} ${r.kinds[k]}`).join(', ')}`);
  if (r.packets.length > 0) {
    out.push('', r.packets.length < r.packetsDiffering ? `first ${r.packets.length} of ${r.packetsDiffering} differing packets:` : 'differing packets:');
    for (const p of r.packets) out.push(formatDiffPacket(p));
  }
  if (r.truncated > 0) out.push('', 'warning: the input ended inside a record; the truncated packet was skipped');
  if (r.interrupted) out.push('', 'interrupted: the report covers the packets compared before the interrupt');
  return out.join('\n');
}

/** The report as JSON-ready data: times as ISO strings plus exact nanoseconds as decimal strings. */
export function diffReportJson(r: DiffReport): Record<string, unknown> {
  return {
    old: r.old,
    new: r.new,
    compare: r.compare,
    packets_in: r.packetsIn,
    packets_differing: r.packetsDiffering,
    matrix: r.matrix,
    kinds: r.kinds,
    first: r.packets.map((p) => ({
      packet_id: p.packetId,
      time: `${new Date(Number(p.tsNs / 1_000_000n)).toISOString().slice(0, 19)}.${String(p.tsNs % 1_000_000_000n).padStart(9, '0')}Z`,
      ts_ns: p.tsNs.toString(),
      summary: p.summary,
      kind: p.kind,
      old: p.old,
      new: p.new,
      ...(p.byteOffset !== undefined ? { byte_offset: p.byteOffset } : {}),
      ...(p.field !== undefined ? { field: p.field } : {}),
    })),
    records_out: r.recordsOut,
    truncated: r.truncated,
    interrupted: r.interrupted,
    elapsed_ms: Math.round(r.elapsedMs),
  };
}
