/**
 * Incremental classic pcap reader (draft-ietf-opsawg-pcap §4, §5): all four magics (µs/ns,
 * either byte order). Emits one `section` and one `interface` record (id 0) from the file
 * header, then one `packet` per record.
 */
import { FormatError } from '../errors.ts';
import {
  CaptureErrorCode, DEFAULT_MAX_CAPLEN, EPB_FIXED_LENGTH, PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH, PCAP_VERSION_MAJOR, PcapMagic,
  TSRESOL_NSEC,
} from './constants.ts';
import { NsHalves } from './ns-halves.ts';
import { PacketRun } from './packet-run.ts';
import { StreamBuffer } from './stream-buffer.ts';
import type { CaptureReaderOptions, CaptureRecord, CaptureStreamReader, InterfaceRecord, PacketRecord } from './types.ts';

const NONE: readonly never[] = Object.freeze([]);
const NS_PER_S = 1_000_000_000n;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NO_BYTES = new Uint8Array(0);

function packetRecord(tsNs: bigint, data: Uint8Array, origLen: number, byteOffset: number): Mutable<PacketRecord> {
  return {
    type: 'packet', interfaceId: 0, tsNs, data, origLen, comments: NONE, flags: undefined, packetId: undefined,
    queue: undefined, verdicts: NONE, source: 'pcap', byteOffset,
  };
}

export class PcapStreamReader implements CaptureStreamReader {
  readonly format = 'pcap' as const;
  private readonly buf = new StreamBuffer();
  private readonly maxCaplen: number;
  private readonly copy: boolean;
  private le = true;
  /** ns per timestamp fraction unit: 1000 (µs) or 1 (ns). */
  private fracNs = 1000;
  private pendingInterface: InterfaceRecord | undefined;
  private headerDone = false;
  private lastSec = 0;
  private lastSecNs = 0n;
  /** Borrow mode: the packet record next() refills and returns (valid until the next call). */
  private readonly reused: Mutable<PacketRecord> | undefined;
  /** The run takeRun() refills, and its timestamp arithmetic. */
  private readonly run = new PacketRun();
  private readonly ts = new NsHalves();

  constructor(options: CaptureReaderOptions = {}) {
    this.maxCaplen = options.maxCaplen ?? DEFAULT_MAX_CAPLEN;
    this.copy = (options.data ?? 'copy') === 'copy';
    this.reused = this.copy ? undefined : packetRecord(0n, NO_BYTES, 0, 0);
  }

  get bytesIn(): number {
    return this.buf.bytesIn;
  }

  append(chunk: Uint8Array): void {
    this.buf.append(chunk);
  }

  next(): CaptureRecord | undefined {
    if (this.pendingInterface !== undefined) {
      const r = this.pendingInterface;
      this.pendingInterface = undefined;
      return r;
    }
    const b = this.buf;
    if (!this.headerDone) return this.header();
    if (b.available < PCAP_RECORD_HEADER_LENGTH) return undefined;
    const v = b.view;
    const p = b.start;
    const le = this.le;
    const caplen = v.getUint32(p + 8, le);
    if (caplen > this.maxCaplen) {
      throw new FormatError('pcap', CaptureErrorCode.CAPLEN_TOO_LARGE, b.position + 8, `packet record: expected a captured length of at most ${this.maxCaplen}, found ${caplen}`);
    }
    const total = PCAP_RECORD_HEADER_LENGTH + caplen;
    if (b.available < total) return undefined;
    const abs = b.position;
    const sec = v.getUint32(p, le);
    if (sec !== this.lastSec) {
      // Consecutive packets mostly share their second: one BigInt multiply per second, not per packet.
      this.lastSec = sec;
      this.lastSecNs = BigInt(sec) * NS_PER_S;
    }
    const tsNs = this.lastSecNs + BigInt(v.getUint32(p + 4, le) * this.fracNs);
    const origLen = v.getUint32(p + 12, le);
    const data = this.copy ? b.bytes.slice(p + 16, p + total) : b.borrow(p + 16, caplen);
    b.consume(total);
    const reused = this.reused;
    if (reused !== undefined) {
      // Borrow mode: one record object, refilled per packet (its data is a borrowed view anyway).
      reused.tsNs = tsNs;
      reused.data = data;
      reused.origLen = origLen;
      reused.byteOffset = abs;
      return reused;
    }
    return packetRecord(tsNs, data, origLen, abs);
  }

  /**
   * The bulk paths (packet-run.ts): consume the complete packet records at the front of the
   * buffer, at most `maxCount` of them and, after the first, only while their EPBs fit in
   * `maxEpbBytes`, without building a record per packet. Undefined when no complete record is
   * buffered, or while next() still has the file header to return (call next() until it
   * returns undefined first). Same caplen cap and errors as next().
   */
  takeRun(maxCount: number, maxEpbBytes: number): PacketRun | undefined {
    if (!this.headerDone || this.pendingInterface !== undefined) return undefined;
    const b = this.buf;
    const v = b.view;
    const le = this.le;
    const max = this.maxCaplen;
    const end = b.end;
    const run = this.run;
    const ts = this.ts;
    const fracNs = this.fracNs;
    run.begin('pcap', b);
    let p = b.start;
    while (run.count < maxCount && p + PCAP_RECORD_HEADER_LENGTH <= end) {
      const caplen = v.getUint32(p + 8, le);
      if (caplen > max) {
        if (run.count > 0) break; // the records before it first; next call reports it at its offset
        throw new FormatError('pcap', CaptureErrorCode.CAPLEN_TOO_LARGE, b.base + p + 8, `packet record: expected a captured length of at most ${max}, found ${caplen}`);
      }
      const next = p + PCAP_RECORD_HEADER_LENGTH + caplen;
      if (next > end || (run.count > 0 && run.epbBytes + EPB_FIXED_LENGTH + ((caplen + 3) & ~3) > maxEpbBytes)) break;
      ts.set(v.getUint32(p, le), v.getUint32(p + 4, le) * fracNs);
      run.push(p + PCAP_RECORD_HEADER_LENGTH, caplen, v.getUint32(p + 12, le), ts.high, ts.low, 0, -1, b.base + p);
      p = next;
    }
    return run.close(b, p);
  }

  finish(): FormatError | undefined {
    const b = this.buf;
    if (b.available === 0) {
      if (b.bytesIn === 0) throw new FormatError('pcap', CaptureErrorCode.EMPTY, 0, 'expected a pcap file header, found an empty input');
      return undefined;
    }
    if (!this.headerDone) {
      throw new FormatError('pcap', CaptureErrorCode.SHORT_HEADER, b.position,
        `expected a ${PCAP_FILE_HEADER_LENGTH}-byte file header, found ${b.available} bytes before the end of input`);
    }
    const need = b.available >= PCAP_RECORD_HEADER_LENGTH
      ? PCAP_RECORD_HEADER_LENGTH + b.view.getUint32(b.start + 8, this.le)
      : PCAP_RECORD_HEADER_LENGTH;
    return new FormatError('pcap', CaptureErrorCode.TRUNCATED, b.position,
      `packet record cut short: expected ${need} bytes, found ${b.available} before the end of input`);
  }

  private header(): CaptureRecord | undefined {
    const b = this.buf;
    if (b.available < PCAP_FILE_HEADER_LENGTH) return undefined;
    const v = b.view;
    const p = b.start;
    const abs = b.position;
    const magic = v.getUint32(p, true);
    if (magic === PcapMagic.USEC || magic === PcapMagic.NSEC) this.le = true;
    else if (magic === PcapMagic.USEC_SWAPPED || magic === PcapMagic.NSEC_SWAPPED) this.le = false;
    else {
      throw new FormatError('pcap', CaptureErrorCode.BAD_MAGIC, abs, `expected pcap magic a1b2c3d4 or a1b23c4d in either byte order, found ${magic.toString(16).padStart(8, '0')}`);
    }
    const le = this.le;
    const nanos = v.getUint32(p, le) === PcapMagic.NSEC;
    this.fracNs = nanos ? 1 : 1000;
    const major = v.getUint16(p + 4, le);
    const minor = v.getUint16(p + 6, le);
    if (major !== PCAP_VERSION_MAJOR) {
      throw new FormatError('pcap', CaptureErrorCode.BAD_VERSION, abs + 4, `expected pcap major version ${PCAP_VERSION_MAJOR}, found ${major}.${minor}`);
    }
    const snaplen = v.getUint32(p + 16, le);
    const linkType = v.getUint32(p + 20, le) & 0xffff;
    b.consume(PCAP_FILE_HEADER_LENGTH);
    this.headerDone = true;
    this.pendingInterface = {
      type: 'interface', interfaceId: 0, sectionInterfaceId: 0, sectionIndex: 0, linkType, snaplen, name: undefined,
      description: undefined, tsresol: nanos ? TSRESOL_NSEC : 6, tsoffset: 0n, comments: NONE, byteOffset: abs,
    };
    return {
      type: 'section', format: 'pcap', sectionIndex: 0, littleEndian: le, versionMajor: major, versionMinor: minor,
      comments: NONE, hardware: undefined, os: undefined, userAppl: undefined, byteOffset: abs,
    };
  }
}
