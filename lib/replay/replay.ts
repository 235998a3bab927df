import { PcapngWriter, type Sink } from '../capture/pcapng-writer.ts';
import type { InterfaceRecord, PacketRecord } from '../capture/types.ts';
import type { CbpfInsn } from '../filter/cbpf.ts';
import { runCbpf } from '../filter/cbpf.ts';
import type { XdpProgram, XdpResult } from '../xdp/xdp-program.ts';
import { entryRecord, exitRecord, type RecordContext } from './annotate.ts';
import { forEachInput, type ForEachInputOptions, type InputPacket } from './input-packets.ts';
import { HELPER_NAMES } from '../isa/helper-ids.ts';
import { RunReplay } from './run-replay.ts';
import { countHelpers, countResult, emptySummary, type ReplaySummary } from './summary.ts';

export type CapturePoint = 'entry' | 'exit' | 'both';

export interface ReplayOptions extends PipelineOptions {
  /** Label for output interface names: `<ifname>:<label>@exit`. Default: the program name. */
  label?: string;
  /** Which records to write (default 'exit', what xdpcap shows). */
  capture?: CapturePoint;
  /** Keep only packets whose verdict is in this set (default: all). */
  actions?: ReadonlySet<number>;
  /** Compiles the filter expression for a link type (cmd passes libpcap's compiler). */
  filter?: (linkType: number) => readonly CbpfInsn[];
  /** Which bytes the filter sees (default 'entry'). */
  filterOn?: 'entry' | 'exit';
  /** Override the ingress ifindex (default: stream interface id + 1, so a one-interface capture gets 1 like the kernel's test run). */
  ifindex?: number;
  /** Override the rx queue (default: epb_queue, else 0). */
  rxQueue?: number;
  /**
   * Called for each packet after it ran (text output, tracing). `selected` says whether it
   * passed selection. `packet` and `result.packet` are valid only during the call (copy what you keep).
   */
  onPacket?: (packet: InputPacket, result: XdpResult, selected: boolean) => void;
}

/** Settings shared by the pipelines that read a capture and may write one (replay, diff). */
export interface PipelineOptions {
  count?: number;
  maxCaplen?: number;
  userAppl?: string;
  comments?: readonly string[];
  snaplen?: number;
  batchBytes?: number;
  /** After each input chunk: bytes and packets read so far. */
  onBytes?: (bytesIn: number, packets: number) => void;
  stopped?: () => boolean;
}

/** The pcapng writer of a pipeline, or undefined when it writes nothing. */
export function openWriter(sink: Sink | undefined, o: PipelineOptions): PcapngWriter | undefined {
  if (sink === undefined) return undefined;
  return new PcapngWriter(sink, {
    ...(o.userAppl !== undefined ? { userAppl: o.userAppl } : {}),
    ...(o.comments !== undefined ? { comments: o.comments } : {}),
    ...(o.snaplen !== undefined ? { snaplen: o.snaplen } : {}),
    ...(o.batchBytes !== undefined ? { batchBytes: o.batchBytes } : {}),
  });
}

/** Input options of a pipeline: ends early when asked to stop or when the sink closed (EPIPE). */
export function pipelineInputOptions(sink: Sink | undefined, o: PipelineOptions): ForEachInputOptions {
  return {
    ...(o.count !== undefined ? { count: o.count } : {}),
    ...(o.maxCaplen !== undefined ? { maxCaplen: o.maxCaplen } : {}),
    ...(o.onBytes !== undefined ? { onBytes: o.onBytes } : {}),
    stopped: () => o.stopped?.() === true || (sink as { closed?: boolean } | undefined)?.closed === true,
  };
}

/** The context values a packet runs with. */
export function runContext(iface: InterfaceRecord, record: PacketRecord, options: Pick<ReplayOptions, 'ifindex' | 'rxQueue'>): { ifindex: number; rxQueue: number } {
  return { ifindex: options.ifindex ?? iface.interfaceId + 1, rxQueue: options.rxQueue ?? record.queue ?? 0 };
}

/**
 * Stream a capture through an XDP program and write the annotated pcapng to `sink` (or only
 * count, when `sink` is undefined). Map state carries over from packet to packet. Selection
 * (`actions`, `filter`) decides what is written, never what runs. Returns the summary; a
 * FormatError in the input is thrown after everything before it was written and flushed.
 */
export async function replay(program: XdpProgram, source: AsyncIterable<Uint8Array>, sink: Sink | undefined, options: ReplayOptions = {}): Promise<ReplaySummary> {
  const started = performance.now();
  const summary = emptySummary();
  const helpersBefore = program.vm.helperTotals.slice();
  const capture = options.capture ?? 'exit';
  const label = options.label ?? program.program.name;
  const writer = openWriter(sink, options);
  const entryIds: number[] = [];
  const exitIds: number[] = [];
  const filters = new Map<number, readonly CbpfInsn[]>();
  /** One packet, run here unless `ran` is its result already (the run path hands over what it cannot write itself). */
  const onPacket = (packet: InputPacket, ran: XdpResult | undefined): void | Promise<void> => {
    const { iface, record } = packet;
    const input = record.data;
    const ctx = runContext(iface, record, options);
    // borrow: the output frame is written (copied into the batch) before the next packet runs.
    const result = ran ?? program.run(input, { ifindex: ctx.ifindex, rxQueue: ctx.rxQueue, tsNs: record.tsNs, borrow: true });
    countResult(summary, result);
    const filter = filters.get(iface.linkType);
    const selected = (options.actions === undefined || (result.notRun === undefined && options.actions.has(result.action))) &&
      (filter === undefined || runCbpf(filter, options.filterOn === 'exit' && result.notRun === undefined ? result.packet : input, record.origLen) !== 0);
    options.onPacket?.(packet, result, selected);
    if (!selected) return undefined;
    summary.packetsSelected++;
    if (writer === undefined) return undefined;
    const rc: RecordContext = { interfaceId: 0, tsNs: record.tsNs, packetId: packet.packetId, queue: ctx.rxQueue };
    let wait: Promise<void> | undefined;
    if (capture !== 'exit') {
      rc.interfaceId = entryIds[iface.interfaceId]!;
      wait = writer.writePacket(entryRecord(input, record.origLen, rc)) ?? wait;
      summary.recordsOut++;
    }
    if (capture !== 'entry') {
      rc.interfaceId = exitIds[iface.interfaceId]!;
      wait = writer.writePacket(exitRecord(result, input, record.origLen, rc)) ?? wait;
      summary.recordsOut++;
    }
    return wait;
  };
  // Packets in runs (pcap records, pcapng EPBs), written without per-packet objects, when each
  // packet gets just its exit record (no entry record, filter or callback).
  const runs = capture === 'exit' && options.filter === undefined && options.onPacket === undefined
    ? new RunReplay(program, summary, {
      writer, exitInterfaceId: (id) => exitIds[id]!, actions: options.actions,
      ifindex: options.ifindex, rxQueue: options.rxQueue, general: onPacket,
    })
    : undefined;
  try {
    const inputOptions = pipelineInputOptions(sink, options);
    if (runs !== undefined) inputOptions.onRun = (run, interfaces, first) => runs.replay(run, interfaces, first);
    const end = await forEachInput(source, inputOptions, (ev) => {
      if (ev.type === 'interface') {
        const iface = ev.iface;
        const name = iface.name ?? `if${iface.interfaceId}`;
        if (options.filter !== undefined && !filters.has(iface.linkType)) filters.set(iface.linkType, options.filter(iface.linkType));
        if (writer !== undefined) {
          if (capture !== 'exit') entryIds[iface.interfaceId] = writer.addInterface({ linkType: iface.linkType, name: `${name}:${label}@entry` });
          if (capture !== 'entry') exitIds[iface.interfaceId] = writer.addInterface({ linkType: iface.linkType, name: `${name}:${label}@exit` });
        }
        return undefined;
      }
      return onPacket(ev.packet, undefined);
    });
    if (end.truncated !== undefined) summary.truncated = 1;
  } finally {
    countHelpers(summary, helpersBefore, program.vm.helperTotals, (id) => `bpf_${HELPER_NAMES[id] ?? `helper_${id}`}`);
    summary.interrupted = options.stopped?.() === true;
    summary.elapsedMs = performance.now() - started;
    if (writer !== undefined) await writer.flush();
  }
  return summary;
}
