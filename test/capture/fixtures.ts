/**
 * Capture fixtures for the reader tests: byte-built files for every feature, plus files written
 * by real tools (tcpdump, editcap, tshark) from a byte-built pcap. Nothing binary is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReader } from '../../lib/capture/read-capture.ts';
import type { CaptureReaderOptions, CaptureRecord } from '../../lib/capture/types.ts';
import type { FormatError } from '../../lib/errors.ts';
import {
  concat, epb, ethernetFrame, idb, isb, option, pb, pcapHeader, pcapngBlock, pcapRecord, prng, shb, spb, stringOption, u16, u32, u64,
  verdictValue, type Endian,
} from '../helpers/capture-bytes.ts';

export interface SourcePacket {
  sec: number;
  usec: number;
  data: Uint8Array;
}

/** Five frames of mixed sizes with µs timestamps. */
export const SOURCE_PACKETS: SourcePacket[] = [60, 1514, 98, 342, 1024].map((len, i) => ({
  sec: 1_700_000_000 + i,
  usec: 123_456 + i * 1000,
  data: ethernetFrame(len, i + 1),
}));

export function sourceTsNs(p: SourcePacket): bigint {
  return BigInt(p.sec) * 1_000_000_000n + BigInt(p.usec) * 1000n;
}

export function pcapFixture(o: Endian & { nanos?: boolean } = {}): Uint8Array {
  return concat(
    pcapHeader(o),
    ...SOURCE_PACKETS.map((p) => pcapRecord({ ...o, sec: p.sec, frac: o.nanos ? p.usec * 1000 + 7 : p.usec, data: p.data })),
  );
}

/** One section, one interface (if_name eth0, ns), EPBs carrying every option we read. */
export function pcapngFixture(o: Endian = {}): Uint8Array {
  const ts = (p: SourcePacket): bigint => sourceTsNs(p);
  return concat(
    shb({ ...o, options: [stringOption(1, 'section comment', o), stringOption(4, 'builder 1.0', o), stringOption(3, 'Linux', o)] }),
    idb({ ...o, options: [stringOption(2, 'eth0', o), stringOption(3, 'first port', o), option(9, [9], o)] }),
    ...SOURCE_PACKETS.map((p, i) => epb({
      ...o, ts: ts(p), data: p.data, origLen: p.data.length + i,
      options: i === 0
        ? []
        : [
          option(7, verdictValue(2, BigInt(i % 4), o), o), stringOption(1, `pkt ${i} ✓ ünïcødé`, o), option(2, u32(1, o), o),
          option(5, u64(BigInt(i + 1), o), o), option(6, u32(i, o), o),
        ],
    })),
  );
}

/** Two sections (LE then BE), 2^-n and 10^-n resolutions, if_tsoffset, interface ids restarting per section. */
export function multiSectionFixture(): Uint8Array {
  const le = { littleEndian: true };
  const be = { littleEndian: false };
  const [a, b, c] = SOURCE_PACKETS;
  return concat(
    shb(le),
    idb({ ...le, options: [stringOption(2, 'usec0', le)] }),
    idb({ ...le, options: [stringOption(2, 'pow2', le), option(9, [0x80 | 20], le), option(14, u64(10n, le), le)] }),
    epb({ ...le, interfaceId: 0, ts: BigInt(a!.sec) * 1_000_000n + BigInt(a!.usec), data: a!.data }),
    epb({ ...le, interfaceId: 1, ts: (5n << 20n) + (1n << 19n), data: b!.data }),
    shb(be),
    idb({ ...be, linkType: 1, options: [stringOption(2, 'msec', be), option(9, [3], be)] }),
    epb({ ...be, interfaceId: 0, ts: 1_700_000_000_123n, data: c!.data, options: [option(7, verdictValue(2, 1n, be), be)] }),
  );
}

/** SPB (snaplen-limited), obsolete PB, NRB, ISB, a custom block: the rarer blocks. */
export function rareBlocksFixture(o: Endian = {}): Uint8Array {
  const [a, b] = SOURCE_PACKETS;
  return concat(
    shb(o),
    idb({ ...o, snaplen: 64 }),
    spb({ ...o, data: a!.data.subarray(0, 60), origLen: 60 }),
    spb({ ...o, data: b!.data.subarray(0, 64), origLen: b!.data.length }),
    pb({ ...o, interfaceId: 0, ts: 1_000_001n, data: a!.data, options: [option(2, u32(2, o), o), stringOption(1, 'old block', o)] }),
    pcapngBlock(4, [...u16(1, o), ...u16(8, o), 10, 0, 0, 1, 0x61, 0x2e, 0x62, 0, ...u16(0, o), ...u16(0, o)], o),
    isb({ ...o, interfaceId: 0, ts: 2_000_000n, options: [option(4, u64(5n, o), o), option(5, u64(1n, o), o)] }),
    pcapngBlock(0x40000bad, [1, 2, 3, 4], o),
  );
}

/** Every byte-built fixture by name. */
export function builtFixtures(): Record<string, Uint8Array> {
  return {
    'pcap usec LE': pcapFixture(),
    'pcap usec BE': pcapFixture({ littleEndian: false }),
    'pcap nsec LE': pcapFixture({ nanos: true }),
    'pcap nsec BE': pcapFixture({ nanos: true, littleEndian: false }),
    'pcapng LE': pcapngFixture(),
    'pcapng BE': pcapngFixture({ littleEndian: false }),
    'pcapng two sections': multiSectionFixture(),
    'pcapng rare blocks LE': rareBlocksFixture(),
    'pcapng rare blocks BE': rareBlocksFixture({ littleEndian: false }),
  };
}

let toolDir: string | undefined;

/** Files written by real tools from the µs pcap fixture, by name. Cached per process. */
export function toolFixtures(): Record<string, Uint8Array> {
  if (toolDir === undefined) {
    toolDir = mkdtempSync(join(tmpdir(), 'xdpreplay-capture-'));
    const d = toolDir;
    writeFileSync(join(d, 'in.pcap'), pcapFixture());
    const run = (cmd: string, args: string[]): void => {
      execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    };
    run('tcpdump', ['-r', join(d, 'in.pcap'), '-w', join(d, 'tcpdump.pcap')]);
    run('editcap', ['-F', 'pcapng', join(d, 'in.pcap'), join(d, 'editcap.pcapng')]);
    run('editcap', ['-F', 'nsecpcap', join(d, 'in.pcap'), join(d, 'editcap-nsec.pcap')]);
    run('editcap', ['-F', 'pcap', join(d, 'editcap.pcapng'), join(d, 'editcap.pcap')]);
    run('editcap', ['-F', 'pcapng', '-a', '2:second ✓ frame', '-a', '4:fourth', '--capture-comment', 'made by editcap', join(d, 'in.pcap'), join(d, 'editcap-comments.pcapng')]);
    run('tshark', ['-r', join(d, 'in.pcap'), '-F', 'pcapng', '-w', join(d, 'tshark.pcapng')]);
    run('tshark', ['-r', join(d, 'editcap.pcapng'), '-F', 'pcap', '-w', join(d, 'tshark.pcap')]);
  }
  const names = ['tcpdump.pcap', 'editcap.pcapng', 'editcap-nsec.pcap', 'editcap.pcap', 'editcap-comments.pcapng', 'tshark.pcapng', 'tshark.pcap'];
  return Object.fromEntries(names.map((n) => [n, new Uint8Array(readFileSync(join(toolDir!, n)))]));
}

export interface ParseResult {
  records: CaptureRecord[];
  truncated: FormatError | undefined;
}

/** Parse `bytes` fed as the given chunk sizes (default: one chunk). */
export function parseChunks(bytes: Uint8Array, sizes: number[] = [bytes.length], options: CaptureReaderOptions = {}): ParseResult {
  const reader = new CaptureReader(options);
  const records: CaptureRecord[] = [];
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    reader.append(bytes.subarray(at, at + n));
    at += n;
    // Borrowed packets are valid until the next call: snapshot them as they are handed out.
    for (let r = reader.next(); r !== undefined; r = reader.next()) records.push(r.type === 'packet' && options.data === 'borrow' ? { ...r, data: r.data.slice() } : r);
  }
  return { records, truncated: reader.finish() };
}

/** Seeded random chunk sizes in [1, max]. */
export function randomSizes(seed: number, count: number, max: number): number[] {
  const r = prng(seed);
  return Array.from({ length: count }, () => 1 + Math.floor(r() * max));
}

/** Seeded non-negative integers (for mutation positions and values). */
export function prngSizes(seed: number, count: number): number[] {
  const r = prng(seed);
  return Array.from({ length: count }, () => Math.floor(r() * 0x7fffffff));
}
