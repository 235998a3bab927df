import test from 'ava';
import { FormatError, XdpReplayError } from '../../lib/errors.ts';
import type { CaptureReaderOptions } from '../../lib/capture/types.ts';
import { builtFixtures, parseChunks, pcapFixture, pcapngFixture, prngSizes } from './fixtures.ts';

/** Absolute offset of the n-th pcapng block (0 = SHB) of a little-endian file. */
function blockOffset(bytes: Uint8Array, n: number): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  for (let i = 0; i < n; i++) at += v.getUint32(at + 4, true);
  return at;
}

function mutate(bytes: Uint8Array, f: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = bytes.slice();
  f(new DataView(b.buffer), b);
  return b;
}

const PCAP = pcapFixture();
const PCAPNG = pcapngFixture();
const EPB0 = blockOffset(PCAPNG, 2);
const EPB1 = blockOffset(PCAPNG, 3);
const EPB0_LEN = EPB1 - EPB0;
const LAST_PCAP_RECORD = 24 + [60, 1514, 98, 342].reduce((a, n) => a + 16 + n, 0);
const LAST_EPB = blockOffset(PCAPNG, 6);

interface Case {
  name: string;
  bytes: Uint8Array;
  options?: CaptureReaderOptions;
  code: string;
  byteOffset: number;
  /** Reported by finish() rather than thrown. */
  warning?: boolean;
}

const cases: Case[] = [
  { name: 'bad magic', bytes: mutate(PCAP, (_, b) => (b[0] = 0x00)), code: 'BAD_MAGIC', byteOffset: 0 },
  { name: 'bad pcapng byte-order magic', bytes: mutate(PCAPNG, (v) => v.setUint32(8, 0x11223344, true)), code: 'BAD_BYTE_ORDER_MAGIC', byteOffset: 8 },
  { name: 'short pcap header', bytes: PCAP.subarray(0, 10), code: 'SHORT_HEADER', byteOffset: 0 },
  { name: 'short pcapng header', bytes: PCAPNG.subarray(0, 20), code: 'SHORT_HEADER', byteOffset: 0 },
  { name: 'only 3 bytes of magic', bytes: PCAP.subarray(0, 3), code: 'SHORT_HEADER', byteOffset: 0 },
  { name: 'pcap major version 3', bytes: mutate(PCAP, (v) => v.setUint16(4, 3, true)), code: 'BAD_VERSION', byteOffset: 4 },
  { name: 'pcapng major version 2', bytes: mutate(PCAPNG, (v) => v.setUint16(12, 2, true)), code: 'BAD_VERSION', byteOffset: 12 },
  { name: 'block length 13', bytes: mutate(PCAPNG, (v) => v.setUint32(EPB0 + 4, 13, true)), code: 'BAD_BLOCK_LENGTH', byteOffset: EPB0 + 4 },
  { name: 'block length 8', bytes: mutate(PCAPNG, (v) => v.setUint32(EPB0 + 4, 8, true)), code: 'BAD_BLOCK_LENGTH', byteOffset: EPB0 + 4 },
  { name: 'block longer than the cap', bytes: PCAPNG, options: { maxBlockLength: 1024 }, code: 'BLOCK_TOO_LARGE', byteOffset: EPB1 + 4 },
  { name: 'trailer mismatch', bytes: mutate(PCAPNG, (v) => v.setUint32(EPB0 + EPB0_LEN - 4, EPB0_LEN + 4, true)), code: 'TRAILER_MISMATCH', byteOffset: EPB0 + EPB0_LEN - 4 },
  { name: 'pcap caplen above the default cap', bytes: mutate(PCAP, (v) => v.setUint32(24 + 8, 300_000, true)), code: 'CAPLEN_TOO_LARGE', byteOffset: 32 },
  { name: 'pcap caplen above a configured cap', bytes: PCAP, options: { maxCaplen: 1000 }, code: 'CAPLEN_TOO_LARGE', byteOffset: 24 + 16 + 60 + 8 },
  { name: 'EPB caplen above a configured cap', bytes: PCAPNG, options: { maxCaplen: 1000 }, code: 'CAPLEN_TOO_LARGE', byteOffset: EPB1 + 20 },
  { name: 'EPB caplen beyond its block', bytes: mutate(PCAPNG, (v) => v.setUint32(EPB0 + 20, 200, true)), code: 'CAPLEN_EXCEEDS_BLOCK', byteOffset: EPB0 + 20 },
  { name: 'EPB for an interface never described', bytes: mutate(PCAPNG, (v) => v.setUint32(EPB0 + 8, 5, true)), code: 'UNKNOWN_INTERFACE', byteOffset: EPB0 + 8 },
  { name: 'option running past its block', bytes: mutate(PCAPNG, (v) => v.setUint16(EPB1 + 28 + 1516 + 2, 500, true)), code: 'BAD_OPTION', byteOffset: EPB1 + 28 + 1516 },
  { name: 'pcap truncated tail', bytes: PCAP.subarray(0, PCAP.length - 5), code: 'TRUNCATED', byteOffset: LAST_PCAP_RECORD, warning: true },
  { name: 'pcap truncated inside a record header', bytes: PCAP.subarray(0, LAST_PCAP_RECORD + 7), code: 'TRUNCATED', byteOffset: LAST_PCAP_RECORD, warning: true },
  { name: 'pcapng truncated tail', bytes: PCAPNG.subarray(0, PCAPNG.length - 5), code: 'TRUNCATED', byteOffset: LAST_EPB, warning: true },
  { name: 'zero-length file', bytes: new Uint8Array(0), code: 'EMPTY', byteOffset: 0 },
];

for (const c of cases) {
  test(`${c.name} → ${c.code} at byte ${c.byteOffset}`, (t) => {
    if (c.warning) {
      const { records, truncated } = parseChunks(c.bytes, undefined, c.options);
      t.true(truncated instanceof FormatError);
      t.like(truncated, { code: c.code, byteOffset: c.byteOffset });
      t.regex(truncated!.message, new RegExp(`byte ${c.byteOffset} `));
      t.is(records.filter((r) => r.type === 'packet').length, 4, 'every packet before the cut is read');
      return;
    }
    const err = t.throws(() => parseChunks(c.bytes, undefined, c.options), { instanceOf: FormatError });
    t.like(err, { code: c.code, byteOffset: c.byteOffset });
    t.regex(err!.message, new RegExp(`^pcap(ng)?: byte ${c.byteOffset} \\(0x${c.byteOffset.toString(16)}\\): .*expected`));
    // The same error whatever the chunking.
    const err1 = t.throws(() => parseChunks(c.bytes, [1], c.options), { instanceOf: FormatError });
    t.like(err1, { code: c.code, byteOffset: c.byteOffset });
  });
}

test('seeded random mutations of every fixture either parse or throw a typed error, and terminate', (t) => {
  let typed = 0;
  for (const [name, good] of Object.entries(builtFixtures())) {
    const sizes = prngSizes(name.length, 400);
    for (let i = 0; i < 100; i++) {
      const bytes = good.slice();
      const at = sizes[i * 4]! % bytes.length;
      bytes[at] = sizes[i * 4 + 1]! & 0xff;
      if (i % 3 === 0) bytes[(at + 4) % bytes.length] = sizes[i * 4 + 2]! & 0xff;
      const cut = i % 5 === 0 ? bytes.subarray(0, sizes[i * 4 + 3]! % bytes.length) : bytes;
      try {
        parseChunks(cut, [sizes[i]! % 97 + 1]);
      } catch (err) {
        if (!(err instanceof XdpReplayError)) t.fail(`${name} mutation ${i}: untyped ${String(err)}`);
        typed++;
      }
    }
  }
  t.true(typed > 0);
});
