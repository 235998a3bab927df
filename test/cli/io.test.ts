import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInput, openOutput } from '../../cmd/io.ts';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-io-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

test('a file input yields its bytes in order through the two read-ahead buffers, whatever the chunk size', async (t) => {
  const dir = tempDir(t);
  const bytes = pattern(100_003, 7);
  const file = join(dir, 'in.bin');
  writeFileSync(file, bytes);
  for (const chunkBytes of [1, 7, 4096, 100_003, 1 << 20]) {
    const seen: number[] = [];
    let chunks = 0;
    for await (const chunk of openInput(file, chunkBytes).chunks) {
      // Copy at once: a chunk is valid only until the iteration advances.
      for (const b of chunk) seen.push(b);
      chunks++;
      if (chunkBytes === 1 && chunks > 5000) break;
    }
    if (chunkBytes === 1) t.deepEqual(seen, [...bytes.subarray(0, seen.length)]);
    else t.deepEqual(seen, [...bytes], `chunk size ${chunkBytes}`);
  }
});

test('a file output writes every batch in order in the background and end() waits for the last', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'out.bin');
  const sink = openOutput(file);
  const all = pattern(5_000_000, 3);
  let waits = 0;
  for (let at = 0, k = 0; at < all.length; k++) {
    const n = Math.min(all.length - at, 1 + ((k * 7919) % 300_000));
    // The sink takes ownership: hand it a fresh copy, as the pcapng writer hands over its batches.
    const w = sink.write(all.slice(at, at + n));
    if (w !== undefined) { waits++; await w; }
    at += n;
  }
  await sink.end();
  t.deepEqual(new Uint8Array(readFileSync(file)), all);
  t.true(waits > 0, 'more than the queue limit was written, so the writer was asked to wait');
  t.true(sink.closed);
});

test('a file output hands back the buffers of completed writes for reuse', async (t) => {
  const dir = tempDir(t);
  const sink = openOutput(join(dir, 'out.bin'));
  const batch = new Uint8Array(64 * 1024).fill(1);
  await sink.write(batch);
  // One write in flight at most: after end() every queued write has completed.
  await sink.end();
  const spare = sink.spare?.(64 * 1024);
  t.truthy(spare);
  t.is(spare!.buffer, batch.buffer);
  t.is(sink.spare?.(64 * 1024), undefined, 'each spare is handed out once');
});
