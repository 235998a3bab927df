import type { Sink } from '../capture/pcapng-writer.ts';
import { decodePacket, fieldAt } from '../decode/decode-packet.ts';
import { ETH_HLEN } from '../xdp/constants.ts';
import type { XdpProgram, XdpResult } from '../xdp/xdp-program.ts';
import { actionName, exitLabel, exitRecord, type RecordContext } from './annotate.ts';
import { forEachInput, runPacket, runQueue, type InputPacket } from './input-packets.ts';
import { openWriter, pipelineInputOptions, runContext, type PipelineOptions } from './replay.ts';

/** What is compared: the verdict only, or the verdict and the output bytes (default). */
export type DiffCompare = 'verdict' | 'bytes';

/**
 * Why a packet differs, one kind per packet, the first that applies in this order:
 * a fault only in the new version, a fault only in the old one, another verdict,
 * the same verdict with other output bytes (or metadata).
 */
export type DiffKind = 'fault-appeared' | 'fault-disappeared' | 'verdict' | 'bytes';

export const DIFF_KINDS: readonly DiffKind[] = ['fault-appeared', 'fault-disappeared', 'verdict', 'bytes'];

/** Matrix label of a frame neither version ran (shorter than 14 bytes). */
export const NOT_RUN = 'not run';

/** How two results of the same packet differ; undefined when they do not. */
export interface ResultDifference {
  kind: DiffKind;
  /** First byte offset at which the output frames differ (the shorter length when one is a prefix of the other). */
  byteOffset?: number;
  /** True when only the metadata (data_meta … data) differs. */
  metaOnly?: boolean;
}

/** Index of the first differing byte, or -1 when equal. */
export function firstDifferingByte(a: Uint8Array, b: Uint8Array): number {
  // Equal frames are the common case: one native compare, not a JS loop over every byte (the
  // loop was a quarter of a diff's time).
  if (a.length === b.length && Buffer.compare(a, b) === 0) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n; // equal up to the shorter length: the lengths differ
}

/** Verdict label for the matrix: `XDP_DROP`, the bare number, or `not run`. */
export function verdictLabel(r: XdpResult): string {
  return r.notRun !== undefined ? NOT_RUN : actionName(r.action);
}

/** Compare one packet's results in the two versions. */
export function compareResults(oldR: XdpResult, newR: XdpResult, compare: DiffCompare = 'bytes'): ResultDifference | undefined {
  // Both sides refuse the same runt frames (the length decides), so notRun never differs alone.
  if (oldR.notRun !== undefined || newR.notRun !== undefined) {
    return (oldR.notRun === undefined) === (newR.notRun === undefined) ? undefined : { kind: 'verdict' };
  }
  const oldFault = oldR.fault !== undefined, newFault = newR.fault !== undefined;
  let kind: DiffKind | undefined;
  if (newFault && !oldFault) kind = 'fault-appeared';
  else if (oldFault && !newFault) kind = 'fault-disappeared';
  else if (oldR.action !== newR.action) kind = 'verdict';
  const offset = firstDifferingByte(oldR.packet, newR.packet);
  if (kind === undefined) {
    if (compare === 'verdict') return undefined;
    if (offset >= 0) return { kind: 'bytes', byteOffset: offset };
    if (firstDifferingByte(oldR.meta, newR.meta) >= 0) return { kind: 'bytes', metaOnly: true };
    return undefined;
  }
  return offset >= 0 && compare === 'bytes' ? { kind, byteOffset: offset } : { kind };
}

/** One version's side of a differing packet. */
export interface DiffSideResult {
  verdict: string;
  /** Exit source line (`firewall.c:42`) or `prog+insn`; absent when not run. */
  exit?: string;
  fault?: string;
  notRun?: string;
}

/** A differing packet, as listed in the report. */
export interface DiffPacket {
  /** 1-based input ordinal (`frame.packet_id` in the changed-packet pcapng, `frame.number` in the input). */
  packetId: number;
  tsNs: bigint;
  /** One-line decode of the input frame (5-tuple for IP, ethertype otherwise). */
  summary: string;
  kind: DiffKind;
  old: DiffSideResult;
  new: DiffSideResult;
  byteOffset?: number;
  /** Protocol field of the old output frame holding `byteOffset` (`eth.dst`, `ipv4.daddr`, `meta`). */
  field?: string;
}

export interface DiffSideInfo {
  label: string;
  program: string;
  section: string;
}

export interface DiffReport {
  old: DiffSideInfo;
  new: DiffSideInfo;
  compare: DiffCompare;
  packetsIn: number;
  packetsDiffering: number;
  /** Old verdict → new verdict → packets (every packet, identical ones on the diagonal; zero cells absent). */
  matrix: Record<string, Record<string, number>>;
  /** Differing packets per kind (each differing packet has exactly one kind). */
  kinds: Record<DiffKind, number>;
  /** The first `first` differing packets, in input order. */
  packets: DiffPacket[];
  /** Records written to the changed-packet pcapng (2 per differing packet). */
  recordsOut: number;
  /** 1 when the input ended inside a record (skipped), else 0. */
  truncated: number;
  interrupted: boolean;
  elapsedMs: number;
}

export interface DiffOptions extends PipelineOptions {
  compare?: DiffCompare;
  /** How many differing packets to list in the report (default 10). */
  first?: number;
  /** Output interface labels: `<ifname>:<label>@old` / `@new`. Default: the program names. */
  oldLabel?: string;
  newLabel?: string;
  ifindex?: number;
  rxQueue?: number;
  /** Called for every differing packet (whether or not it is among the first N listed). */
  onDifference?: (packet: DiffPacket) => void;
}

function side(r: XdpResult): DiffSideResult {
  if (r.notRun !== undefined) return { verdict: NOT_RUN, notRun: r.notRun };
  const s: DiffSideResult = { verdict: actionName(r.action), exit: exitLabel(r) };
  if (r.fault !== undefined) s.fault = r.fault.message;
  return s;
}

/** The report entry for a packet whose results differ. */
export function diffPacket(packet: InputPacket, oldR: XdpResult, newR: XdpResult, d: ResultDifference): DiffPacket {
  const out: DiffPacket = {
    packetId: packet.packetId,
    tsNs: packet.record.tsNs,
    summary: decodePacket(packet.record.data).summary,
    kind: d.kind,
    old: side(oldR),
    new: side(newR),
  };
  if (d.byteOffset !== undefined) {
    out.byteOffset = d.byteOffset;
    out.field = fieldAt(decodePacket(oldR.packet), d.byteOffset);
  } else if (d.metaOnly === true) out.field = 'meta';
  return out;
}

/** Whether two plain runs left the same output frame (each in its own program's store). */
function sameOutput(a: XdpProgram, b: XdpProgram): boolean {
  const pa = a.vm.packet, pb = b.vm.packet;
  const n = pa.dataEnd - pa.data;
  return n === pb.dataEnd - pb.data && Buffer.compare(a.vm.views.view(pa.data, n), b.vm.views.view(pb.data, n)) === 0;
}

/**
 * Packets both versions ran plainly to the same verdict and output, counted per action and
 * added to the matrix diagonal by fold(), in the order their verdicts first appeared (the
 * matrix's key order is what a per-packet count would give); fold() before any other packet.
 */
class SameVerdicts {
  private readonly counts = new Float64Array(256);
  private readonly order: number[] = [];

  constructor(private readonly report: DiffReport) {}

  count(action: number): void {
    if (this.counts[action]++ === 0) this.order.push(action);
  }

  fold(): void {
    if (this.order.length === 0) return;
    const r = this.report;
    for (const action of this.order) {
      const n = this.counts[action]!;
      const label = actionName(action);
      const row = (r.matrix[label] ??= {});
      row[label] = (row[label] ?? 0) + n;
      r.packetsIn += n;
      this.counts[action] = 0;
    }
    this.order.length = 0;
  }
}

function info(program: XdpProgram, label: string): DiffSideInfo {
  return { label, program: program.program.name, section: program.program.section };
}

/**
 * Run two versions of an XDP program over the same capture in one pass, each with its own map
 * state (seed both the same way before calling), and compare each packet's results. Writes the
 * differing packets to `sink` (when given) as pairs of exit records on two interfaces per input
 * interface (`<ifname>:<oldLabel>@old`, `<ifname>:<newLabel>@new`) with the same epb_packetid.
 * A FormatError in the input is thrown after everything before it was written and flushed.
 */
export async function diff(oldProgram: XdpProgram, newProgram: XdpProgram, source: AsyncIterable<Uint8Array>, sink: Sink | undefined, options: DiffOptions = {}): Promise<DiffReport> {
  const started = performance.now();
  const compare = options.compare ?? 'bytes';
  const first = options.first ?? 10;
  const oldLabel = options.oldLabel ?? oldProgram.program.name;
  const newLabel = options.newLabel ?? newProgram.program.name;
  const report: DiffReport = {
    old: info(oldProgram, oldLabel), new: info(newProgram, newLabel), compare,
    packetsIn: 0, packetsDiffering: 0, matrix: {}, kinds: { 'fault-appeared': 0, 'fault-disappeared': 0, verdict: 0, bytes: 0 },
    packets: [], recordsOut: 0, truncated: 0, interrupted: false, elapsedMs: 0,
  };
  const writer = openWriter(sink, options);
  const oldIds: number[] = [];
  const newIds: number[] = [];
  /** One packet, run here unless `oldR`/`newR` are its results already (from the run path). */
  const onPacket = (packet: InputPacket, oldRan: XdpResult | undefined, newRan: XdpResult | undefined): void | Promise<void> => {
    const { iface, record } = packet;
    const ctx = runContext(iface, record, options);
    // borrow: each result's frame is a view of its own program's memory, compared and written
    // before either program runs the next packet.
    const runOptions = { ifindex: ctx.ifindex, rxQueue: ctx.rxQueue, tsNs: record.tsNs, borrow: true };
    const oldR = oldRan ?? oldProgram.run(record.data, runOptions);
    const newR = newRan ?? newProgram.run(record.data, runOptions);
    report.packetsIn++;
    const row = (report.matrix[verdictLabel(oldR)] ??= {});
    const col = verdictLabel(newR);
    row[col] = (row[col] ?? 0) + 1;
    const d = compareResults(oldR, newR, compare);
    if (d === undefined) return undefined;
    report.packetsDiffering++;
    report.kinds[d.kind]++;
    if (report.packets.length < first || options.onDifference !== undefined) {
      const listed = diffPacket(packet, oldR, newR, d);
      if (report.packets.length < first) report.packets.push(listed);
      options.onDifference?.(listed);
    }
    if (writer === undefined) return undefined;
    const rc: RecordContext = { interfaceId: oldIds[iface.interfaceId]!, tsNs: record.tsNs, packetId: packet.packetId, queue: ctx.rxQueue };
    const w1 = writer.writePacket(exitRecord(oldR, record.data, record.origLen, rc));
    rc.interfaceId = newIds[iface.interfaceId]!;
    const w2 = writer.writePacket(exitRecord(newR, record.data, record.origLen, rc));
    report.recordsOut += 2;
    return w2 ?? w1;
  };
  const same = new SameVerdicts(report);
  try {
    const inputOptions = pipelineInputOptions(sink, options);
    // Packets in runs (pcap records, pcapng EPBs): both versions run each frame from their host
    // areas; a packet both ran plainly to the same verdict and bytes is only counted.
    inputOptions.onRun = (run, interfaces, firstPacketId) => {
      const oldBase = oldProgram.stage(run.bytes, run.from, run.to), newBase = newProgram.stage(run.bytes, run.from, run.to);
      const staged = oldBase >= 0 && newBase >= 0, oldAt = oldBase - run.from, newAt = newBase - run.from;
      let wait: void | Promise<void> = undefined;
      for (let i = 0; i < run.count; i++) {
        const caplen = run.caplen[i]!, data = run.data[i]!;
        if (caplen < ETH_HLEN || !staged) {
          same.fold();
          wait = onPacket(runPacket(run, i, interfaces, firstPacketId + i), undefined, undefined) ?? wait;
          continue;
        }
        const ifindex = options.ifindex ?? run.iface[i]! + 1, rxQueue = runQueue(run, i, options.rxQueue);
        oldProgram.vm.setTimestamp(run.tsHigh[i]!, run.tsLow[i]!);
        newProgram.vm.setTimestamp(run.tsHigh[i]!, run.tsLow[i]!);
        oldProgram.runAt(oldAt + data, caplen, ifindex, rxQueue);
        newProgram.runAt(newAt + data, caplen, ifindex, rxQueue);
        const action = oldProgram.vm.L[0]! >>> 0;
        if (action === newProgram.vm.L[0]! >>> 0 && action <= 255 && oldProgram.plainRun() && newProgram.plainRun() &&
          (compare === 'verdict' || sameOutput(oldProgram, newProgram))) {
          same.count(action);
          oldProgram.endRun();
          newProgram.endRun();
          continue;
        }
        same.fold();
        wait = onPacket(runPacket(run, i, interfaces, firstPacketId + i), oldProgram.result(caplen, true), newProgram.result(caplen, true)) ?? wait;
      }
      same.fold();
      return wait;
    };
    const end = await forEachInput(source, inputOptions, (ev) => {
      if (ev.type === 'interface') {
        const iface = ev.iface;
        if (writer !== undefined) {
          const name = iface.name ?? `if${iface.interfaceId}`;
          oldIds[iface.interfaceId] = writer.addInterface({ linkType: iface.linkType, name: `${name}:${oldLabel}@old` });
          newIds[iface.interfaceId] = writer.addInterface({ linkType: iface.linkType, name: `${name}:${newLabel}@new` });
        }
        return undefined;
      }
      return onPacket(ev.packet, undefined, undefined);
    });
    if (end.truncated !== undefined) report.truncated = 1;
  } finally {
    report.interrupted = options.stopped?.() === true;
    report.elapsedMs = performance.now() - started;
    if (writer !== undefined) await writer.flush();
  }
  return report;
}
