import test from 'ava';
import { ViewCache } from '../../lib/vm/view-cache.ts';

test('a view cache returns one view per range and always the bytes of the range asked for', (t) => {
  const buffer = new ArrayBuffer(1 << 16);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff;
  const cache = new ViewCache(buffer, 16);
  const a = cache.view(256, 60);
  t.is(cache.view(256, 60), a, 'the same range gives the same view');
  t.deepEqual([a.byteOffset, a.length], [256, 60]);
  const b = cache.view(257, 60);
  t.not(b, a);
  t.deepEqual([b.byteOffset, b.length, b[0]], [257, 60, 1]);
  // Ranges that share a slot (start + 31·length ≡ same mod 16) evict each other, never alias.
  const c = cache.view(256 + 16, 60);
  const d = cache.view(256, 60);
  t.deepEqual([c.byteOffset, d.byteOffset, d.length], [272, 256, 60]);
  t.deepEqual([c[0], d[0], a[0]], [bytes[272], bytes[256], bytes[256]]);
});
