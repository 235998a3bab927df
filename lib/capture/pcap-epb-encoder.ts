/**
 * Classic pcap records → option-less EPBs in bulk, the re-encoding fast path of `xdpreplay cat`.
 *
 * A run of complete records (PcapStreamReader.takeRun) is copied into the writer's batch with
 * one copy, placed at the end of the room its EPBs will take. An EPB is longer than its record
 * (32 + padded caplen against 16 + caplen), so every record then lies at or after the place
 * its EPB goes: walking forward, each packet's bytes are moved down with copyWithin (no view
 * and no record object per packet) and the EPB header, padding and trailer are written around
 * them, never over a byte not yet read. Timestamps become nanoseconds (the writer's IDBs say
 * if_tsresol 9) with plain numbers, split into 32-bit halves exactly.
 *
 * The output is byte for byte what PcapngWriter.writePacket writes for the same records.
 */
import { BlockType, EPB_FIXED_LENGTH, PCAP_RECORD_HEADER_LENGTH } from './constants.ts';
import type { PcapRun } from './pcap-stream-reader.ts';
import type { BlockEncoder } from './pcapng-writer.ts';
import { NsHalves } from './ns-halves.ts';

/** Where the packet bytes start in an EPB. */
const EPB_DATA = 28;

export class PcapEpbEncoder implements BlockEncoder {
  private run: PcapRun | undefined;
  private interfaceId = 0;
  private readonly ts = new NsHalves();

  /** Encode `run` next, for output interface `interfaceId`. */
  use(run: PcapRun, interfaceId: number): this {
    this.run = run;
    this.interfaceId = interfaceId;
    return this;
  }

  get blockBytes(): number {
    return this.run?.epbBytes ?? 0;
  }

  get packets(): number {
    return this.run?.count ?? 0;
  }

  encodeInto(dst: Uint8Array, dv: DataView, at: number): void {
    const run = this.run;
    if (run === undefined) return;
    const inBytes = run.to - run.from;
    let src = at + run.epbBytes - inBytes;
    dst.set(run.bytes.subarray(run.from, run.to), src);
    const le = run.littleEndian, fracNs = run.fracNs, interfaceId = this.interfaceId, ts = this.ts;
    let o = at;
    for (let i = 0; i < run.count; i++) {
      const sec = dv.getUint32(src, le);
      const frac = dv.getUint32(src + 4, le);
      const caplen = dv.getUint32(src + 8, le);
      const origLen = dv.getUint32(src + 12, le);
      ts.set(sec, frac * fracNs);
      const data = src + PCAP_RECORD_HEADER_LENGTH;
      dst.copyWithin(o + EPB_DATA, data, data + caplen);
      const padded = (caplen + 3) & ~3;
      const length = EPB_FIXED_LENGTH + padded;
      dv.setUint32(o, BlockType.EPB, true);
      dv.setUint32(o + 4, length, true);
      dv.setUint32(o + 8, interfaceId, true);
      dv.setUint32(o + 12, ts.high, true);
      dv.setUint32(o + 16, ts.low, true);
      dv.setUint32(o + 20, caplen, true);
      dv.setUint32(o + 24, origLen, true);
      for (let z = o + EPB_DATA + caplen; z < o + EPB_DATA + padded; z++) dst[z] = 0;
      dv.setUint32(o + EPB_DATA + padded, length, true);
      src = data + caplen;
      o += length;
    }
  }
}
