import test from 'ava';
import { fileURLToPath } from 'node:url';
import { requireKernel } from '../helpers/kernel.ts';
import { runOracle } from '../helpers/oracle.ts';
import { MIXED_PCAP, generatePackets } from '../../samples/gen-captures.ts';
import { internetChecksum } from '../../samples/packet-builders.ts';

const sample = (name: string): string => fileURLToPath(new URL(`../../samples/${name}.bpf.o`, import.meta.url));
const mixed = [...generatePackets()];
const indexOf = (label: string): number => {
  const i = mixed.findIndex((p) => p.label === label);
  if (i < 0) throw new Error(`no packet labelled ${label}`);
  return i;
};
const u64 = (bytes: Uint8Array, off = 0): bigint => Buffer.from(bytes).readBigUInt64LE(off);
const XDP = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

test('the firewall sample gives the kernel verdicts expected for mixed.pcap', (t) => {
  if (!requireKernel(t)) return;
  const { results, maps, mapInfo } = runOracle({ object: sample('firewall'), program: 'xdp_firewall', packets: MIXED_PCAP });
  t.is(results.length, mixed.length);
  const at = (label: string) => results[indexOf(label)]!;
  for (const label of ['tcp-blocked-port-23', 'udp-blocked-port-11211', 'denied-src-first', 'icmp-redirect', 'ipv4-ihl4',
    'qinq-tcp-blocked-3389', 'ipv4-options-ihl8-blocked-445', 'ipv6-tcp-blocked-3389', 'frame-14-ipv4', 'frame-9000-blocked-port']) {
    t.is(at(label).ret, XDP.DROP, label);
  }
  for (const label of ['tcp-syn-80', 'ipv4-options-ihl15', 'ipv4-later-fragment', 'triple-vlan', 'arp-request', 'frame-3521']) {
    t.is(at(label).ret, XDP.PASS, label);
  }
  t.like(at('runt-13'), { errno: 22, ret: 0 });
  t.is(at('runt-13').out.length, 0);
  t.deepEqual(at('tcp-syn-80').out, mixed[indexOf('tcp-syn-80')]!.data, 'a passed frame comes back unchanged');

  t.deepEqual(maps['deny_v4']!.map(([k]) => Buffer.from(k).toString('hex')), ['c6336442']);
  const dropped = maps['drop_reasons']!.reduce((sum, [, v]) => sum + u64(v), 0n);
  t.is(dropped, BigInt(results.filter((r) => r.errno === 0 && r.ret === XDP.DROP).length));
  const [, dropStats] = maps['action_stats']![XDP.DROP]!;
  t.true(mapInfo['action_stats']!.percpu);
  t.is(dropStats.length, 16 * mapInfo['action_stats']!.ncpus, 'all CPUs, 16 bytes each');
  t.is(u64(dropStats, 0), dropped, 'per-CPU counters land in CPU 0');
});

test('seeds fill maps after load and global data before load', (t) => {
  if (!requireKernel(t)) return;
  const packets = [indexOf('tcp-syn-80'), indexOf('burst-10.9.9.9-0')].map((i) => mixed[i]!.data);
  const plain = runOracle({ object: sample('firewall'), program: 'xdp_firewall', packets });
  t.deepEqual(plain.results.map((r) => r.ret), [XDP.PASS, XDP.PASS]);

  const rodata = new Uint8Array(20);
  const view = Buffer.from(rodata.buffer);
  view.writeUInt16LE(80, 0); // blocked_ports[0] = 80
  view.set([198, 51, 100, 66], 16); // builtin_denied_src unchanged
  const seeded = runOracle({
    object: sample('firewall'),
    program: 'xdp_firewall',
    packets,
    seeds: [
      { map: 'firewall.rodata', key: new Uint8Array(4), value: rodata },
      { map: 'deny_v4', key: Uint8Array.of(10, 9, 9, 9), value: new Uint8Array(8) },
    ],
  });
  t.deepEqual(seeded.results.map((r) => r.ret), [XDP.DROP, XDP.DROP]);
  t.deepEqual(seeded.maps['deny_v4']!.map(([k, v]) => [Buffer.from(k).toString('hex'), u64(v)]), [['0a090909', 1n]]);
});

test('tail calls stop after 33 and an empty slot falls through', (t) => {
  if (!requireKernel(t)) return;
  const packets = [indexOf('local-experimental-88b5'), indexOf('arp-request'), indexOf('ipv4-ttl-1')].map((i) => mixed[i]!.data);
  const { results, maps } = runOracle({ object: sample('tailcall'), program: 'xdp_dispatch', packets });
  t.deepEqual(results.map((r) => r.ret), [XDP.PASS, XDP.PASS, XDP.DROP]);
  const hits = maps['hits']!.map(([, v]) => u64(v));
  t.deepEqual(hits, [1n, 0n, 0n, 33n, 2n]);
});

test('decap leaves its mark in the metadata in front of the output frame', (t) => {
  if (!requireKernel(t)) return;
  const input = mixed[indexOf('ipip-tcp')]!.data;
  const { results } = runOracle({ object: sample('decap'), program: 'xdp_decap', packets: [input], ifindex: 1, rxQueue: 0 });
  const { ret, out } = results[0]!;
  t.is(ret, XDP.PASS);
  t.deepEqual([...out.subarray(0, 4)], [1, 0, 20, 0], 'tunnel_meta {kind IPIP, outer_len 20}');
  t.deepEqual(out.subarray(4, 16), input.subarray(0, 12), 'MAC addresses kept');
  t.deepEqual(out.subarray(18), input.subarray(34), 'inner packet follows the rebuilt Ethernet header');
});

test('the load balancer encapsulates VIP traffic and transmits it', (t) => {
  if (!requireKernel(t)) return;
  const input = mixed[indexOf('vip-tcp-80-flow-0')]!.data;
  const { results } = runOracle({ object: sample('l4lb'), program: 'xdp_l4lb', packets: [input] });
  const { ret, out } = results[0]!;
  t.is(ret, XDP.TX);
  t.is(out.length, input.length + 20);
  t.is(out[14 + 9], 4, 'outer protocol IPIP');
  t.is(internetChecksum(out.subarray(14, 34)), 0, 'outer header checksum (bpf_csum_diff) is valid');
  t.deepEqual(out.subarray(34), input.subarray(14));
});

test('a per-CPU seed given once reaches every CPU, and the run counts on CPU 0 only', (t) => {
  if (!requireKernel(t)) return;
  const start = new Uint8Array(16);
  Buffer.from(start.buffer).writeBigUInt64LE(100n, 0);
  const { maps, mapInfo } = runOracle({
    object: sample('firewall'),
    program: 'xdp_firewall',
    packets: [mixed[indexOf('tcp-syn-80')]!.data],
    seeds: [{ map: 'action_stats', key: Uint8Array.of(XDP.PASS, 0, 0, 0), value: start }],
  });
  const ncpus = mapInfo['action_stats']!.ncpus;
  const [, value] = maps['action_stats']![XDP.PASS]!;
  t.is(u64(value, 0), 101n, 'CPU 0: seeded 100 plus this packet');
  for (let cpu = 1; cpu < ncpus; cpu++) t.is(u64(value, cpu * 16), 100n, `CPU ${cpu} keeps the seed`);
});

test('frames under 14 bytes are refused before the program runs', (t) => {
  if (!requireKernel(t)) return;
  const { results, maps } = runOracle({
    object: sample('printk'),
    program: 'xdp_printk',
    packets: [new Uint8Array(13), new Uint8Array(0), new Uint8Array(14)],
  });
  t.deepEqual(results.map((r) => [r.ret, r.errno]), [[0, 22], [0, 22], [XDP.PASS, 0]]);
  t.is(u64(maps['printk.bss']![0]![1]), 1n, 'only the 14-byte frame was counted');
});
