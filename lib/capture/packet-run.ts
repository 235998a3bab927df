/**
 * A run of complete packets at the front of a stream reader's buffer, taken in one call
 * (PcapStreamReader / PcapngStreamReader.takeRun) and described field by field in typed arrays:
 * no record object, view or BigInt per packet. The bulk paths use it: `cat` re-encodes runs as
 * EPBs in place (run-epb-encoder.ts), a replay copies a run into the VM's store at once
 * (replay/run-replay.ts).
 *
 * The packets lie in bytes[from, to) in the file's own layout (pcap records, or pcapng EPBs),
 * in order and back to back. Valid until the reader's next append(); each
 * reader refills one run.
 */
import type { StreamBuffer } from './stream-buffer.ts';

export class PacketRun {
  /** What the packets were in the file. */
  source: 'pcap' | 'epb' = 'pcap';
  /** The reader's buffer. */
  bytes: Uint8Array = new Uint8Array(0);
  from = 0;
  to = 0;
  count = 0;
  /** What the packets take as option-less EPBs: Σ (32 + caplen padded to 4). */
  epbBytes = 0;
  /** Per packet i < count: index of its first data byte in `bytes`. */
  data = new Int32Array(0);
  caplen = new Int32Array(0);
  origLen = new Uint32Array(0);
  /** The timestamp in nanoseconds since the epoch, as the high and low halves of a u64. */
  tsHigh = new Uint32Array(0);
  tsLow = new Uint32Array(0);
  /** Stream-global interface id (a classic pcap has one, 0). */
  iface = new Int32Array(0);
  /** The EPB's epb_queue, or -1 without one. */
  queue = new Int32Array(0);
  /** Absolute input offset of the packet's record or block. */
  at = new Float64Array(0);

  /** Start refilling at the first unread byte of the reader's buffer. */
  begin(source: 'pcap' | 'epb', buf: StreamBuffer): void {
    this.source = source;
    this.bytes = buf.bytes;
    this.from = this.to = buf.start;
    this.count = 0;
    this.epbBytes = 0;
  }

  /** End the run at index `to` and consume it from the reader's buffer; undefined when it holds no packet. */
  close(buf: StreamBuffer, to: number): PacketRun | undefined {
    if (this.count === 0) return undefined;
    this.to = to;
    buf.consume(to - this.from);
    return this;
  }

  /** Append a packet (close() then sets `to`). */
  push(data: number, caplen: number, origLen: number, tsHigh: number, tsLow: number, iface: number, queue: number, at: number): void {
    const i = this.count;
    if (i === this.data.length) this.grow();
    this.data[i] = data;
    this.caplen[i] = caplen;
    this.origLen[i] = origLen;
    this.tsHigh[i] = tsHigh;
    this.tsLow[i] = tsLow;
    this.iface[i] = iface;
    this.queue[i] = queue;
    this.at[i] = at;
    this.epbBytes += 32 + ((caplen + 3) & ~3);
    this.count = i + 1;
  }

  /** The timestamp of packet i as a bigint (for the general paths, which take record objects). */
  tsNs(i: number): bigint {
    return (BigInt(this.tsHigh[i]!) << 32n) | BigInt(this.tsLow[i]!);
  }

  private grow(): void {
    const n = Math.max(64, this.data.length * 2);
    const grown = <T extends Int32Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.data = grown(this.data, (k) => new Int32Array(k));
    this.caplen = grown(this.caplen, (k) => new Int32Array(k));
    this.origLen = grown(this.origLen, (k) => new Uint32Array(k));
    this.tsHigh = grown(this.tsHigh, (k) => new Uint32Array(k));
    this.tsLow = grown(this.tsLow, (k) => new Uint32Array(k));
    this.iface = grown(this.iface, (k) => new Int32Array(k));
    this.queue = grown(this.queue, (k) => new Int32Array(k));
    this.at = grown(this.at, (k) => new Float64Array(k));
  }
}
