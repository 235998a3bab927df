import test from 'ava';
import { detectCaptureFormat, readCapture } from '../../lib/capture/read-capture.ts';
import type { CaptureRecord } from '../../lib/capture/types.ts';
import { FormatError } from '../../lib/errors.ts';
import { parseChunks, pcapFixture, pcapngFixture, randomSizes } from './fixtures.ts';

async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.slice(at, at + n);
    at += n;
  }
}

test('detects pcap and pcapng by their first four bytes', (t) => {
  t.is(detectCaptureFormat(pcapFixture()), 'pcap');
  t.is(detectCaptureFormat(pcapFixture({ littleEndian: false, nanos: true })), 'pcap');
  t.is(detectCaptureFormat(pcapngFixture({ littleEndian: false })), 'pcapng');
  t.is(detectCaptureFormat(Uint8Array.of(1, 2, 3, 4)), undefined);
  t.is(detectCaptureFormat(Uint8Array.of(0xd4, 0xc3)), undefined);
});

test('readCapture yields the records of an async chunk stream and returns how it ended', async (t) => {
  for (const bytes of [pcapFixture(), pcapngFixture()]) {
    const records: CaptureRecord[] = [];
    const gen = readCapture(chunked(bytes, randomSizes(3, 16, 50)));
    let r = await gen.next();
    for (; !r.done; r = await gen.next()) records.push(r.value);
    t.deepEqual(records, parseChunks(bytes).records);
    t.like(r.value, { bytesIn: bytes.length, truncated: undefined });
  }
});

test('readCapture reports a truncated tail through onTruncated after yielding everything before it', async (t) => {
  const bytes = pcapngFixture();
  const warnings: FormatError[] = [];
  let packets = 0;
  for await (const r of readCapture(chunked(bytes.subarray(0, bytes.length - 9), [4096]), { onTruncated: (w) => warnings.push(w) })) {
    if (r.type === 'packet') packets++;
  }
  t.is(packets, 4);
  t.is(warnings.length, 1);
  t.is(warnings[0]!.code, 'TRUNCATED');
});

test('readCapture rejects a bad magic with a typed error at byte 0', async (t) => {
  const bad = pcapFixture();
  bad[0] = 0x42;
  const err = await t.throwsAsync(async () => {
    for await (const _ of readCapture(chunked(bad, [2]))) void _;
  }, { instanceOf: FormatError });
  t.like(err, { code: 'BAD_MAGIC', byteOffset: 0 });
});
