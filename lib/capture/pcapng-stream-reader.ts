/**
 * Incremental pcapng reader (draft-ietf-opsawg-pcapng): `append(chunk)`, then `next()` until it
 * returns undefined (need more bytes), `finish()` at end of input.
 * Handles several sections in either byte order, IDB/EPB/SPB/ISB and the obsolete PB; every
 * other block becomes an `unknown` record. Interface ids in records are stream-global.
 */
import { FormatError } from '../errors.ts';
import {
  BLOCK_OVERHEAD, BYTE_ORDER_MAGIC, BYTE_ORDER_MAGIC_SWAPPED, BlockType, CaptureErrorCode, DEFAULT_MAX_BLOCK_LENGTH,
  DEFAULT_MAX_CAPLEN, DEFAULT_TSRESOL, EpbOption, IdbOption, IsbOption, OptionCode, PCAPNG_VERSION_MAJOR, PbOption, ShbOption,
} from './constants.ts';
import { optionI64, optionString, optionU32, optionU64, optionU8, optionVerdict, walkOptions, type OptionArea } from './pcapng-options.ts';
import { NsHalves } from './ns-halves.ts';
import { PacketRun } from './packet-run.ts';
import { StreamBuffer } from './stream-buffer.ts';
import { ticksToNs, timeScale, type TimeScale } from './timestamp.ts';
import type {
  CaptureReaderOptions, CaptureRecord, CaptureStreamReader, InterfaceRecord, PacketRecord, PacketSource, SectionRecord,
  StatsRecord, Verdict,
} from './types.ts';

const NONE: readonly never[] = Object.freeze([]);

interface Iface {
  readonly globalId: number;
  readonly snaplen: number;
  readonly scale: TimeScale;
  /** Nanoseconds per timestamp tick when takeRun() can convert without BigInt: 1000 (µs), 1 (ns); else 0. */
  readonly nsPerTick: number;
}

/** epbQueue(): options a run does not take. */
const NOT_IN_RUN = -2;

/**
 * The epb_queue of an EPB's options at [from, to), -1 without one, or NOT_IN_RUN when next()
 * would refuse them (an option past the block, or a flags, packet id, queue or verdict option of
 * the wrong length: the checks packet() makes through walkOptions and the option decoders) or
 * the queue is beyond the run's int32 (next() keeps it).
 */
function epbQueue(v: DataView, le: boolean, from: number, to: number): number {
  let queue = -1;
  for (let i = from; i + 4 <= to;) {
    const code = v.getUint16(i, le), length = v.getUint16(i + 2, le);
    if (code === OptionCode.ENDOFOPT) break;
    if (i + 4 + length > to) return NOT_IN_RUN;
    if (code === EpbOption.QUEUE || code === EpbOption.FLAGS) {
      if (length !== 4) return NOT_IN_RUN;
      if (code === EpbOption.QUEUE) queue = v.getUint32(i + 4, le);
    } else if ((code === EpbOption.PACKETID && length !== 8) || (code === EpbOption.VERDICT && length < 1)) return NOT_IN_RUN;
    i += 4 + length + ((4 - (length & 3)) & 3);
  }
  return queue > 0x7fffffff ? NOT_IN_RUN : queue;
}

export class PcapngStreamReader implements CaptureStreamReader {
  readonly format = 'pcapng' as const;
  private readonly buf = new StreamBuffer();
  private readonly maxCaplen: number;
  private readonly maxBlockLength: number;
  private readonly copy: boolean;
  private le = true;
  private sectionIndex = -1;
  private ifaces: Iface[] = [];
  private nextGlobalId = 0;
  /** The run takeRun() refills, and its timestamp arithmetic. */
  private readonly run = new PacketRun();
  private readonly ts = new NsHalves();

  constructor(options: CaptureReaderOptions = {}) {
    this.maxCaplen = options.maxCaplen ?? DEFAULT_MAX_CAPLEN;
    this.maxBlockLength = options.maxBlockLength ?? DEFAULT_MAX_BLOCK_LENGTH;
    this.copy = (options.data ?? 'copy') === 'copy';
  }

  get bytesIn(): number {
    return this.buf.bytesIn;
  }

  append(chunk: Uint8Array): void {
    this.buf.append(chunk);
  }

  next(): CaptureRecord | undefined {
    const b = this.buf;
    if (b.available < BLOCK_OVERHEAD) return undefined;
    const v = b.view;
    const p = b.start;
    const abs = b.position;
    const type = v.getUint32(p, this.le);
    if (type === BlockType.SHB) {
      const bom = v.getUint32(p + 8, true);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (bom === BYTE_ORDER_MAGIC_SWAPPED) this.le = false;
      else throw this.error(CaptureErrorCode.BAD_BYTE_ORDER_MAGIC, abs + 8, `expected byte-order magic 1a2b3c4d in either byte order, found ${hex32(bom)}`);
    } else if (this.sectionIndex < 0) {
      throw this.error(CaptureErrorCode.BAD_MAGIC, abs, `expected a Section Header Block (0a0d0d0a), found block type ${hex32(type)}`);
    }
    const le = this.le;
    const len = v.getUint32(p + 4, le);
    const minLen = type === BlockType.SHB ? 28 : BLOCK_OVERHEAD;
    if (len < minLen || (len & 3) !== 0) {
      throw this.error(CaptureErrorCode.BAD_BLOCK_LENGTH, abs + 4, `block ${hex32(type)}: expected a total length that is a multiple of 4 and at least ${minLen}, found ${len}`);
    }
    if (len > this.maxBlockLength) {
      throw this.error(CaptureErrorCode.BLOCK_TOO_LARGE, abs + 4, `block ${hex32(type)}: expected a total length of at most ${this.maxBlockLength}, found ${len}`);
    }
    if (b.available < len) return undefined;
    const trailer = v.getUint32(p + len - 4, le);
    if (trailer !== len) {
      throw this.error(CaptureErrorCode.TRAILER_MISMATCH, abs + len - 4, `block ${hex32(type)}: expected trailing length ${len}, found ${trailer}`);
    }
    let record: CaptureRecord;
    switch (type) {
      case BlockType.EPB: record = this.packet(p, len, abs, 'epb'); break;
      case BlockType.SPB: record = this.simplePacket(p, len, abs); break;
      case BlockType.PB: record = this.packet(p, len, abs, 'pb'); break;
      case BlockType.IDB: record = this.interface(p, len, abs); break;
      case BlockType.ISB: record = this.stats(p, len, abs); break;
      case BlockType.SHB: record = this.section(p, len, abs); break;
      default: record = { type: 'unknown', blockType: type, body: b.bytes.slice(p + 8, p + len - 4), byteOffset: abs };
    }
    b.consume(len);
    return record;
  }

  /**
   * CaptureStreamReader.takeRun: the EPBs at the front of the buffer whose interface has µs or ns
   * timestamps and no offset (what dumpcap and tcpdump write), without options unless
   * `withOptions`. The run stops at anything else, including a block next() would refuse,
   * which next() then reports.
   */
  takeRun(maxCount: number, maxEpbBytes: number, withOptions = false): PacketRun | undefined {
    if (this.sectionIndex < 0) return undefined;
    const b = this.buf;
    const v = b.view;
    const le = this.le;
    const end = b.end;
    const run = this.run;
    const ts = this.ts;
    run.begin('epb', b);
    let p = b.start;
    while (run.count < maxCount && p + 32 <= end && v.getUint32(p, le) === BlockType.EPB) {
      const len = v.getUint32(p + 4, le);
      const caplen = v.getUint32(p + 20, le);
      // Header + padded data + trailer (+ options when asked for), and a length next() accepts.
      const bare = 32 + ((caplen + 3) & ~3);
      if ((withOptions ? len < bare || (len & 3) !== 0 : len !== bare) || caplen > this.maxCaplen || len > this.maxBlockLength || p + len > end) break;
      if (v.getUint32(p + len - 4, le) !== len) break;
      const queue = len === bare ? -1 : epbQueue(v, le, p + bare - 4, p + len - 4);
      if (queue === NOT_IN_RUN) break;
      const iface = this.ifaces[v.getUint32(p + 8, le)];
      // The bound covers the blocks as they are (with options), which is what a replay stages.
      if (iface === undefined || iface.nsPerTick === 0 || (run.count > 0 && p + len - run.from > maxEpbBytes)) break;
      const high = v.getUint32(p + 12, le), low = v.getUint32(p + 16, le);
      if (iface.nsPerTick === 1) run.push(p + 28, caplen, v.getUint32(p + 24, le), high, low, iface.globalId, queue, b.base + p);
      else {
        if (high >= 0x200000) break; // over 2^53 µs (year 2255): the BigInt path
        const ticks = high * 4294967296 + low;
        let sec = Math.floor(ticks / 1e6), us = ticks - sec * 1e6;
        if (us < 0) { sec--; us += 1e6; } // the quotient rounded up
        ts.set(sec, us * 1000);
        run.push(p + 28, caplen, v.getUint32(p + 24, le), ts.high, ts.low, iface.globalId, queue, b.base + p);
      }
      p += len;
    }
    return run.close(b, p);
  }

  finish(): FormatError | undefined {
    const b = this.buf;
    if (b.available === 0) {
      if (b.bytesIn === 0) throw this.error(CaptureErrorCode.EMPTY, 0, 'expected a Section Header Block, found an empty input');
      return undefined;
    }
    const need = b.available >= 8 ? b.view.getUint32(b.start + 4, this.le) : BLOCK_OVERHEAD;
    const what = `expected ${need} bytes for the block here, found ${b.available} before the end of input`;
    if (this.sectionIndex < 0) throw this.error(CaptureErrorCode.SHORT_HEADER, b.position, what);
    return this.error(CaptureErrorCode.TRUNCATED, b.position, what);
  }

  private error(code: string, byteOffset: number, detail: string): FormatError {
    return new FormatError('pcapng', code, byteOffset, detail);
  }

  private area(): OptionArea {
    const b = this.buf;
    return { bytes: b.bytes, view: b.view, littleEndian: this.le, base: b.base };
  }

  private iface(sectionId: number, at: number): Iface {
    const iface = this.ifaces[sectionId];
    if (iface === undefined) {
      throw this.error(CaptureErrorCode.UNKNOWN_INTERFACE, this.buf.base + at,
        `expected an interface id below ${this.ifaces.length} (IDBs seen in this section), found ${sectionId}`);
    }
    return iface;
  }

  private section(p: number, len: number, abs: number): SectionRecord {
    const v = this.buf.view;
    const major = v.getUint16(p + 12, this.le);
    const minor = v.getUint16(p + 14, this.le);
    if (major !== PCAPNG_VERSION_MAJOR) {
      throw this.error(CaptureErrorCode.BAD_VERSION, abs + 12, `expected pcapng major version ${PCAPNG_VERSION_MAJOR}, found ${major}.${minor}`);
    }
    this.sectionIndex++;
    this.ifaces = [];
    const comments: string[] = [];
    let hardware: string | undefined;
    let os: string | undefined;
    let userAppl: string | undefined;
    const area = this.area();
    walkOptions(area, p + 24, p + len - 4, (code, at, n) => {
      if (code === OptionCode.COMMENT) comments.push(optionString(area, at, n));
      else if (code === ShbOption.HARDWARE) hardware = optionString(area, at, n);
      else if (code === ShbOption.OS) os = optionString(area, at, n);
      else if (code === ShbOption.USERAPPL) userAppl = optionString(area, at, n);
    });
    return {
      type: 'section', format: 'pcapng', sectionIndex: this.sectionIndex, littleEndian: this.le, versionMajor: major,
      versionMinor: minor, comments, hardware, os, userAppl, byteOffset: abs,
    };
  }

  private interface(p: number, len: number, abs: number): InterfaceRecord {
    if (len < 20) throw this.error(CaptureErrorCode.BAD_BLOCK_BODY, abs + 4, `IDB: expected a total length of at least 20, found ${len}`);
    const v = this.buf.view;
    const linkType = v.getUint16(p + 8, this.le);
    const snaplen = v.getUint32(p + 12, this.le);
    const comments: string[] = [];
    let name: string | undefined;
    let description: string | undefined;
    let tsresol = DEFAULT_TSRESOL;
    let tsoffset = 0n;
    const area = this.area();
    walkOptions(area, p + 16, p + len - 4, (code, at, n) => {
      if (code === OptionCode.COMMENT) comments.push(optionString(area, at, n));
      else if (code === IdbOption.NAME) name = optionString(area, at, n);
      else if (code === IdbOption.DESCRIPTION) description = optionString(area, at, n);
      else if (code === IdbOption.TSRESOL) tsresol = optionU8(area, code, at, n);
      else if (code === IdbOption.TSOFFSET) tsoffset = optionI64(area, code, at, n);
    });
    const interfaceId = this.nextGlobalId++;
    const sectionInterfaceId = this.ifaces.length;
    const nsPerTick = tsoffset !== 0n ? 0 : tsresol === 6 ? 1000 : tsresol === 9 ? 1 : 0;
    this.ifaces.push({ globalId: interfaceId, snaplen, scale: timeScale(tsresol, tsoffset), nsPerTick });
    return {
      type: 'interface', interfaceId, sectionInterfaceId, sectionIndex: this.sectionIndex, linkType, snaplen, name,
      description, tsresol, tsoffset, comments, byteOffset: abs,
    };
  }

  /** EPB (§4.3) and the obsolete PB (Appendix A): same layout but PB has a u16 interface id + u16 drops. */
  private packet(p: number, len: number, abs: number, source: PacketSource): PacketRecord {
    const name = source === 'epb' ? 'EPB' : 'PB';
    if (len < 32) throw this.error(CaptureErrorCode.BAD_BLOCK_BODY, abs + 4, `${name}: expected a total length of at least 32, found ${len}`);
    const v = this.buf.view;
    const le = this.le;
    const ifId = source === 'epb' ? v.getUint32(p + 8, le) : v.getUint16(p + 8, le);
    const caplen = v.getUint32(p + 20, le);
    if (caplen > this.maxCaplen) {
      throw this.error(CaptureErrorCode.CAPLEN_TOO_LARGE, abs + 20, `${name}: expected a captured length of at most ${this.maxCaplen}, found ${caplen}`);
    }
    const dataEnd = p + 28 + caplen;
    const optStart = dataEnd + ((4 - (caplen & 3)) & 3);
    if (optStart > p + len - 4) {
      throw this.error(CaptureErrorCode.CAPLEN_EXCEEDS_BLOCK, abs + 20, `${name}: expected a captured length of at most ${len - 32}, found ${caplen}`);
    }
    const iface = this.iface(ifId, p + 8);
    const tsNs = ticksToNs(iface.scale, v.getUint32(p + 12, le), v.getUint32(p + 16, le));
    const origLen = v.getUint32(p + 24, le);
    const bytes = this.buf.bytes;
    const data = this.copy ? bytes.slice(p + 28, dataEnd) : this.buf.borrow(p + 28, caplen);
    let comments: readonly string[] = NONE;
    let verdicts: readonly Verdict[] = NONE;
    let flags: number | undefined;
    let packetId: bigint | undefined;
    let queue: number | undefined;
    if (optStart < p + len - 4) {
      const area = this.area();
      const flagsCode = source === 'epb' ? EpbOption.FLAGS : PbOption.FLAGS;
      const isEpb = source === 'epb';
      walkOptions(area, optStart, p + len - 4, (code, at, n) => {
        if (code === OptionCode.COMMENT) comments = [...comments, optionString(area, at, n)];
        else if (code === flagsCode) flags = optionU32(area, code, at, n);
        else if (isEpb && code === EpbOption.PACKETID) packetId = optionU64(area, code, at, n);
        else if (isEpb && code === EpbOption.QUEUE) queue = optionU32(area, code, at, n);
        else if (isEpb && code === EpbOption.VERDICT) verdicts = [...verdicts, optionVerdict(area, code, at, n)];
      });
    }
    return {
      type: 'packet', interfaceId: iface.globalId, tsNs, data, origLen, comments, flags, packetId, queue, verdicts, source,
      byteOffset: abs,
    };
  }

  /** SPB (§4.4): no timestamp, no interface id (always interface 0), caplen = min(origLen, snaplen, room). */
  private simplePacket(p: number, len: number, abs: number): PacketRecord {
    if (len < 16) throw this.error(CaptureErrorCode.BAD_BLOCK_BODY, abs + 4, `SPB: expected a total length of at least 16, found ${len}`);
    const iface = this.iface(0, p + 8);
    const origLen = this.buf.view.getUint32(p + 8, this.le);
    let caplen = Math.min(origLen, len - 16);
    if (iface.snaplen !== 0) caplen = Math.min(caplen, iface.snaplen);
    if (caplen > this.maxCaplen) {
      throw this.error(CaptureErrorCode.CAPLEN_TOO_LARGE, abs + 8, `SPB: expected a captured length of at most ${this.maxCaplen}, found ${caplen}`);
    }
    const bytes = this.buf.bytes;
    const data = this.copy ? bytes.slice(p + 12, p + 12 + caplen) : this.buf.borrow(p + 12, caplen);
    return {
      type: 'packet', interfaceId: iface.globalId, tsNs: 0n, data, origLen, comments: NONE, flags: undefined,
      packetId: undefined, queue: undefined, verdicts: NONE, source: 'spb', byteOffset: abs,
    };
  }

  private stats(p: number, len: number, abs: number): StatsRecord {
    if (len < 24) throw this.error(CaptureErrorCode.BAD_BLOCK_BODY, abs + 4, `ISB: expected a total length of at least 24, found ${len}`);
    const v = this.buf.view;
    const iface = this.iface(v.getUint32(p + 8, this.le), p + 8);
    const tsNs = ticksToNs(iface.scale, v.getUint32(p + 12, this.le), v.getUint32(p + 16, this.le));
    const comments: string[] = [];
    let received: bigint | undefined;
    let dropped: bigint | undefined;
    const area = this.area();
    walkOptions(area, p + 20, p + len - 4, (code, at, n) => {
      if (code === OptionCode.COMMENT) comments.push(optionString(area, at, n));
      else if (code === IsbOption.IFRECV) received = optionU64(area, code, at, n);
      else if (code === IsbOption.IFDROP) dropped = optionU64(area, code, at, n);
    });
    return { type: 'stats', interfaceId: iface.globalId, tsNs, received, dropped, comments, byteOffset: abs };
  }
}

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}
