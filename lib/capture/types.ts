import type { PacketRun } from './packet-run.ts';
/**
 * Records produced by the capture readers. Consumers `switch (record.type)`.
 * Interface ids are stream-global: the n-th interface seen in the whole input (across all
 * pcapng sections) has `interfaceId` n; packets refer to that global id.
 */

import type { FormatError } from '../errors.ts';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface SectionRecord {
  readonly type: 'section';
  readonly format: CaptureFormat;
  /** 0 for the first section; classic pcap has exactly one. */
  readonly sectionIndex: number;
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly comments: readonly string[];
  readonly hardware: string | undefined;
  readonly os: string | undefined;
  readonly userAppl: string | undefined;
  /** Absolute offset of the header/block in the input. */
  readonly byteOffset: number;
}

export interface InterfaceRecord {
  readonly type: 'interface';
  /** Stream-global id (see file comment). */
  readonly interfaceId: number;
  /** The id the interface has inside its own section (what the file's EPBs say). */
  readonly sectionInterfaceId: number;
  readonly sectionIndex: number;
  /** LINKTYPE_* (low 16 bits of the classic pcap link field). */
  readonly linkType: number;
  /** 0 = unlimited. */
  readonly snaplen: number;
  readonly name: string | undefined;
  readonly description: string | undefined;
  /** Raw if_tsresol byte: n → 10^-n s, 0x80|n → 2^-n s. 6 (µs) or 9 (ns) for classic pcap. */
  readonly tsresol: number;
  /** if_tsoffset in seconds (0n when absent). */
  readonly tsoffset: bigint;
  readonly comments: readonly string[];
  readonly byteOffset: number;
}

/** One epb_verdict option: type byte + data; `action` decoded for eBPF TC/XDP verdicts. */
export interface Verdict {
  /** VerdictType: 0 hardware, 1 Linux eBPF TC, 2 Linux eBPF XDP. */
  readonly type: number;
  /** The bytes after the type byte, in the file's byte order. */
  readonly data: Uint8Array;
  /** For eBPF types with 8 data bytes: the action (e.g. XDP_DROP = 1n). */
  readonly action: bigint | undefined;
}

export type PacketSource = 'pcap' | 'epb' | 'spb' | 'pb';

export interface PacketRecord {
  readonly type: 'packet';
  readonly interfaceId: number;
  /** Nanoseconds since the epoch, if_tsresol and if_tsoffset applied. */
  readonly tsNs: bigint;
  /** Captured bytes (an owned copy unless the reader was created with `data: 'borrow'`). */
  readonly data: Uint8Array;
  /** Length on the wire. */
  readonly origLen: number;
  readonly comments: readonly string[];
  readonly flags: number | undefined;
  readonly packetId: bigint | undefined;
  readonly queue: number | undefined;
  readonly verdicts: readonly Verdict[];
  /** Which kind of record/block it came from. */
  readonly source: PacketSource;
  readonly byteOffset: number;
}

/** Interface Statistics Block (§4.6). */
export interface StatsRecord {
  readonly type: 'stats';
  readonly interfaceId: number;
  readonly tsNs: bigint;
  readonly received: bigint | undefined;
  readonly dropped: bigint | undefined;
  readonly comments: readonly string[];
  readonly byteOffset: number;
}

/** Any other block (NRB, DSB, custom, unknown): kept as raw body bytes. */
export interface UnknownRecord {
  readonly type: 'unknown';
  readonly blockType: number;
  /** Block body (between the length fields), an owned copy. */
  readonly body: Uint8Array;
  readonly byteOffset: number;
}

export type CaptureRecord = SectionRecord | InterfaceRecord | PacketRecord | StatsRecord | UnknownRecord;

/** Limits and behaviour shared by the stream readers. */
export interface CaptureReaderOptions {
  /** Largest accepted captured length of one packet (default 262144). */
  maxCaplen?: number;
  /** Largest accepted pcapng block (default 16 MiB). */
  maxBlockLength?: number;
  /**
   * 'copy' (default): packet data is an owned copy. 'borrow': a view into the reader's buffer,
   * valid only until the next `append()`, and the packet record itself may be refilled by the
   * next `next()` (the pcap reader reuses one object) — for pipelines that consume each
   * packet at once.
   */
  data?: 'copy' | 'borrow';
}

/** The common face of the incremental (sans-I/O) readers. */
export interface CaptureStreamReader {
  readonly format: CaptureFormat | undefined;
  /** Give the reader more bytes (copied into its buffer; the chunk may be reused by the caller). */
  append(chunk: Uint8Array): void;
  /** The next complete record, or undefined when more bytes are needed. Throws FormatError. */
  next(): CaptureRecord | undefined;
  /**
   * Call at end of input after `next()` returned undefined. Returns a 'TRUNCATED' FormatError
   * (not thrown) when a final record was cut short; throws when even the header is incomplete.
   */
  finish(): FormatError | undefined;
  /**
   * The bulk paths (packet-run.ts): consume the complete packets at the front of the buffer that
   * need no record object (every pcap record; EPBs of interfaces with µs or ns timestamps,
   * without options unless `withOptions`, which takes EPBs whose options next() would accept and
   * keeps only their epb_queue), at most `maxCount` and, after the first, only while their
   * option-less EPBs fit in `maxEpbBytes`. Undefined when the next thing buffered is something
   * else (or incomplete): call next() for it, which reports any error at its offset.
   */
  takeRun(maxCount: number, maxEpbBytes: number, withOptions?: boolean): PacketRun | undefined;
  /** Total bytes appended so far. */
  readonly bytesIn: number;
}
