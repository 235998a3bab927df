/**
 * Format detection by magic and the async-iterable front end of the capture readers.
 *
 *   const reader = new CaptureReader();            // sans-I/O, detects pcap vs pcapng
 *   for await (const chunk of source) { reader.append(chunk); for (let r; (r = reader.next()); ) use(r); }
 *   const truncated = reader.finish();             // FormatError 'TRUNCATED' or undefined
 *
 * or simply `for await (const r of readCapture(source, { onTruncated })) …`.
 */
import { FormatError } from '../errors.ts';
import { BlockType, CaptureErrorCode, PcapMagic } from './constants.ts';
import type { PacketRun } from './packet-run.ts';
import { PcapStreamReader } from './pcap-stream-reader.ts';
import { PcapngStreamReader } from './pcapng-stream-reader.ts';
import type { CaptureFormat, CaptureReaderOptions, CaptureRecord, CaptureStreamReader } from './types.ts';

const MAGIC_LENGTH = 4;

/** Which format a capture starting with these 4 bytes is, or undefined. */
export function detectCaptureFormat(head: Uint8Array): CaptureFormat | undefined {
  if (head.length < MAGIC_LENGTH) return undefined;
  const magic = new DataView(head.buffer, head.byteOffset, MAGIC_LENGTH).getUint32(0, true);
  if (magic === BlockType.SHB) return 'pcapng';
  const magics: number[] = [PcapMagic.USEC, PcapMagic.NSEC, PcapMagic.USEC_SWAPPED, PcapMagic.NSEC_SWAPPED];
  return magics.includes(magic) ? 'pcap' : undefined;
}

/** A reader that waits for the first 4 bytes, then delegates to the pcap or pcapng reader. */
export class CaptureReader implements CaptureStreamReader {
  private inner: CaptureStreamReader | undefined;
  private head = new Uint8Array(MAGIC_LENGTH);
  private headLength = 0;

  constructor(private readonly options: CaptureReaderOptions = {}) {}

  get format(): CaptureFormat | undefined {
    return this.inner?.format;
  }

  get bytesIn(): number {
    return this.inner?.bytesIn ?? this.headLength;
  }

  append(chunk: Uint8Array): void {
    if (this.inner !== undefined) {
      this.inner.append(chunk);
      return;
    }
    const take = Math.min(MAGIC_LENGTH - this.headLength, chunk.length);
    this.head.set(chunk.subarray(0, take), this.headLength);
    this.headLength += take;
    if (this.headLength < MAGIC_LENGTH) return;
    const format = detectCaptureFormat(this.head);
    if (format === undefined) {
      const found = Array.from(this.head, (x) => x.toString(16).padStart(2, '0')).join(' ');
      throw new FormatError('pcap', CaptureErrorCode.BAD_MAGIC, 0,
        `expected a pcap magic (a1b2c3d4, a1b23c4d, either byte order) or a pcapng Section Header Block (0a 0d 0d 0a), found ${found}`);
    }
    this.inner = format === 'pcap' ? new PcapStreamReader(this.options) : new PcapngStreamReader(this.options);
    this.inner.append(this.head);
    if (take < chunk.length) this.inner.append(chunk.subarray(take));
  }

  next(): CaptureRecord | undefined {
    return this.inner?.next();
  }

  /** The next run of packets that need no record object (CaptureStreamReader.takeRun), else undefined. */
  takeRun(maxCount: number, maxEpbBytes: number, withOptions = false): PacketRun | undefined {
    return this.inner?.takeRun(maxCount, maxEpbBytes, withOptions);
  }

  finish(): FormatError | undefined {
    if (this.inner !== undefined) return this.inner.finish();
    if (this.headLength === 0) throw new FormatError('pcap', CaptureErrorCode.EMPTY, 0, 'expected a pcap or pcapng file, found an empty input');
    throw new FormatError('pcap', CaptureErrorCode.SHORT_HEADER, 0, `expected at least ${MAGIC_LENGTH} bytes of magic number, found ${this.headLength}`);
  }
}

export interface ReadCaptureOptions extends CaptureReaderOptions {
  /** Called once when the input ends inside a record (everything before it was yielded). */
  onTruncated?: (warning: FormatError) => void;
}

/** Result of a whole read (the generator's return value). */
export interface ReadCaptureEnd {
  readonly format: CaptureFormat | undefined;
  readonly bytesIn: number;
  readonly truncated: FormatError | undefined;
}

/** Records of a pcap or pcapng byte stream, detected by magic. Throws FormatError on bad input. */
export async function* readCapture(source: AsyncIterable<Uint8Array>, options: ReadCaptureOptions = {}): AsyncGenerator<CaptureRecord, ReadCaptureEnd> {
  const reader = new CaptureReader(options);
  for await (const chunk of source) {
    reader.append(chunk);
    for (let r = reader.next(); r !== undefined; r = reader.next()) yield r;
  }
  const truncated = reader.finish();
  if (truncated !== undefined) options.onTruncated?.(truncated);
  return { format: reader.format, bytesIn: reader.bytesIn, truncated };
}
