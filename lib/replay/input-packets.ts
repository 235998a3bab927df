import { CaptureReader } from '../capture/read-capture.ts';
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

export type InputEvent = { type: 'interface'; iface: InterfaceRecord } | { type: 'packet'; packet: InputPacket };

export interface InputPacketsOptions extends CaptureReaderOptions {
  /** Stop after this many packets. */
  count?: number;
  /** Called after each chunk is consumed (progress bars). */
  onBytes?: (bytesIn: number) => void;
  /** Checked between chunks and packets; when it returns true the input ends early. */
  stopped?: () => boolean;
}

export interface InputEnd {
  /** A final record cut short at the end of the input (reported, not thrown). */
  truncated: FormatError | undefined;
  packets: number;
}

/**
 * Capture chunks → interfaces and numbered Ethernet packets, for the replay and diff
 * pipelines. Non-Ethernet interfaces are refused (an XDP program only ever sees Ethernet
 * frames). Packet data is borrowed from the reader: consume it before asking for the next event.
 */
export async function* inputPackets(source: AsyncIterable<Uint8Array>, options: InputPacketsOptions = {}): AsyncGenerator<InputEvent, InputEnd> {
  const reader = new CaptureReader({ ...options, data: 'borrow' });
  const interfaces: InterfaceRecord[] = [];
  const limit = options.count ?? Infinity;
  let packets = 0;
  if (limit <= 0) return { truncated: undefined, packets };
  for await (const chunk of source) {
    reader.append(chunk);
    for (let r = reader.next(); r !== undefined; r = reader.next()) {
      if (r.type === 'interface') {
        if (r.linkType !== LINKTYPE_ETHERNET) {
          throw new UsageError(`input interface ${r.interfaceId}${r.name ? ` (${r.name})` : ''} has link type ${r.linkType}; XDP programs see Ethernet frames only (link type 1)`);
        }
        interfaces[r.interfaceId] = r;
        yield { type: 'interface', iface: r };
      } else if (r.type === 'packet') {
        const iface = interfaces[r.interfaceId];
        if (iface === undefined) throw new FormatError('pcapng', 'NO_INTERFACE', r.byteOffset, `packet refers to interface ${r.interfaceId}, which was not described`);
        yield { type: 'packet', packet: { packetId: ++packets, iface, record: r } };
        if (packets >= limit || options.stopped?.()) return { truncated: undefined, packets };
      }
    }
    options.onBytes?.(reader.bytesIn);
    if (options.stopped?.()) return { truncated: undefined, packets };
  }
  return { truncated: reader.finish(), packets };
}
