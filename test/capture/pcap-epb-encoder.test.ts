import test from 'ava';
import { PcapEpbEncoder } from '../../lib/capture/pcap-epb-encoder.ts';
import { PcapngWriter } from '../../lib/capture/pcapng-writer.ts';
import { CaptureReader } from '../../lib/capture/read-capture.ts';
import { FormatError } from '../../lib/errors.ts';
import { concat, pcapHeader, pcapRecord } from '../helpers/capture-bytes.ts';

/** Seeded LCG, so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296;
}

interface Shape { littleEndian: boolean; nanos: boolean }

/** A pcap of `n` records: caplens 0..300 (every padding), origLen ≥ caplen, seconds across 0 … 2^32 − 1. */
function capture(shape: Shape, n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const parts: number[][] = [pcapHeader(shape)];
  const edgeSeconds = [0, 1, 0xffff, 0x10000, 1_700_000_000, 0xffffffff];
  for (let i = 0; i < n; i++) {
    const len = i < 8 ? i : Math.floor(r() * 300);
    const data = Array.from({ length: len }, () => Math.floor(r() * 256));
    const sec = i < edgeSeconds.length ? edgeSeconds[i]! : 1_700_000_000 + Math.floor(i / 7);
    // Fractions past one second are kept as written (a corrupt file), in both paths.
    const frac = i % 11 === 5 ? 0xffffffff : Math.floor(r() * (shape.nanos ? 1e9 : 1e6));
    parts.push(pcapRecord({ ...shape, sec, frac, data, origLen: len + (i % 3) * 100 }));
  }
  return concat(...parts);
}

/** Chunks of the input at seeded random split points. */
function split(bytes: Uint8Array, seed: number, maxChunk: number): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(r() * maxChunk);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

function collect(): { sink: { write: (b: Uint8Array) => void }; bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  return { sink: { write: (b) => { parts.push(b.slice()); } }, bytes: () => concat(...parts) };
}

/** Re-encode through record objects and writePacket(). */
function perRecord(chunks: Uint8Array[], batchBytes: number): Uint8Array {
  const out = collect();
  const w = new PcapngWriter(out.sink, { userAppl: 'test', batchBytes });
  const reader = new CaptureReader({ data: 'borrow' });
  for (const c of chunks) {
    reader.append(c);
    for (let r = reader.next(); r !== undefined; r = reader.next()) {
      if (r.type === 'interface') w.addInterface({ linkType: r.linkType });
      else if (r.type === 'packet') void w.writePacket(r);
    }
  }
  void w.flush();
  return out.bytes();
}

/** Re-encode in runs (the cat fast path), `maxCount` records and `maxEpbBytes` at most per run. */
function bulk(chunks: Uint8Array[], batchBytes: number, maxCount: number, maxEpbBytes: number): { bytes: Uint8Array; packets: number } {
  const out = collect();
  const w = new PcapngWriter(out.sink, { userAppl: 'test', batchBytes });
  const reader = new CaptureReader({ data: 'borrow' });
  const encoder = new PcapEpbEncoder();
  for (const c of chunks) {
    reader.append(c);
    for (;;) {
      const run = reader.takePcapRun(maxCount, maxEpbBytes);
      if (run !== undefined) {
        void w.writeBlocks(encoder.use(run, 0));
        continue;
      }
      const r = reader.next();
      if (r === undefined) break;
      if (r.type === 'interface') w.addInterface({ linkType: r.linkType });
      else if (r.type === 'packet') void w.writePacket(r);
    }
  }
  void w.flush();
  return { bytes: out.bytes(), packets: w.packets };
}

const SHAPES: Shape[] = [
  { littleEndian: true, nanos: false }, { littleEndian: false, nanos: false },
  { littleEndian: true, nanos: true }, { littleEndian: false, nanos: true },
];

for (const shape of SHAPES) {
  const name = `${shape.littleEndian ? 'little' : 'big'}-endian ${shape.nanos ? 'ns' : 'µs'} pcap`;
  test(`runs of ${name} records encode byte for byte like writePacket, whatever the chunking and run sizes`, (t) => {
    const input = capture(shape, 400, shape.nanos ? 3 : 4);
    const reference = perRecord([input], 64 * 1024);
    for (const [seed, maxChunk, batch, maxCount, maxEpb] of [
      [1, 1 << 20, 64 * 1024, Infinity, 64 * 1024], [2, 700, 4096, 7, 1000], [3, 40, 1024, Infinity, 1], [4, 5000, 256, 3, 100_000],
    ] as const) {
      const got = bulk(split(input, seed, maxChunk), batch, maxCount, maxEpb);
      t.is(got.packets, 400);
      t.deepEqual(got.bytes, reference, `chunks ≤ ${maxChunk}, batch ${batch}, runs of ≤ ${maxCount} records / ${maxEpb} bytes`);
    }
  });
}

test('a run stops before a record over the caplen cap, which then fails at its own byte offset', (t) => {
  const input = concat(pcapHeader(), pcapRecord({ sec: 1, frac: 0, data: [1, 2, 3] }), pcapRecord({ sec: 2, frac: 0, data: new Array<number>(100).fill(7) }));
  const reader = new CaptureReader({ maxCaplen: 64 });
  reader.append(input);
  t.is(reader.takePcapRun(Infinity, 1 << 20), undefined, 'no run before the header records');
  t.is(reader.next()?.type, 'section');
  t.is(reader.next()?.type, 'interface');
  const run = reader.takePcapRun(Infinity, 1 << 20);
  t.is(run?.count, 1);
  t.is(run?.byteOffset, 24);
  const err = t.throws(() => reader.takePcapRun(Infinity, 1 << 20), { instanceOf: FormatError });
  t.is(err?.code, 'CAPLEN_TOO_LARGE');
  t.is(err?.byteOffset, 24 + 16 + 3 + 8);
});

test('a run takes only complete records and leaves a truncated tail to finish()', (t) => {
  const whole = concat(pcapHeader(), pcapRecord({ sec: 1, frac: 0, data: [1, 2, 3, 4] }), pcapRecord({ sec: 2, frac: 0, data: [5, 6, 7, 8] }));
  const reader = new CaptureReader();
  reader.append(whole.subarray(0, whole.length - 2));
  reader.next();
  reader.next();
  t.is(reader.takePcapRun(Infinity, 1 << 20)?.count, 1);
  t.is(reader.takePcapRun(Infinity, 1 << 20), undefined);
  t.is(reader.finish()?.code, 'TRUNCATED');
});

test('pcapng input has no pcap runs', (t) => {
  const reader = new CaptureReader();
  reader.append(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 28, 0, 0, 0));
  t.is(reader.takePcapRun(Infinity, 1 << 20), undefined);
  t.is(reader.next()?.type, 'section');
});
