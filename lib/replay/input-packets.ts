import { CaptureReader } from '../capture/read-capture.ts';
import type { PacketRun } from '../capture/packet-run.ts';
import type { CaptureReaderOptions, InterfaceRecord, PacketRecord } from '../capture/types.ts';
import { FormatError, UsageError } from '../errors.ts';

/** LINKTYPE_ETHERNET: the only link type an XDP program can be given. */
export const LINKTYPE_ETHERNET = 1;

/** One input packet, numbered as tshark's frame.number / `tcpdump -#` would number it. */
export interface InputPacket {
  /** 1-based ordinal over the whole input. */
  packetId: number;
  iface: InterfaceRecord;
  record: PacketRecord;
}

/**
 * Packet i of a run as the general paths take it (no copy: its data is a view of the reader's
 * buffer). Of the EPB's options it has only epb_queue, the one a replay or diff reads.
 */
export function runPacket(run: PacketRun, i: number, interfaces: readonly InterfaceRecord[], packetId: number): InputPacket {
  const iface = interfaces[run.iface[i]!]!;
  const data = run.data[i]!;
  const record: PacketRecord = {
    type: 'packet', interfaceId: iface.interfaceId, tsNs: run.tsNs(i), data: run.bytes.subarray(data, data + run.caplen[i]!),
    origLen: run.origLen[i]!, comments: [], flags: undefined, packetId: undefined, queue: run.queue[i]! >= 0 ? run.queue[i] : undefined, verdicts: [], source: run.source,
    byteOffset: run.at[i]!,
  };
  return { packetId, iface, record };
}

/** The rx queue packet i of a run runs with, as runContext() decides it: `override`, else its epb_queue, else 0. */
export function runQueue(run: PacketRun, i: number, override: number | undefined): number {
  return override ?? (run.queue[i]! >= 0 ? run.queue[i]! : 0);
}

export type InputEvent = { type: 'interface'; iface: InterfaceRecord } | { type: 'packet'; packet: InputPacket };

export interface InputEnd {
  /** A final record cut short at the end of the input (reported, not thrown). */
  truncated: FormatError | undefined;
  packets: number;
}

/**
 * Capture bytes → interfaces and numbered Ethernet packets (sans I/O: `append(chunk)`, then
 * `next()` until undefined). Non-Ethernet interfaces are refused: an XDP program only ever sees
 * Ethernet frames. Packet data is borrowed from the reader: valid until the next `append()`;
 * a packet event (and its InputPacket and record) is valid until the next `next()`.
 */
export class InputPacketReader {
  private readonly reader: CaptureReader;
  private readonly interfaces: InterfaceRecord[] = [];
  /** The packet event next() refills (no objects per packet; the record is borrowed anyway). */
  private packetEvent: { type: 'packet'; packet: InputPacket } | undefined;
  packets = 0;

  constructor(options: CaptureReaderOptions = {}) {
    this.reader = new CaptureReader({ ...options, data: 'borrow' });
  }

  get bytesIn(): number {
    return this.reader.bytesIn;
  }

  append(chunk: Uint8Array): void {
    this.reader.append(chunk);
  }

  next(): InputEvent | undefined {
    for (let r = this.reader.next(); r !== undefined; r = this.reader.next()) {
      if (r.type === 'interface') {
        if (r.linkType !== LINKTYPE_ETHERNET) {
          throw new UsageError(`input interface ${r.interfaceId}${r.name ? ` (${r.name})` : ''} has link type ${r.linkType}; XDP programs see Ethernet frames only (link type 1)`);
        }
        this.interfaces[r.interfaceId] = r;
        return { type: 'interface', iface: r };
      }
      if (r.type === 'packet') {
        const iface = this.interfaces[r.interfaceId];
        if (iface === undefined) throw new FormatError('pcapng', 'NO_INTERFACE', r.byteOffset, `packet refers to interface ${r.interfaceId}, which was not described`);
        const packetId = ++this.packets;
        const ev = this.packetEvent;
        if (ev === undefined) return (this.packetEvent = { type: 'packet', packet: { packetId, iface, record: r } });
        const packet = ev.packet;
        packet.packetId = packetId;
        packet.iface = iface;
        packet.record = r;
        return ev;
      }
    }
    return undefined;
  }

  /**
   * The bulk path (CaptureReader.takeRun, EPB options included: a replay uses only epb_queue):
   * the packets at the front of the buffer that need no record object, at most `maxCount`,
   * numbered from packets + 1. Undefined when the next thing
   * is something else: call next(). Their interfaces were all returned (and checked) by next()
   * before: `interfaces` has them by stream-global id.
   */
  takeRun(maxCount: number, maxEpbBytes: number): PacketRun | undefined {
    const run = this.reader.takeRun(maxCount, maxEpbBytes, true);
    if (run !== undefined) this.packets += run.count;
    return run;
  }

  /** The interfaces returned so far, by stream-global id. */
  get interfaceList(): readonly InterfaceRecord[] {
    return this.interfaces;
  }

  /** At end of input: a truncated final record, if any. */
  finish(): InputEnd {
    return { truncated: this.reader.finish(), packets: this.packets };
  }
}

export interface ForEachInputOptions extends CaptureReaderOptions {
  /** Stop after this many packets. */
  count?: number;
  /** Called after each chunk is consumed (progress bars). */
  onBytes?: (bytesIn: number, packets: number) => void;
  /** Checked after every packet (or run); true ends the input early. */
  stopped?: () => boolean;
  /**
   * Take packets in runs where the input allows (InputPacketReader.takeRun) instead of one packet
   * event each: called with each run, the interfaces by stream-global id and the packetId of the
   * run's first packet (the next ones follow in order).
   */
  onRun?: (run: PacketRun, interfaces: readonly InterfaceRecord[], firstPacketId: number) => void | Promise<void>;
}

/** The most output a run is taken for, as option-less EPBs: bounds what one onRun call queues. */
const RUN_EPB_BYTES = 256 * 1024;

/**
 * Drive `onEvent` over every interface and packet of a capture. The loop is synchronous within
 * a chunk; it awaits only what `onEvent` returns (a sink's backpressure), so a packet costs no
 * promise unless the output asks to wait. Returns how the input ended.
 */
export async function forEachInput(
  source: AsyncIterable<Uint8Array>,
  options: ForEachInputOptions,
  onEvent: (ev: InputEvent) => void | Promise<void>,
): Promise<InputEnd> {
  const input = new InputPacketReader(options);
  const limit = options.count ?? Infinity;
  if (limit <= 0) return { truncated: undefined, packets: 0 };
  const onRun = options.onRun;
  for await (const chunk of source) {
    input.append(chunk);
    for (;;) {
      const run = onRun === undefined ? undefined : input.takeRun(limit - input.packets, RUN_EPB_BYTES);
      if (run !== undefined) {
        const wait = onRun!(run, input.interfaceList, input.packets - run.count + 1);
        if (wait !== undefined) await wait;
        if (input.packets >= limit || options.stopped?.() === true) return { truncated: undefined, packets: input.packets };
        continue;
      }
      const ev = input.next();
      if (ev === undefined) break;
      const wait = onEvent(ev);
      if (wait !== undefined) await wait;
      if (ev.type === 'packet' && (input.packets >= limit || options.stopped?.() === true)) return { truncated: undefined, packets: input.packets };
    }
    options.onBytes?.(input.bytesIn, input.packets);
    if (options.stopped?.() === true) return { truncated: undefined, packets: input.packets };
  }
  return input.finish();
}
