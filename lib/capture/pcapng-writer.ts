/**
 * pcapng writer: one little-endian section (SHB), IDBs that all share one link type and one
 * snaplen (libpcap refuses files whose interfaces differ in either), EPBs with options in the
 * order epb_verdict, opt_comment, epb_flags, epb_packetid, epb_queue.
 *
 * Blocks are assembled in a batch buffer and handed to the sink whole, `batchBytes` at a time
 * (a block never straddles two writes). The sink takes ownership of each buffer it is given.
 * Backpressure: `writePacket()`/`flush()` return the sink's promise when the sink returned one;
 * the caller awaits it (`const p = w.writePacket(x); if (p) await p;`).
 */
import { decimalDigits, writeDecimal } from './decimal.ts';
import { XdpReplayError } from '../errors.ts';
import {
  BYTE_ORDER_MAGIC, BlockType, DEFAULT_MAX_CAPLEN, EPB_FIXED_LENGTH, EpbOption, IdbOption, OptionCode, PCAPNG_VERSION_MAJOR,
  PCAPNG_VERSION_MINOR, ShbOption, TSRESOL_NSEC, VerdictType,
} from './constants.ts';

/** Where the writer's bytes go; lib code never touches files or streams itself. */
export interface Sink {
  /** Take ownership of `bytes` (whole blocks). A returned promise asks the caller to wait. */
  write(bytes: Uint8Array): void | Promise<void>;
  /**
   * True when write() has fully consumed `bytes` by the time it returns without a promise
   * (e.g. a synchronous file write): the writer then reuses its batch buffer.
   */
  readonly consumesSynchronously?: boolean;
  /**
   * A buffer of at least `minBytes` whose earlier write has completed, for the writer's next
   * batch (a sink that writes in the background recycles the writer's buffers instead of
   * letting one batch per write wait for the garbage collector). Given to sinks by writers
   * that own the whole ArrayBuffer of every batch they write, as PcapngWriter does.
   */
  spare?(minBytes: number): Uint8Array | undefined;
}

export interface PcapngWriterOptions {
  /** shb_userappl, e.g. "xdpreplay 0.1.0". */
  userAppl?: string;
  /** SHB opt_comment lines. */
  comments?: readonly string[];
  /** snaplen written in every IDB (default 262144). */
  snaplen?: number;
  /** Size of the batch handed to the sink (default 64 KiB). */
  batchBytes?: number;
}

export interface InterfaceOut {
  linkType: number;
  /** if_name, e.g. "eth0:fw@exit". */
  name?: string | undefined;
  /** if_description. */
  description?: string | undefined;
  comments?: readonly string[] | undefined;
}

/** An epb_verdict to write: type 2 (XDP) / 1 (TC) with `action` (wins over `data`), or raw `data` for other types. */
export interface VerdictOut {
  type: number;
  action?: bigint | undefined;
  /**
   * `action` as two u32 halves, precomputed by xdpVerdict(): a verdict made once and reused is
   * then written with two word stores, without BigInt work or a copy per packet. Must encode
   * `action` when given (both or neither).
   */
  actionLow?: number | undefined;
  actionHigh?: number | undefined;
  data?: Uint8Array | undefined;
}

/**
 * A comment made of `head` (UTF-8, e.g. `XDP_PASS fw.c:42 insns=`) and the decimal digits of
 * `value`, a non-negative integer below 2^53: the per-packet comment of a replay is written
 * with one copy and a few digit stores, no string built or encoded per packet.
 */
export interface NumberedComment {
  head: Uint8Array;
  value: number;
}

/** The most digits a NumberedComment value has (2^53 − 1 has 16). */
const MAX_DIGITS = 16;

export interface PacketOut {
  /** The id returned by addInterface(). */
  interfaceId: number;
  tsNs: bigint;
  data: Uint8Array;
  /** Defaults to data.length. */
  origLen?: number | undefined;
  verdicts?: readonly VerdictOut[] | undefined;
  /**
   * opt_comment texts; a Uint8Array is a comment already encoded as UTF-8 (copied as it is), a
   * NumberedComment cached UTF-8 bytes followed by a number's digits.
   */
  comments?: readonly (string | Uint8Array | NumberedComment)[] | undefined;
  flags?: number | undefined;
  /** epb_packetid; a number is taken as an unsigned integer below 2^53 (no BigInt per packet). */
  packetId?: bigint | number | undefined;
  queue?: number | undefined;
}

/** Blocks built in place in the writer's batch (writeBlocks), e.g. RunEpbEncoder's EPBs. */
export interface BlockEncoder {
  /** Bytes the blocks take (whole blocks, a multiple of 4). */
  readonly blockBytes: number;
  /** EPBs among them. */
  readonly packets: number;
  /** Write exactly blockBytes bytes at buf[at…]; `view` is a DataView of buf (same offsets). */
  encodeInto(buf: Uint8Array, view: DataView, at: number): void;
}

const utf8 = new TextEncoder();
const DEFAULT_BATCH = 64 * 1024;

/** An epb_verdict for an XDP action (e.g. XdpAction.DROP = 1). */
export function xdpVerdict(action: number | bigint): VerdictOut {
  const value = BigInt.asUintN(64, BigInt(action));
  return { type: VerdictType.LINUX_EBPF_XDP, action: value, actionLow: Number(value & 0xffffffffn), actionHigh: Number(value >> 32n) };
}

export class PcapngWriter {
  private readonly sink: Sink;
  private readonly batchBytes: number;
  private readonly snaplen: number;
  private buf: Uint8Array;
  private view: DataView;
  /** The batch as a Buffer (same memory) for encoding comments in place. */
  private bytes: Buffer;
  private len = 0;
  private linkType: number | undefined;
  private interfaces = 0;
  /** Packets written so far. */
  packets = 0;

  constructor(sink: Sink, options: PcapngWriterOptions = {}) {
    this.sink = sink;
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH;
    this.snaplen = options.snaplen ?? DEFAULT_MAX_CAPLEN;
    this.buf = new Uint8Array(this.batchBytes);
    this.view = new DataView(this.buf.buffer);
    this.bytes = Buffer.from(this.buf.buffer);
    this.sectionHeader(options);
  }

  get interfaceCount(): number {
    return this.interfaces;
  }

  /** Write an IDB; returns its interface id. All interfaces must share one link type. */
  addInterface(iface: InterfaceOut): number {
    if (this.linkType === undefined) this.linkType = iface.linkType;
    else if (iface.linkType !== this.linkType) {
      throw new XdpReplayError('MIXED_LINK_TYPES',
        `pcapng writer: interface ${this.interfaces} has link type ${iface.linkType}, the first interface ${this.linkType}; tcpdump cannot read such a file`);
    }
    const opts: [number, Uint8Array][] = [];
    for (const c of iface.comments ?? []) opts.push([OptionCode.COMMENT, utf8.encode(c)]);
    if (iface.name !== undefined) opts.push([IdbOption.NAME, utf8.encode(iface.name)]);
    if (iface.description !== undefined) opts.push([IdbOption.DESCRIPTION, utf8.encode(iface.description)]);
    opts.push([IdbOption.TSRESOL, Uint8Array.of(TSRESOL_NSEC)]);
    const total = 16 + optionsLength(opts) + 4;
    let at = this.begin(BlockType.IDB, total);
    const v = this.view;
    v.setUint16(at, iface.linkType, true);
    v.setUint16(at + 2, 0, true);
    v.setUint32(at + 4, this.snaplen, true);
    at = this.putOptions(at + 8, opts);
    this.end(at, total);
    return this.interfaces++;
  }

  /** Append one EPB. Returns the sink's promise when a batch was handed over and the sink asked to wait. */
  writePacket(p: PacketOut): void | Promise<void> {
    if (p.interfaceId >= this.interfaces || p.interfaceId < 0) {
      throw new XdpReplayError('UNKNOWN_INTERFACE', `pcapng writer: packet for interface ${p.interfaceId}, but only ${this.interfaces} were added`);
    }
    const data = p.data;
    const caplen = data.length;
    const padded = (caplen + 3) & ~3;
    const verdicts = p.verdicts;
    const comments = p.comments;
    let optLen = 0;
    const nVerdicts = verdicts === undefined ? 0 : verdicts.length;
    for (let i = 0; i < nVerdicts; i++) optLen += 4 + pad4(1 + verdictDataLength(verdicts![i]!));
    // Comments are encoded straight into the batch below (no per-packet buffers, one pass over
    // each string): room is reserved for the worst case (3 UTF-8 bytes per UTF-16 unit) and the
    // block length is fixed up once the real lengths are known.
    const nComments = comments === undefined ? 0 : comments.length;
    for (let i = 0; i < nComments; i++) {
      const c = comments![i]!;
      optLen += 4 + pad4(typeof c === 'string' ? c.length * 3 : c instanceof Uint8Array ? c.length : c.head.length + MAX_DIGITS);
    }
    if (p.flags !== undefined) optLen += 8;
    if (p.packetId !== undefined) optLen += 12;
    if (p.queue !== undefined) optLen += 8;
    if (optLen > 0) optLen += 4; // opt_endofopt
    const bound = EPB_FIXED_LENGTH + padded + optLen; // ≥ the block's length (comments at their worst case)
    const wait = this.len + bound > this.buf.length ? this.handOver(bound) : undefined;
    const buf = this.buf;
    const v = this.view;
    let at = this.len;
    const ts = p.tsNs;
    v.setUint32(at, BlockType.EPB, true);
    v.setUint32(at + 8, p.interfaceId, true);
    // Timestamp high word first, then low word (§4.3): write the u64 little-endian, then swap
    // the halves — no BigInt arithmetic (and no allocation) on the hot path.
    v.setBigUint64(at + 12, ts, true);
    const lo = v.getUint32(at + 12, true);
    v.setUint32(at + 12, v.getUint32(at + 16, true), true);
    v.setUint32(at + 16, lo, true);
    v.setUint32(at + 20, caplen, true);
    v.setUint32(at + 24, p.origLen ?? caplen, true);
    // The padding is the tail of the data's last word: zero that word, then copy over it.
    if (padded !== caplen) v.setUint32(at + 24 + padded, 0, true);
    buf.set(data, at + 28);
    at += 28 + padded;
    if (optLen > 0) {
      if (nVerdicts > 0) {
        for (let i = 0; i < nVerdicts; i++) {
          const vd = verdicts![i]!;
          const n = 1 + verdictDataLength(vd);
          at = this.optionHeader(at, EpbOption.VERDICT, n);
          buf[at] = vd.type;
          const low = vd.actionLow, action = vd.action;
          if (action !== undefined && low !== undefined) {
            v.setUint32(at + 1, low, true);
            v.setUint32(at + 5, vd.actionHigh!, true);
          } else if (action !== undefined) v.setBigUint64(at + 1, BigInt.asUintN(64, action), true);
          else if (vd.data !== undefined) buf.set(vd.data, at + 1);
          at = this.zeroPad(at + n);
        }
      }
      for (let i = 0; i < nComments; i++) {
        const c = comments![i]!;
        let n: number;
        if (typeof c === 'string') n = this.bytes.write(c, at + 4, 'utf8');
        else if (c instanceof Uint8Array) {
          n = c.length;
          buf.set(c, at + 4);
        } else n = this.numberedComment(c, at + 4);
        if (n > 0xffff) throw new XdpReplayError('OPTION_TOO_LONG', `pcapng writer: comment of ${n} UTF-8 bytes exceeds the 65535-byte option limit`);
        this.optionHeader(at, OptionCode.COMMENT, n);
        at = this.zeroPad(at + 4 + n);
      }
      if (p.flags !== undefined) {
        at = this.optionHeader(at, EpbOption.FLAGS, 4);
        v.setUint32(at, p.flags, true);
        at += 4;
      }
      if (p.packetId !== undefined) {
        at = this.optionHeader(at, EpbOption.PACKETID, 8);
        const id = p.packetId;
        if (typeof id === 'number') {
          v.setUint32(at, id >>> 0, true);
          v.setUint32(at + 4, id < 4294967296 ? 0 : Math.floor(id / 4294967296) >>> 0, true);
        } else v.setBigUint64(at, BigInt.asUintN(64, id), true);
        at += 8;
      }
      if (p.queue !== undefined) {
        at = this.optionHeader(at, EpbOption.QUEUE, 4);
        v.setUint32(at, p.queue, true);
        at += 4;
      }
      at = this.optionHeader(at, OptionCode.ENDOFOPT, 0);
    }
    const length = at + 4 - this.len;
    v.setUint32(this.len + 4, length, true);
    v.setUint32(at, length, true);
    this.len = at + 4;
    this.packets++;
    return wait;
  }

  /**
   * Append the blocks `encoder` builds in place (the bulk path: no PacketOut per packet). The
   * encoder's EPBs must name interfaces added here. Returns the sink's promise as writePacket() does.
   */
  writeBlocks(encoder: BlockEncoder): void | Promise<void> {
    const bytes = encoder.blockBytes;
    if (encoder.packets > 0 && this.interfaces === 0) {
      throw new XdpReplayError('UNKNOWN_INTERFACE', 'pcapng writer: packets written before any interface was added');
    }
    const wait = this.len + bytes > this.buf.length ? this.handOver(bytes) : undefined;
    encoder.encodeInto(this.buf, this.view, this.len);
    this.len += bytes;
    this.packets += encoder.packets;
    return wait;
  }

  /** Hand every complete block written so far to the sink. */
  flush(): void | Promise<void> {
    if (this.len === 0) return undefined;
    return this.handOver(0);
  }

  private handOver(need: number): void | Promise<void> {
    const full = this.buf.subarray(0, this.len);
    this.len = 0;
    const wait = full.length > 0 ? this.sink.write(full) : undefined;
    const reuse = wait === undefined && this.sink.consumesSynchronously === true && need <= this.buf.length;
    if (!reuse) {
      // Every byte of a block is written explicitly (padding included), so the batch needs no
      // zero fill: allocUnsafeSlow (unpooled, its own ArrayBuffer) costs ~1 µs, a zeroed 256 KiB ~20 µs.
      const size = Math.max(this.batchBytes, need);
      // Always a plain Uint8Array (never a Buffer): one element kind keeps the per-byte stores
      // of writePacket monomorphic.
      const next = this.sink.spare?.(size) ?? new Uint8Array(Buffer.allocUnsafeSlow(size).buffer);
      this.buf = next;
      this.view = new DataView(next.buffer);
      this.bytes = Buffer.from(next.buffer);
    }
    return wait;
  }

  private sectionHeader(options: PcapngWriterOptions): void {
    const opts: [number, Uint8Array][] = [];
    for (const c of options.comments ?? []) opts.push([OptionCode.COMMENT, utf8.encode(c)]);
    if (options.userAppl !== undefined) opts.push([ShbOption.USERAPPL, utf8.encode(options.userAppl)]);
    const total = 24 + optionsLength(opts) + 4;
    let at = this.begin(BlockType.SHB, total);
    const v = this.view;
    v.setUint32(at, BYTE_ORDER_MAGIC, true);
    v.setUint16(at + 4, PCAPNG_VERSION_MAJOR, true);
    v.setUint16(at + 6, PCAPNG_VERSION_MINOR, true);
    v.setBigInt64(at + 8, -1n, true); // section length not specified
    at = this.putOptions(at + 16, opts);
    this.end(at, total);
  }

  /** Reserve `total` bytes, write type + length; returns where the body starts. Non-packet blocks are rare: no backpressure here. */
  private begin(type: number, total: number): number {
    if (this.len + total > this.buf.length) void this.handOver(total);
    this.view.setUint32(this.len, type, true);
    this.view.setUint32(this.len + 4, total, true);
    return this.len + 8;
  }

  private end(at: number, total: number): void {
    this.view.setUint32(at, total, true);
    this.len = at + 4;
  }

  private putOptions(at: number, opts: readonly [number, Uint8Array][]): number {
    if (opts.length === 0) return at;
    for (const [code, value] of opts) {
      at = this.optionHeader(at, code, value.length);
      this.buf.set(value, at);
      at = this.zeroPad(at + value.length);
    }
    return this.optionHeader(at, OptionCode.ENDOFOPT, 0);
  }

  private optionHeader(at: number, code: number, length: number): number {
    this.view.setUint32(at, code | (length << 16), true);
    return at + 4;
  }

  /** Write a NumberedComment at `at`; returns its length in bytes. */
  private numberedComment(c: NumberedComment, at: number): number {
    const head = c.head;
    this.buf.set(head, at);
    return head.length + writeDecimal(this.buf, at + head.length, c.value, decimalDigits(c.value));
  }

  private zeroPad(at: number): number {
    for (; (at & 3) !== 0; at++) this.buf[at] = 0;
    return at;
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** eBPF verdicts carry a u64 action (written little-endian); other types their raw data. */
function verdictDataLength(v: VerdictOut): number {
  return v.action !== undefined ? 8 : (v.data?.length ?? 0);
}

function optionsLength(opts: readonly [number, Uint8Array][]): number {
  if (opts.length === 0) return 0;
  let n = 4;
  for (const [, value] of opts) n += 4 + pad4(value.length);
  return n;
}
