import { UsageError } from '../errors.ts';
import { runCbpf, type CbpfInsn } from '../filter/cbpf.ts';
import { forEachInput } from '../replay/input-packets.ts';
import { runContext } from '../replay/replay.ts';
import type { TraceHook } from '../vm/vm.ts';
import type { XdpProgram, XdpResult } from '../xdp/xdp-program.ts';
import { Breakpoints, hitRecord, type BreakHit, type BreakSpec, type HitRecord } from './breakpoints.ts';
import { Tracer, type TraceEvent } from './tracer.ts';

/** Inclusive packet-id ranges (1-based); `to` Infinity for an open range `20-`. */
export type PacketRanges = { from: number; to: number }[];

/** Parse `--packet` values: `17`, `20-25`, `30-`, or comma lists of those. */
export function parsePacketRanges(values: readonly string[]): PacketRanges {
  const out: PacketRanges = [];
  for (const v of values) {
    for (const part of v.split(',')) {
      const m = /^\s*(\d+)\s*(?:-\s*(\d*)\s*)?$/.exec(part);
      const from = m === null ? NaN : Number(m[1]);
      const to = m === null ? NaN : m[2] === undefined ? from : m[2] === '' ? Infinity : Number(m[2]);
      if (!(from >= 1) || !(to >= from)) throw new UsageError(`--packet "${part}": expected a packet number (1-based), a range N-M with N ≤ M, or N-`);
      out.push({ from, to });
    }
  }
  return out;
}

export function inRanges(ranges: PacketRanges, id: number): boolean {
  for (const r of ranges) if (id >= r.from && id <= r.to) return true;
  return false;
}

export interface TraceRunOptions {
  /** Packets to trace; undefined (and no filter) = every packet. */
  packets?: PacketRanges;
  /** Select packets whose input bytes match this filter (cmd passes libpcap's compiler). */
  filter?: (linkType: number) => readonly CbpfInsn[];
  /** Emit the per-instruction trace of selected packets (default true). */
  instructions?: boolean;
  /** Emit `packet` / `exit` events around each selected packet (default: same as `instructions`). */
  packetEvents?: boolean;
  breaks?: readonly BreakSpec[];
  ifindex?: number;
  rxQueue?: number;
  maxCaplen?: number;
  /** Events in order: trace events, and `break` records (hitRecord) between them. */
  onEvent: (e: TraceEvent | BreakRecord) => void;
  /** Each selected packet's result, after its events. */
  onPacket?: (packetId: number, result: XdpResult) => void;
}

export type BreakRecord = HitRecord & { hit: BreakHit };

export interface TraceRunSummary {
  packets: number;
  selected: number;
}

/**
 * Replay `source` through `program`; packets that are not selected run without any hook
 * (so the selected ones see exactly the map state of a full replay), selected ones run
 * with the tracer and/or breakpoints installed. Stops after the last selected id when the
 * selection is by id only.
 */
export async function traceRun(program: XdpProgram, source: AsyncIterable<Uint8Array>, options: TraceRunOptions): Promise<TraceRunSummary> {
  const instructions = options.instructions !== false;
  const tracer = instructions || options.packetEvents === true ? new Tracer(program, options.onEvent) : undefined;
  const breaks = options.breaks !== undefined && options.breaks.length > 0 ? new Breakpoints(program, options.breaks) : undefined;
  const emitBreaks = (packetId: number): void => {
    if (breaks === undefined) return;
    for (const hit of breaks.take()) options.onEvent({ ...hitRecord(packetId, hit), hit });
  };
  let packetId = 0;
  let hook: TraceHook | undefined;
  if (instructions && tracer !== undefined && breaks !== undefined) {
    const t = tracer.hook, b = breaks.hook;
    hook = (pc, image, L, H) => { t(pc, image, L, H); b(pc, image, L, H); emitBreaks(packetId); };
  } else hook = instructions ? tracer?.hook : breaks?.hook;
  const ranges = options.packets;
  const last = ranges === undefined || options.filter !== undefined ? Infinity : Math.max(...ranges.map((r) => r.to));
  const filters = new Map<number, readonly CbpfInsn[]>();
  const summary: TraceRunSummary = { packets: 0, selected: 0 };
  await forEachInput(source, { ...(options.maxCaplen !== undefined ? { maxCaplen: options.maxCaplen } : {}), stopped: () => packetId >= last }, (ev) => {
    if (ev.type === 'interface') {
      const lt = ev.iface.linkType;
      if (options.filter !== undefined && !filters.has(lt)) filters.set(lt, options.filter(lt));
      return;
    }
    const { iface, record } = ev.packet;
    packetId = ev.packet.packetId;
    summary.packets++;
    const filter = filters.get(iface.linkType);
    const selected = (ranges === undefined || inRanges(ranges, packetId)) && (filter === undefined || runCbpf(filter, record.data, record.origLen) !== 0);
    const ctx = runContext(iface, record, options);
    if (!selected) {
      program.run(record.data, { ifindex: ctx.ifindex, rxQueue: ctx.rxQueue, tsNs: record.tsNs });
      return;
    }
    summary.selected++;
    tracer?.begin(packetId, record.data.length);
    program.trace = hook;
    let result: XdpResult;
    try {
      result = program.run(record.data, { ifindex: ctx.ifindex, rxQueue: ctx.rxQueue, tsNs: record.tsNs });
    } finally {
      program.trace = undefined;
    }
    emitBreaks(packetId);
    tracer?.end(result);
    options.onPacket?.(packetId, result);
  });
  return summary;
}
