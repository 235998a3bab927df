/**
 * Packet runs → option-less EPBs in bulk, the re-encoding fast path of `xdpreplay cat`.
 *
 * A run (packet-run.ts: pcap records, or pcapng EPBs without options: cat keeps options, so it
 * takes no run of EPBs that have some) is copied into the
 * writer's batch with one copy, placed at the end of the room its EPBs will take. An EPB is at
 * least as long as the record it comes from (32 + padded caplen against 16 + caplen, or the same
 * block), so every packet then lies at or after the place its EPB goes: walking forward, each
 * packet's bytes are moved down with copyWithin (no view and no record object per packet) and
 * the EPB header, padding and trailer are written around them, never over a byte not yet read.
 * Interface ids are the run's stream-global ones (cat's output interfaces are numbered the same).
 *
 * The output is byte for byte what PcapngWriter.writePacket writes for the same records.
 */
import { BlockType, EPB_FIXED_LENGTH } from './constants.ts';
import type { PacketRun } from './packet-run.ts';
import type { BlockEncoder } from './pcapng-writer.ts';

/** Where the packet bytes start in an EPB. */
const EPB_DATA = 28;

export class RunEpbEncoder implements BlockEncoder {
  private run: PacketRun | undefined;

  /** Encode `run` next. */
  use(run: PacketRun): this {
    this.run = run;
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
    // Input index i of the run is at shift + i in dst.
    const shift = at + run.epbBytes - (run.to - run.from) - run.from;
    dst.set(run.bytes.subarray(run.from, run.to), run.from + shift);
    const { data, caplen: caplens, origLen, tsHigh, tsLow, iface } = run;
    let o = at;
    for (let i = 0; i < run.count; i++) {
      const caplen = caplens[i]!;
      const src = data[i]! + shift;
      dst.copyWithin(o + EPB_DATA, src, src + caplen);
      const padded = (caplen + 3) & ~3;
      const length = EPB_FIXED_LENGTH + padded;
      dv.setUint32(o, BlockType.EPB, true);
      dv.setUint32(o + 4, length, true);
      dv.setUint32(o + 8, iface[i]!, true);
      dv.setUint32(o + 12, tsHigh[i]!, true);
      dv.setUint32(o + 16, tsLow[i]!, true);
      dv.setUint32(o + 20, caplen, true);
      dv.setUint32(o + 24, origLen[i]!, true);
      for (let z = o + EPB_DATA + caplen; z < o + EPB_DATA + padded; z++) dst[z] = 0;
      dv.setUint32(o + EPB_DATA + padded, length, true);
      o += length;
    }
  }
}
