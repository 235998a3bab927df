/**
 * The per-packet path of a plain replay of a classic pcap (replay() without an entry capture, a
 * filter or a packet callback): each record of a run goes from the reader's buffer into the VM
 * and, when the run has nothing but a verdict to report (XdpProgram.plainRun()), its exit record
 * is encoded straight into the writer's batch and counted by exit. No record, result or
 * PacketOut object, no BigInt timestamp and no comment string per packet.
 *
 * Everything else takes the general path (`general`): frames shorter than 14 bytes, and runs
 * that faulted, printed, tail-called, redirected, set metadata, have fragments or returned an
 * action above 255 — with the result of the run already made, so nothing runs twice. Both paths
 * write the same bytes for the same run (the tests compare them).
 */
import { BlockType, EPB_FIXED_LENGTH, EpbFlags, EpbOption, OptionCode, PCAP_RECORD_HEADER_LENGTH, VerdictType } from '../capture/constants.ts';
import { decimalDigits, writeDecimal } from '../capture/decimal.ts';
import { NsHalves } from '../capture/ns-halves.ts';
import type { PcapRun } from '../capture/pcap-stream-reader.ts';
import type { BlockEncoder, PcapngWriter } from '../capture/pcapng-writer.ts';
import type { InterfaceRecord, PacketRecord } from '../capture/types.ts';
import { ETH_HLEN, XdpAction } from '../xdp/constants.ts';
import type { XdpProgram, XdpResult } from '../xdp/xdp-program.ts';
import { actionName, commentHead, exitLabelAt } from './annotate.ts';
import type { InputPacket } from './input-packets.ts';
import type { ReplaySummary } from './summary.ts';

/** Packets that left at one exit with one verdict, counted until the next fold into the summary. */
interface ExitCount {
  action: number;
  label: string;
  /** commentHead(action, label). */
  head: Uint8Array;
  count: number;
}

/** Option bytes of a plain exit record besides its comment: verdict 16, flags 8, packet id 12, queue 8, end 4. */
const FIXED_OPTIONS = 16 + 8 + 12 + 8 + 4;
const TWO_32 = 4294967296;
/** Exit pcs and verdict origins are below 2^20 (a program has at most 1M instructions). */
const PC_SPAN = 1 << 20;

export interface PcapRunReplayOptions {
  /** The writer and the output interface of exit records (undefined: count only). */
  writer: PcapngWriter | undefined;
  exitInterfaceId: (iface: InterfaceRecord) => number;
  actions: ReadonlySet<number> | undefined;
  ifindex: number | undefined;
  rxQueue: number | undefined;
  /** The general path for one packet; `result` is its run's outcome (undefined: not run yet). */
  general: (packet: InputPacket, result: XdpResult | undefined) => void | Promise<void>;
}

export class PcapRunReplay implements BlockEncoder {
  private readonly program: XdpProgram;
  private readonly summary: ReplaySummary;
  private readonly o: PcapRunReplayOptions;
  private readonly ts = new NsHalves();
  private readonly exits = new Map<number, ExitCount>();
  /** The last exit counted: consecutive packets mostly share it. */
  private lastKey = -1;
  private last: ExitCount | undefined;
  /** The packet being encoded (encodeInto): its block length, exit, output window, origLen, flags, id, queue. */
  blockBytes = 0;
  readonly packets = 1;
  private exit: ExitCount | undefined;
  private insns = 0;
  private digits = 0;
  private outStart = 0;
  private outLength = 0;
  private origLen = 0;
  private flags = 0;
  private packetId = 0;
  private queue = 0;
  private interfaceId = 0;

  constructor(program: XdpProgram, summary: ReplaySummary, options: PcapRunReplayOptions) {
    this.program = program;
    this.summary = summary;
    this.o = options;
  }

  /** Replay every record of `run`; returns the writer's last backpressure promise, if any. */
  replay(run: PcapRun, iface: InterfaceRecord, firstPacketId: number): void | Promise<void> {
    const program = this.program, vm = program.vm, packet = vm.packet, L = vm.L, s = this.summary, o = this.o;
    const writer = o.writer, actions = o.actions, dv = run.view, le = run.littleEndian, fracNs = run.fracNs;
    const ifindex = o.ifindex ?? iface.interfaceId + 1, queue = o.rxQueue ?? 0;
    this.interfaceId = writer === undefined ? 0 : o.exitInterfaceId(iface);
    let wait: void | Promise<void> = undefined;
    let at = run.from;
    for (let i = 0; i < run.count; i++) {
      const sec = dv.getUint32(at, le), frac = dv.getUint32(at + 4, le), caplen = dv.getUint32(at + 8, le), origLen = dv.getUint32(at + 12, le);
      const data = at + PCAP_RECORD_HEADER_LENGTH;
      at = data + caplen;
      const packetId = firstPacketId + i;
      if (caplen < ETH_HLEN) {
        wait = o.general(this.input(run, iface, data, caplen, origLen, sec, frac, packetId), undefined) ?? wait;
        continue;
      }
      vm.setTimestamp(sec, frac * fracNs);
      program.runFrom(run.buffer, data, caplen, ifindex, queue);
      const action = L[0]! >>> 0;
      if (action > 255 || !program.plainRun()) {
        wait = o.general(this.input(run, iface, data, caplen, origLen, sec, frac, packetId), program.result(caplen, true)) ?? wait;
        continue;
      }
      const exit = this.exitOf(action, vm.exitPc, program.verdictOrigin);
      exit.count++;
      s.packetsIn++;
      s.packetsRun++;
      s.insns += vm.insns;
      s.helperCalls += vm.helperCalls;
      if (actions === undefined || actions.has(action)) {
        s.packetsSelected++;
        if (writer !== undefined) {
          const outLength = packet.dataEnd - packet.data;
          const insns = vm.insns, digits = decimalDigits(insns);
          this.exit = exit;
          this.insns = insns;
          this.digits = digits;
          this.outStart = packet.data;
          this.outLength = outLength;
          // A snapped input stays snapped by the same amount.
          this.origLen = origLen > caplen ? outLength + origLen - caplen : outLength;
          this.flags = action === XdpAction.TX || action === XdpAction.REDIRECT ? EpbFlags.OUTBOUND : EpbFlags.INBOUND;
          this.packetId = packetId;
          this.queue = queue;
          this.ts.set(sec, frac * fracNs);
          this.blockBytes = EPB_FIXED_LENGTH + ((outLength + 3) & ~3) + FIXED_OPTIONS + 4 + ((exit.head.length + digits + 3) & ~3);
          wait = writer.writeBlocks(this) ?? wait;
          s.recordsOut++;
        }
      }
      program.endRun();
    }
    this.fold();
    return wait;
  }

  /** Write the current packet's exit record: the same bytes as PcapngWriter.writePacket(exitRecord(…)). */
  encodeInto(buf: Uint8Array, v: DataView, start: number): void {
    const length = this.blockBytes, outLength = this.outLength, padded = (outLength + 3) & ~3;
    v.setUint32(start, BlockType.EPB, true);
    v.setUint32(start + 4, length, true);
    v.setUint32(start + 8, this.interfaceId, true);
    v.setUint32(start + 12, this.ts.high, true);
    v.setUint32(start + 16, this.ts.low, true);
    v.setUint32(start + 20, outLength, true);
    v.setUint32(start + 24, this.origLen, true);
    // The padding is the tail of the data's last word: zero that word, then copy over it.
    if (padded !== outLength) v.setUint32(start + 24 + padded, 0, true);
    buf.set(this.program.vm.views.view(this.outStart, outLength), start + 28);
    let at = start + 28 + padded;
    const exit = this.exit!;
    // epb_verdict: type, then the action as a u64; 9 bytes padded to 12.
    v.setUint32(at, EpbOption.VERDICT | (9 << 16), true);
    v.setUint32(at + 4, VerdictType.LINUX_EBPF_XDP | (exit.action << 8), true);
    v.setUint32(at + 8, 0, true);
    v.setUint32(at + 12, 0, true);
    at += 16;
    const head = exit.head, n = head.length + this.digits;
    v.setUint32(at, OptionCode.COMMENT | (n << 16), true);
    // Zero the comment's last word first (its padding), then write the text over it.
    v.setUint32(at + 4 + ((n - 1) & ~3), 0, true);
    buf.set(head, at + 4);
    writeDecimal(buf, at + 4 + head.length, this.insns, this.digits);
    at += 4 + ((n + 3) & ~3);
    v.setUint32(at, EpbOption.FLAGS | (4 << 16), true);
    v.setUint32(at + 4, this.flags, true);
    v.setUint32(at + 8, EpbOption.PACKETID | (8 << 16), true);
    const id = this.packetId;
    v.setUint32(at + 12, id >>> 0, true);
    v.setUint32(at + 16, id < TWO_32 ? 0 : Math.floor(id / TWO_32) >>> 0, true);
    v.setUint32(at + 20, EpbOption.QUEUE | (4 << 16), true);
    v.setUint32(at + 24, this.queue, true);
    v.setUint32(at + 28, OptionCode.ENDOFOPT, true);
    v.setUint32(at + 32, length, true);
  }

  /** The count of packets with this verdict, exit pc and verdict origin (all from the entry program). */
  private exitOf(action: number, exitPc: number, origin: number): ExitCount {
    const key = (exitPc * PC_SPAN + origin + 1) * 256 + action;
    if (key === this.lastKey) return this.last!;
    let exit = this.exits.get(key);
    if (exit === undefined) {
      const image = this.program.image;
      const line = image.lines[exitPc];
      const label = exitLabelAt(line, origin >= 0 ? image.lines[origin] : undefined, image.name, exitPc);
      exit = { action, label, head: commentHead(action, label), count: 0 };
      this.exits.set(key, exit);
    }
    this.lastKey = key;
    this.last = exit;
    return exit;
  }

  /** Add the counts by exit to the summary (as countResult() does per packet). */
  private fold(): void {
    const s = this.summary;
    for (const exit of this.exits.values()) {
      if (exit.count === 0) continue;
      const name = actionName(exit.action);
      s.verdicts[name] = (s.verdicts[name] ?? 0) + exit.count;
      const lines = (s.exitLines[name] ??= {});
      lines[exit.label] = (lines[exit.label] ?? 0) + exit.count;
      exit.count = 0;
    }
  }

  /** The general path's view of one record (a copy of nothing: data is a view of the reader's buffer). */
  private input(run: PcapRun, iface: InterfaceRecord, data: number, caplen: number, origLen: number, sec: number, frac: number, packetId: number): InputPacket {
    const record: PacketRecord = {
      type: 'packet', interfaceId: iface.interfaceId, tsNs: BigInt(sec) * 1_000_000_000n + BigInt(frac * run.fracNs),
      data: new Uint8Array(run.buffer, data, caplen), origLen, comments: [], flags: undefined, packetId: undefined,
      queue: undefined, verdicts: [], source: 'pcap', byteOffset: run.byteOffset + data - PCAP_RECORD_HEADER_LENGTH - run.from,
    };
    return { packetId, iface, record };
  }
}
