import test from 'ava';
import { PcapngWriter } from '../../lib/capture/pcapng-writer.ts';
import { CaptureReader } from '../../lib/capture/read-capture.ts';
import { RunEpbEncoder } from '../../lib/capture/run-epb-encoder.ts';
import { FormatError } from '../../lib/errors.ts';
import { concat, epb, idb, option, pcapHeader, pcapRecord, shb, spb, stringOption, u32, u64 } from '../helpers/capture-bytes.ts';

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

/**
 * A pcapng of `n` packets in two sections (little-, then big-endian) over four interfaces: µs
 * and ns timestamps (runs), ms and offset ones (not), EPBs with options and SPBs (not) between
 * plain EPBs, every caplen padding, timestamps near 2^53 µs.
 */
function pcapng(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const parts: number[][] = [];
  for (const littleEndian of [true, false]) {
    const e = { littleEndian };
    parts.push(shb(e), idb({ ...e, options: [option(9, [6], e)] }), idb({ ...e, options: [option(9, [9], e)] }),
      idb({ ...e, options: [option(9, [3], e)] }), idb({ ...e, options: [option(9, [6], e), option(14, u64(5n, e), e)] }));
    for (let i = 0; i < n / 2; i++) {
      const len = i < 8 ? i : Math.floor(r() * 300);
      const data = Array.from({ length: len }, () => Math.floor(r() * 256));
      const interfaceId = i % 9 === 4 ? 2 : i % 13 === 6 ? 3 : i % 2;
      const ts = i === 3 ? (1n << 53n) - 1n : i === 4 ? 1n << 53n : BigInt(1_700_000_000_000_000 + i * 997) * (interfaceId === 1 ? 1000n : 1n);
      const opts = i % 17 === 9 ? [stringOption(1, `note ${i}`, e)] : [];
      parts.push(i % 23 === 11 ? spb({ ...e, data }) : epb({ ...e, interfaceId, ts, data, origLen: len + (i % 3) * 100, options: opts }));
    }
  }
  return concat(...parts);
}

/** Re-encode in runs (the cat fast path), `maxCount` records and `maxEpbBytes` at most per run. */
function bulk(chunks: Uint8Array[], batchBytes: number, maxCount: number, maxEpbBytes: number): { bytes: Uint8Array; packets: number } {
  const out = collect();
  const w = new PcapngWriter(out.sink, { userAppl: 'test', batchBytes });
  const reader = new CaptureReader({ data: 'borrow' });
  const encoder = new RunEpbEncoder();
  for (const c of chunks) {
    reader.append(c);
    for (;;) {
      const run = reader.takeRun(maxCount, maxEpbBytes);
      if (run !== undefined) {
        void w.writeBlocks(encoder.use(run));
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

const SPLITS = [
  [1, 1 << 20, 64 * 1024, Infinity, 64 * 1024], [2, 700, 4096, 7, 1000], [3, 40, 1024, Infinity, 1], [4, 5000, 256, 3, 100_000],
] as const;

const SHAPES: Shape[] = [
  { littleEndian: true, nanos: false }, { littleEndian: false, nanos: false },
  { littleEndian: true, nanos: true }, { littleEndian: false, nanos: true },
];

for (const shape of SHAPES) {
  const name = `${shape.littleEndian ? 'little' : 'big'}-endian ${shape.nanos ? 'ns' : 'µs'} pcap`;
  test(`runs of ${name} records encode byte for byte like writePacket, whatever the chunking and run sizes`, (t) => {
    const input = capture(shape, 400, shape.nanos ? 3 : 4);
    const reference = perRecord([input], 64 * 1024);
    for (const [seed, maxChunk, batch, maxCount, maxEpb] of SPLITS) {
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
  t.is(reader.takeRun(Infinity, 1 << 20), undefined, 'no run before the header records');
  t.is(reader.next()?.type, 'section');
  t.is(reader.next()?.type, 'interface');
  const run = reader.takeRun(Infinity, 1 << 20);
  t.is(run?.count, 1);
  t.is(run?.at[0], 24);
  const err = t.throws(() => reader.takeRun(Infinity, 1 << 20), { instanceOf: FormatError });
  t.is(err?.code, 'CAPLEN_TOO_LARGE');
  t.is(err?.byteOffset, 24 + 16 + 3 + 8);
});

test('a run takes only complete records and leaves a truncated tail to finish()', (t) => {
  const whole = concat(pcapHeader(), pcapRecord({ sec: 1, frac: 0, data: [1, 2, 3, 4] }), pcapRecord({ sec: 2, frac: 0, data: [5, 6, 7, 8] }));
  const reader = new CaptureReader();
  reader.append(whole.subarray(0, whole.length - 2));
  reader.next();
  reader.next();
  t.is(reader.takeRun(Infinity, 1 << 20)?.count, 1);
  t.is(reader.takeRun(Infinity, 1 << 20), undefined);
  t.is(reader.finish()?.code, 'TRUNCATED');
});

test('runs of plain pcapng EPBs encode byte for byte like writePacket, around every block they leave to next()', (t) => {
  const input = pcapng(600, 5);
  const reference = perRecord([input], 64 * 1024);
  let inRuns = 0;
  for (const [seed, maxChunk, batch, maxCount, maxEpb] of SPLITS) {
    const got = bulk(split(input, seed, maxChunk), batch, maxCount, maxEpb);
    t.is(got.packets, 600);
    t.deepEqual(got.bytes, reference, `chunks ≤ ${maxChunk}, batch ${batch}, runs of ≤ ${maxCount} packets / ${maxEpb} bytes`);
  }
  const reader = new CaptureReader();
  reader.append(input);
  for (;;) {
    const run = reader.takeRun(Infinity, 1 << 20);
    if (run !== undefined) inRuns += run.count;
    else if (reader.next() === undefined) break;
  }
  t.true(inRuns > 300 && inRuns < 600, `${inRuns} of 600 packets in runs`);
});

test('a pcapng run stops before a block next() refuses, which then fails at its own byte offset', (t) => {
  const head = concat(shb(), idb({ options: [option(9, [9])] }), epb({ ts: 5n, data: [1, 2, 3] }));
  const bad = Uint8Array.from(epb({ ts: 6n, data: [4, 5, 6, 7] }));
  new DataView(bad.buffer).setUint32(bad.length - 4, 99, true); // trailer ≠ length
  const reader = new CaptureReader();
  reader.append(concat(head, bad));
  t.is(reader.next()?.type, 'section');
  t.is(reader.next()?.type, 'interface');
  const run = reader.takeRun(Infinity, 1 << 20);
  t.is(run?.count, 1);
  t.is(run?.tsNs(0), 5n);
  t.is(reader.takeRun(Infinity, 1 << 20), undefined);
  const err = t.throws(() => reader.next(), { instanceOf: FormatError });
  t.is(err?.code, 'TRAILER_MISMATCH');
  t.is(err?.byteOffset, head.length + bad.length - 4);
});

test('a run with options takes EPBs whose options next() accepts, keeps epb_queue, and stops before bad ones', (t) => {
  const good = epb({ ts: 7n, data: [1, 2, 3, 4], options: [stringOption(1, 'hi'), option(6, u32(5)), option(2, u32(1))] });
  const bad = epb({ ts: 8n, data: [5, 6, 7, 8], options: [option(2, [1, 0])] }); // epb_flags of 2 bytes
  const head = concat(shb(), idb({ options: [option(9, [9])] }));
  const reader = new CaptureReader();
  reader.append(concat(head, good, bad));
  reader.next();
  reader.next();
  t.is(reader.takeRun(Infinity, 1 << 20), undefined, 'cat takes no EPB with options');
  const run = reader.takeRun(Infinity, 1 << 20, true);
  t.is(run?.count, 1);
  t.is(run?.queue[0], 5);
  t.is(reader.takeRun(Infinity, 1 << 20, true), undefined);
  const err = t.throws(() => reader.next(), { instanceOf: FormatError });
  t.is(err?.code, 'BAD_OPTION');
  t.is(err?.byteOffset, head.length + good.length + 32);
});
