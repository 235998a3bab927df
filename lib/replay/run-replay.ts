/**
 * The per-packet path of a plain replay (replay() without an entry capture, a filter or a packet
 * callback) over packet runs (packet-run.ts: pcap records, pcapng EPBs with their epb_queue). Each
 * run is copied into the VM store's host area in one piece (XdpProgram.stage); each frame then
 * moves into the packet page and, when its run has nothing but a verdict to report
 * (XdpProgram.plainRun()), its exit record is built in the other half of the host area and
 * counted by exit; the records built go to the writer in one copy. Copies within the store are
 * copyWithin(), a third of the cost of a copy between two buffers (a view plus set()). No
 * record, result or PacketOut object, no BigInt timestamp and no comment string per packet.
 *
 * Everything else takes the general path (`general`): frames shorter than 14 bytes, and runs
 * that faulted, printed, tail-called, redirected, set metadata, have fragments or returned an
 * action above 255 — with the result of the run already made, so nothing runs twice. Both paths
 * write the same bytes for the same run (the tests compare them).
 */
import { BlockType, EPB_FIXED_LENGTH, EpbFlags, EpbOption, OptionCode, VerdictType } from '../capture/constants.ts';
import { decimalDigits, writeDecimal } from '../capture/decimal.ts';
import type { PacketRun } from '../capture/packet-run.ts';
import type { BlockEncoder, PcapngWriter } from '../capture/pcapng-writer.ts';
import type { InterfaceRecord } from '../capture/types.ts';
import { ETH_HLEN, XdpAction } from '../xdp/constants.ts';
import type { XdpProgram, XdpResult } from '../xdp/xdp-program.ts';
import { actionName, commentHead, exitLabelAt } from './annotate.ts';
import { runPacket, runQueue, type InputPacket } from './input-packets.ts';
import type { ReplaySummary } from './summary.ts';

/** Packets that left at one exit with one verdict, counted until the next fold into the summary. */
interface ExitCount {
  action: number;
  label: string;
  /** commentHead(action, label). */
  head: Uint8Array;
  /**
   * head zero-padded to whole words, as host-order int32s: stored through an Int32Array of the
   * store they give back the same bytes (a set() per packet costs ~50 ns; Int32Array stores are
   * cheaper than DataView ones).
   */
  headWords: Int32Array;
  count: number;
}

/** Option bytes of a plain exit record besides its comment: verdict 16, flags 8, packet id 12, queue 8, end 4. */
const FIXED_OPTIONS = 16 + 8 + 12 + 8 + 4;
const TWO_32 = 4294967296;
/** Exit pcs and verdict origins are below 2^20 (a program has at most 1M instructions). */
const PC_SPAN = 1 << 20;

export interface RunReplayOptions {
  /** The writer and the output interface of exit records (undefined: count only). */
  writer: PcapngWriter | undefined;
  /** The output interface of an input interface's exit records, by stream-global id. */
  exitInterfaceId: (interfaceId: number) => number;
  actions: ReadonlySet<number> | undefined;
  ifindex: number | undefined;
  rxQueue: number | undefined;
  /** The general path for one packet; `result` is its run's outcome (undefined: not run yet). */
  general: (packet: InputPacket, result: XdpResult | undefined) => void | Promise<void>;
}

/**
 * Staged blocks go to the writer once they pass this: well below its batch (256 KiB in the CLI),
 * so they are appended to the batch in progress rather than making the writer allocate a
 * larger one; and with room for one more block (under 4 KiB) in XdpProgram.hostOut's 320 KiB.
 */
const FLUSH_BYTES = 32 * 1024;

export class RunReplay implements BlockEncoder {
  private readonly program: XdpProgram;
  private readonly summary: ReplaySummary;
  private readonly o: RunReplayOptions;
  private readonly exits = new Map<number, ExitCount>();
  /** The last exit counted: consecutive packets mostly share it. */
  private lastKey = -1;
  private last: ExitCount | undefined;
  /** Where exit records are built: the program's half of the host area (XdpProgram.hostOut). */
  private readonly outBase: number;
  /** The store as int32s. */
  private readonly i32: Int32Array;
  /** Exit records built at outBase … outBase + blockBytes and not yet handed to the writer (flush()). */
  blockBytes = 0;
  packets = 0;

  constructor(program: XdpProgram, summary: ReplaySummary, options: RunReplayOptions) {
    this.program = program;
    this.summary = summary;
    this.o = options;
    this.outBase = program.hostOut;
    this.i32 = new Int32Array(program.vm.mem.buffer);
  }

  /** Replay every packet of `run`; returns the writer's last backpressure promise, if any. */
  replay(run: PacketRun, interfaces: readonly InterfaceRecord[], firstPacketId: number): void | Promise<void> {
    const program = this.program, vm = program.vm, packet = vm.packet, L = vm.L, s = this.summary, o = this.o;
    const writer = o.writer, actions = o.actions;
    const { data: dataAt, caplen: caplens, origLen: origLens, tsHigh, tsLow, iface: ifaceIds } = run;
    // The whole run into the store at once: each frame is then copied into the packet page
    // within it (a lone packet larger than the host area takes the general path).
    const stagedAt = program.stage(run.bytes, run.from, run.to);
    const staged = stagedAt >= 0, toStage = stagedAt - run.from;
    let wait: void | Promise<void> = undefined;
    // The interface of the previous packet, mostly the same one.
    let ifaceId = -1, ifindex = 0, interfaceId = 0;
    for (let i = 0; i < run.count; i++) {
      const caplen = caplens[i]!, origLen = origLens[i]!, data = dataAt[i]!;
      const packetId = firstPacketId + i;
      if (caplen < ETH_HLEN || !staged) {
        wait = this.general(runPacket(run, i, interfaces, packetId), undefined) ?? wait;
        continue;
      }
      if (ifaceIds[i] !== ifaceId) {
        ifaceId = ifaceIds[i]!;
        ifindex = o.ifindex ?? ifaceId + 1;
        interfaceId = writer === undefined ? 0 : o.exitInterfaceId(ifaceId);
      }
      const queue = runQueue(run, i, o.rxQueue);
      const high = tsHigh[i]!, low = tsLow[i]!;
      vm.setTimestamp(high, low);
      program.runAt(data + toStage, caplen, ifindex, queue);
      const action = L[0]! >>> 0;
      if (action > 255 || !program.plainRun()) {
        wait = this.general(runPacket(run, i, interfaces, packetId), program.result(caplen, true)) ?? wait;
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
          const outLength = packet.dataEnd - packet.data, insns = vm.insns, digits = decimalDigits(insns);
          const length = EPB_FIXED_LENGTH + ((outLength + 3) & ~3) + FIXED_OPTIONS + 4 + ((exit.head.length + digits + 3) & ~3);
          if (this.blockBytes + length > FLUSH_BYTES) wait = this.flush() ?? wait;
          // A snapped input stays snapped by the same amount.
          const outOrig = origLen > caplen ? outLength + origLen - caplen : outLength;
          const flags = action === XdpAction.TX || action === XdpAction.REDIRECT ? EpbFlags.OUTBOUND : EpbFlags.INBOUND;
          this.encode(this.outBase + this.blockBytes, length, interfaceId, high, low, packet.data, outLength, outOrig, exit, insns, digits, flags, packetId, queue);
          this.blockBytes += length;
          this.packets++;
          s.recordsOut++;
        }
      }
      program.endRun();
    }
    this.fold();
    return this.flush() ?? wait;
  }

  /** The general path, after the exit records staged before it. */
  private general(packet: InputPacket, result: XdpResult | undefined): void | Promise<void> {
    const wait = this.flush();
    return this.o.general(packet, result) ?? wait;
  }

  /** Hand the staged blocks to the writer (encodeInto copies them into its batch). */
  private flush(): void | Promise<void> {
    if (this.blockBytes === 0) return undefined;
    const wait = this.o.writer!.writeBlocks(this);
    this.blockBytes = 0;
    this.packets = 0;
    return wait;
  }

  encodeInto(buf: Uint8Array, _view: DataView, at: number): void {
    buf.set(this.program.vm.mem.u8.subarray(this.outBase, this.outBase + this.blockBytes), at);
  }

  /**
   * Build one exit record of `length` bytes at `start` in the store, the frame copied from
   * `data`: the same bytes as PcapngWriter.writePacket(exitRecord(…)).
   */
  private encode(start: number, length: number, interfaceId: number, tsHigh: number, tsLow: number, data: number, outLength: number, origLen: number,
    exit: ExitCount, insns: number, digits: number, flags: number, packetId: number, queue: number): void {
    const u8 = this.program.vm.mem.u8, v = this.program.vm.mem.view, padded = (outLength + 3) & ~3;
    v.setUint32(start, BlockType.EPB, true);
    v.setUint32(start + 4, length, true);
    v.setUint32(start + 8, interfaceId, true);
    v.setUint32(start + 12, tsHigh, true);
    v.setUint32(start + 16, tsLow, true);
    v.setUint32(start + 20, outLength, true);
    v.setUint32(start + 24, origLen, true);
    // The padding is the tail of the data's last word: zero that word, then copy over it.
    if (padded !== outLength) v.setUint32(start + 24 + padded, 0, true);
    u8.copyWithin(start + 28, data, data + outLength);
    let at = start + 28 + padded;
    // epb_verdict: type, then the action as a u64; 9 bytes padded to 12.
    v.setUint32(at, EpbOption.VERDICT | (9 << 16), true);
    v.setUint32(at + 4, VerdictType.LINUX_EBPF_XDP | (exit.action << 8), true);
    v.setUint32(at + 8, 0, true);
    v.setUint32(at + 12, 0, true);
    at += 16;
    const n = exit.head.length + digits;
    v.setUint32(at, OptionCode.COMMENT | (n << 16), true);
    // Zero the comment's last word first (its padding), then write the text over it.
    v.setUint32(at + 4 + ((n - 1) & ~3), 0, true);
    // Blocks start on 4-byte boundaries (outBase is page-aligned), so the text does too.
    const words = exit.headWords, i32 = this.i32;
    for (let k = 0, w = (at + 4) >> 2; k < words.length; k++) i32[w + k] = words[k]!;
    writeDecimal(u8, at + 4 + exit.head.length, insns, digits);
    at += 4 + ((n + 3) & ~3);
    v.setUint32(at, EpbOption.FLAGS | (4 << 16), true);
    v.setUint32(at + 4, flags, true);
    v.setUint32(at + 8, EpbOption.PACKETID | (8 << 16), true);
    v.setUint32(at + 12, packetId >>> 0, true);
    v.setUint32(at + 16, packetId < TWO_32 ? 0 : Math.floor(packetId / TWO_32) >>> 0, true);
    v.setUint32(at + 20, EpbOption.QUEUE | (4 << 16), true);
    v.setUint32(at + 24, queue, true);
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
      const head = commentHead(action, label);
      const padded = new Uint8Array((head.length + 3) & ~3);
      padded.set(head);
      exit = { action, label, head, headWords: new Int32Array(padded.buffer), count: 0 };
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
}
