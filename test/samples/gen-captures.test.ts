import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIXED_COUNT, MIXED_PCAP, generatePackets, writePcap } from '../../samples/gen-captures.ts';
import { internetChecksum } from '../../samples/packet-builders.ts';

test('the committed mixed capture is exactly what the generator writes today', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-gen-'));
  try {
    const path = join(dir, 'mixed.pcap');
    t.is(writePcap(path, generatePackets()), MIXED_COUNT);
    t.deepEqual(readFileSync(path), readFileSync(MIXED_PCAP), 'run `node --import tsx samples/gen-captures.ts`');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same seed gives the same packets and another seed different ones', (t) => {
  const a = [...generatePackets({ count: 200, seed: 5 })];
  const b = [...generatePackets({ count: 200, seed: 5 })];
  const c = [...generatePackets({ count: 200, seed: 6 })];
  t.is(a.length, 200);
  t.deepEqual(a, b);
  t.notDeepEqual(a.map((p) => p.data), c.map((p) => p.data));
});

test('timestamps are fixed and strictly increasing', (t) => {
  const packets = [...generatePackets()];
  t.is(packets[0]!.tsNs, 1_700_000_000_000_000_000n);
  for (let i = 1; i < packets.length; i++) t.true(packets[i]!.tsNs > packets[i - 1]!.tsNs);
  for (const p of packets) t.is(p.tsNs % 1000n, 0n);
});

test('the mixed capture has the edge frame sizes and every scenario once', (t) => {
  const packets = [...generatePackets()];
  const sizes = new Set(packets.map((p) => p.data.length));
  for (const size of [13, 14, 60, 1500, 3520, 3521, 9000]) t.true(sizes.has(size), `frame of ${size} bytes`);
  const labels = packets.map((p) => p.label);
  for (const label of ['tcp-blocked-port-23', 'qinq-tcp-blocked-3389', 'ipv6-ext-rh0', 'gue-ipv6-hlen2', 'ipip-tcp', 'burst-10.9.9.9-11', 'local-experimental-88b5', 'runt-13']) {
    t.true(labels.includes(label), label);
  }
});

test('IPv4 headers carry correct checksums except the deliberately bad one', (t) => {
  for (const p of generatePackets()) {
    const d = p.data;
    if (d.length < 34 || d[12] !== 0x08 || d[13] !== 0x00 || d[14]! >> 4 !== 4) continue;
    const ihl = (d[14]! & 0xf) * 4;
    if (ihl < 20 || 14 + ihl > d.length) continue;
    const ok = internetChecksum(d.subarray(14, 14 + ihl)) === 0;
    t.is(ok, p.label !== 'ipv4-bad-checksum', p.label);
  }
});
