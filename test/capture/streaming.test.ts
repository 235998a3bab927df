import test from 'ava';
import { builtFixtures, parseChunks, randomSizes, toolFixtures } from './fixtures.ts';

const all = (): Record<string, Uint8Array> => ({ ...builtFixtures(), ...toolFixtures() });

test('every fixture parsed in 1-byte chunks gives the same records as one-shot parsing', (t) => {
  for (const [name, bytes] of Object.entries(all())) {
    const whole = parseChunks(bytes);
    t.true(whole.records.length > 0, name);
    t.deepEqual(parseChunks(bytes, [1]), whole, name);
  }
});

test('every fixture parsed in seeded random splits gives the same records as one-shot parsing', (t) => {
  for (const [name, bytes] of Object.entries(all())) {
    const whole = parseChunks(bytes);
    for (const seed of [1, 2, 3, 42, 1234]) {
      t.deepEqual(parseChunks(bytes, randomSizes(seed, 64, 1 + (seed % 3 === 0 ? 7 : 300))), whole, `${name} seed ${seed}`);
    }
  }
});

test('a truncated tail is reported the same way whatever the chunking', (t) => {
  for (const [name, bytes] of Object.entries(builtFixtures())) {
    const cut = bytes.subarray(0, bytes.length - 5);
    const whole = parseChunks(cut);
    t.is(whole.truncated?.code, 'TRUNCATED', name);
    t.deepEqual(parseChunks(cut, [1]), whole, name);
    t.deepEqual(parseChunks(cut, randomSizes(7, 32, 100)), whole, name);
  }
});
