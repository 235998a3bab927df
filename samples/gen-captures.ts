/**
 * Deterministic generator of the sample captures (classic pcap, LINKTYPE_ETHERNET, µs).
 *
 *   node --import tsx samples/gen-captures.ts                 rewrites samples/captures/mixed.pcap
 *   node --import tsx samples/gen-captures.ts --count 1000000 --seed 7 --out samples/big/1m.pcap
 *
 * Without --count, every scenario below runs once, in order (reaching every path of every
 * sample, see samples/README.md), followed by random draws up to 300 packets. With --count N,
 * scenarios are drawn at
 * random (seeded) until N packets are written, streaming to disk in 1 MiB chunks so memory
 * stays flat. The same seed always gives the same bytes. Timestamps start at
 * 2023-11-14T22:13:20Z and advance by each scenario's gap (1 ms, 10 µs inside bursts).
 *
 * `generatePackets(opts)` is exported for benchmarks and tests: an iterator of
 * `{ tsNs, data, label }` (label names the scenario, e.g. "tcp-blocked-port-23").
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ETH_P, IPPROTO, TCP_FLAGS, arp, concat, ethernet, filler, gue, icmp, icmpv6, ipv4, ipv6, ipv6Ext, padFrame,
  tcp, udp, vlanTag, type Ipv4Options, type L4Endpoints,
} from './packet-builders.ts';

export interface GeneratedPacket {
  tsNs: bigint;
  data: Uint8Array;
  label: string;
}

export interface GenerateOptions {
  /** Number of packets; omitted = each scenario once, in order (the committed capture). */
  count?: number;
  /** PRNG seed (default 1). */
  seed?: number;
}

const START_NS = 1_700_000_000_000_000_000n;

/** mulberry32: a small, fast, seedable 32-bit PRNG. */
class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
}

interface Frame {
  label: string;
  data: Uint8Array;
  /** Microseconds since the previous packet (default 1000). */
  gapUs?: number;
}

const CLIENT_MAC = '02:00:00:00:00:10';
const ROUTER_MAC = '02:00:00:00:00:01';
const HOST_MAC = '02:00:00:00:00:02'; // globals.c host_mac
const VIP = '192.0.2.10';
const LB = '192.0.2.1';

function client(r: Rng): string {
  return `10.1.${r.int(0, 255)}.${r.int(1, 254)}`;
}

function ip4Frame(o: Ipv4Options, l4: Uint8Array, dstMac = ROUTER_MAC): Uint8Array {
  return padFrame(ethernet(dstMac, CLIENT_MAC, ETH_P.IPV4, ipv4(o, l4)));
}

function tcp4(src: string, dst: string, sport: number, dport: number, extra: Partial<Ipv4Options> = {}, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const ep: L4Endpoints = { family: 4, src, dst };
  return ip4Frame({ src, dst, proto: IPPROTO.TCP, ...extra }, tcp(ep, sport, dport, TCP_FLAGS.SYN, payload));
}

function udp4(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, extra: Partial<Ipv4Options> = {}): Uint8Array {
  return ip4Frame({ src, dst, proto: IPPROTO.UDP, ...extra }, udp({ family: 4, src, dst }, sport, dport, payload));
}

function ip6Frame(src: string, dst: string, next: number, body: Uint8Array, hopLimit = 64): Uint8Array {
  return padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV6, ipv6({ src, dst, next, hopLimit }, body)));
}

function tcp6(src: string, dst: string, dport: number, r: Rng): Uint8Array {
  return ip6Frame(src, dst, IPPROTO.TCP, tcp({ family: 6, src, dst }, r.int(1024, 65535), dport, TCP_FLAGS.SYN, new Uint8Array(0)));
}

/** An IPv4/UDP frame of exactly `size` bytes (size ≥ 42). */
function sizedUdp(size: number, r: Rng): Uint8Array {
  const src = client(r);
  return udp4(src, '10.0.0.5', r.int(1024, 65535), 9000, filler(size - 42, size), { frag: 0 });
}

/** IPv6 TCP behind a chain of extension headers (`kinds` outermost first). */
function ip6WithExt(kinds: number[], routingType: number, r: Rng): Uint8Array {
  const src = '2001:db8:1::10';
  const dst = '2001:db8::5';
  let body = tcp({ family: 6, src, dst }, r.int(1024, 65535), 443, TCP_FLAGS.SYN, new Uint8Array(0));
  let next: number = IPPROTO.TCP;
  for (let i = kinds.length - 1; i >= 0; i--) {
    body = ipv6Ext(kinds[i]!, next, body, routingType);
    next = kinds[i]!;
  }
  return ip6Frame(src, dst, next, body);
}

function ipipFrame(inner: Uint8Array, outerProto: number, outer: Partial<Ipv4Options> = {}): Uint8Array {
  return ip4Frame({ src: LB, dst: '10.0.1.10', proto: outerProto, ...outer }, inner);
}

function gueFrame(innerProto: number, inner: Uint8Array, hlen: number, control: boolean, r: Rng): Uint8Array {
  const ep: L4Endpoints = { family: 4, src: LB, dst: '10.0.1.11' };
  return ip4Frame({ src: LB, dst: '10.0.1.11', proto: IPPROTO.UDP },
    udp(ep, r.int(49152, 65535), 6080, gue(innerProto, inner, hlen, control)));
}

function innerTcp4(r: Rng): Uint8Array {
  const src = client(r);
  return ipv4({ src, dst: VIP, proto: IPPROTO.TCP }, tcp({ family: 4, src, dst: VIP }, r.int(1024, 65535), 80, TCP_FLAGS.SYN, new Uint8Array(0)));
}

function innerTcp6(): Uint8Array {
  const src = '2001:db8:1::20';
  const dst = '2001:db8::a';
  return ipv6({ src, dst, next: IPPROTO.TCP }, tcp({ family: 6, src, dst }, 40000, 443, TCP_FLAGS.SYN, new Uint8Array(0)));
}

type Scenario = (r: Rng) => Frame[];

const one = (label: string, make: (r: Rng) => Uint8Array): Scenario => (r) => [{ label, data: make(r) }];

/** Ordinary traffic that passes everywhere (redirect: keys 3, 4, 53 have no DEVMAP port). */
const COMMON: Scenario[] = [
  one('tcp-syn-80', (r) => tcp4(client(r), '10.0.0.3', r.int(1024, 65535), 80)),
  one('tcp-443-data', (r) => tcp4(client(r), '10.0.0.4', r.int(1024, 65535), 443, {}, filler(r.int(0, 1400), 1))),
  one('udp-dns', (r) => udp4(client(r), '10.0.0.53', r.int(1024, 65535), 53, filler(r.int(20, 200), 2))),
  one('ipv6-tcp-443', (r) => tcp6(`2001:db8:1::${r.int(1, 0xffff).toString(16)}`, '2001:db8::5', 443, r)),
  one('vip-tcp-80', (r) => tcp4(client(r), VIP, r.int(1024, 65535), 80)),
];

/** Every path of every sample; the order is the order of the committed mixed capture. */
const SCENARIOS: Scenario[] = [
  ...COMMON,
  // firewall: blocked destination ports (TCP and UDP).
  ...[23, 135, 445, 3389].map((port) => one(`tcp-blocked-port-${port}`, (r) => tcp4(client(r), '10.0.0.3', r.int(1024, 65535), port))),
  one('udp-blocked-port-11211', (r) => udp4(client(r), '10.0.0.3', r.int(1024, 65535), 11211, filler(16, 3))),
  // firewall: denied source (first hit inserts into deny_v4, second increments).
  one('denied-src-first', (r) => tcp4('198.51.100.66', '10.0.0.3', r.int(1024, 65535), 80)),
  one('denied-src-again', (r) => udp4('198.51.100.66', '10.0.0.3', r.int(1024, 65535), 53, filler(8, 4))),
  // ICMP.
  one('icmp-echo', (r) => ip4Frame({ src: client(r), dst: '10.0.0.3', proto: IPPROTO.ICMP }, icmp(8, 0, 0x00010001, filler(56, 5)))),
  one('icmp-redirect', (r) => ip4Frame({ src: '10.0.0.254', dst: client(r), proto: IPPROTO.ICMP }, icmp(5, 1, 0x0a0000fe, filler(28, 6)))),
  one('icmp-truncated', (r) => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV4, ipv4({ src: client(r), dst: '10.0.0.3', proto: IPPROTO.ICMP }, Uint8Array.of(8, 0, 0)))),
  // IPv4 options (IHL 6, 8, 15), allowed and blocked.
  one('ipv4-options-ihl6', (r) => tcp4(client(r), '10.0.0.3', r.int(1024, 65535), 80, { options: Uint8Array.of(0x94, 4, 0, 0) })),
  one('ipv4-options-ihl8-blocked-445', (r) => tcp4(client(r), '10.0.0.3', r.int(1024, 65535), 445, { options: concat(Uint8Array.of(0x07, 11, 4), new Uint8Array(8)) })),
  one('ipv4-options-ihl15', (r) => udp4(client(r), '10.0.0.3', r.int(1024, 65535), 53, filler(12, 7), { options: Uint8Array.of(...new Array<number>(40).fill(1)) })),
  // Malformed IPv4.
  one('ipv4-ihl4', (r) => tcp4(client(r), '10.0.0.3', 1234, 80, { ihl: 4 })),
  one('ipv4-totlen-short', (r) => tcp4(client(r), '10.0.0.3', 1234, 80, { totalLength: 16 })),
  one('ipv4-truncated-header', () => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV4, filler(10, 8))),
  one('tcp-truncated-header', (r) => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV4, ipv4({ src: client(r), dst: '10.0.0.3', proto: IPPROTO.TCP }, filler(12, 9)))),
  one('ipv4-bad-checksum', (r) => tcp4(client(r), '10.0.0.3', r.int(1024, 65535), 80, { badChecksum: true })),
  // Fragments: first (MF) to a blocked port, a later one whose bytes look like port 23.
  one('ipv4-first-fragment-445', (r) => tcp4(client(r), '10.0.0.3', r.int(1024, 65535), 445, { frag: 0x2000, id: 77 }, filler(64, 10))),
  one('ipv4-later-fragment', (r) => ip4Frame({ src: client(r), dst: '10.0.0.3', proto: IPPROTO.TCP, frag: 185, id: 77 }, Uint8Array.of(0x04, 0xd2, 0, 23, ...filler(60, 11)))),
  // TTL edges (tailcall xdp_ipv4 and globals drop TTL < 2).
  one('ipv4-ttl-1', (r) => tcp4(client(r), '10.0.0.3', r.int(1024, 65535), 80, { ttl: 1 })),
  one('ipv4-ttl-0', (r) => udp4(client(r), '10.0.0.3', r.int(1024, 65535), 53, filler(8, 12), { ttl: 0 })),
  // VLAN and QinQ.
  one('vlan-tcp-80', (r) => padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.VLAN, vlanTag(100, ETH_P.IPV4, ipv4({ src: '10.2.0.7', dst: '10.0.0.3', proto: IPPROTO.TCP }, tcp({ family: 4, src: '10.2.0.7', dst: '10.0.0.3' }, r.int(1024, 65535), 80, TCP_FLAGS.SYN, new Uint8Array(0))))))),
  one('vlan-tcp-blocked-23', (r) => padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.VLAN, vlanTag(100, ETH_P.IPV4, ipv4({ src: '10.2.0.7', dst: '10.0.0.3', proto: IPPROTO.TCP }, tcp({ family: 4, src: '10.2.0.7', dst: '10.0.0.3' }, r.int(1024, 65535), 23, TCP_FLAGS.SYN, new Uint8Array(0))))))),
  one('qinq-tcp-blocked-3389', (r) => padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.QINQ, vlanTag(10, ETH_P.VLAN, vlanTag(200, ETH_P.IPV4, ipv4({ src: '10.2.0.8', dst: '10.0.0.3', proto: IPPROTO.TCP }, tcp({ family: 4, src: '10.2.0.8', dst: '10.0.0.3' }, r.int(1024, 65535), 3389, TCP_FLAGS.SYN, new Uint8Array(0)))))))),
  one('qinq-ipv6-tcp-22', (r) => padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.QINQ, vlanTag(10, ETH_P.VLAN, vlanTag(201, ETH_P.IPV6, tcp6('2001:db8:1::30', '2001:db8::5', 22, r).subarray(14)))))),
  one('triple-vlan', () => padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.QINQ, vlanTag(1, ETH_P.VLAN, vlanTag(2, ETH_P.VLAN, vlanTag(3, ETH_P.IPV4, filler(40, 13))))))),
  one('vlan-truncated', () => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.VLAN, Uint8Array.of(0, 100))),
  // IPv6.
  one('ipv6-tcp-22', (r) => tcp6('2001:db8:1::10', '2001:db8::5', 22, r)),
  one('ipv6-tcp-blocked-3389', (r) => tcp6('2001:db8:1::10', '2001:db8::5', 3389, r)),
  one('ipv6-udp-53', (r) => ip6Frame('2001:db8:1::10', '2001:db8::53', IPPROTO.UDP, udp({ family: 6, src: '2001:db8:1::10', dst: '2001:db8::53' }, r.int(1024, 65535), 53, filler(30, 14)))),
  one('icmpv6-echo', () => ip6Frame('2001:db8:1::10', '2001:db8::5', IPPROTO.ICMPV6, icmpv6({ family: 6, src: '2001:db8:1::10', dst: '2001:db8::5' }, 128, 0, filler(32, 15)))),
  one('icmpv6-redirect', () => ip6Frame('fe80::1', 'fe80::10', IPPROTO.ICMPV6, icmpv6({ family: 6, src: 'fe80::1', dst: 'fe80::10' }, 137, 0, filler(32, 16)), 255)),
  one('ipv6-hop-limit-1', (r) => ip6Frame('2001:db8:1::10', '2001:db8::5', IPPROTO.TCP, tcp({ family: 6, src: '2001:db8:1::10', dst: '2001:db8::5' }, r.int(1024, 65535), 80, TCP_FLAGS.SYN, new Uint8Array(0)), 1)),
  one('ipv6-ext-hop-dst', (r) => ip6WithExt([IPPROTO.HOPOPTS, IPPROTO.DSTOPTS], 4, r)),
  one('ipv6-ext-frag-ah', (r) => ip6WithExt([IPPROTO.FRAGMENT, IPPROTO.AH], 4, r)),
  one('ipv6-ext-srh', (r) => ip6WithExt([IPPROTO.HOPOPTS, IPPROTO.ROUTING], 4, r)),
  one('ipv6-ext-rh0', (r) => ip6WithExt([IPPROTO.ROUTING], 0, r)),
  one('ipv6-ext-nine', (r) => ip6WithExt(new Array<number>(9).fill(IPPROTO.DSTOPTS), 4, r)),
  one('ipv6-ext-truncated', () => padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV6, ipv6({ src: '2001:db8:1::10', dst: '2001:db8::5', next: IPPROTO.HOPOPTS }, Uint8Array.of(6, 0))), 0)),
  one('ipv6-truncated-header', () => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV6, filler(30, 17))),
  // Non-IP.
  one('arp-request', () => padFrame(ethernet('ff:ff:ff:ff:ff:ff', CLIENT_MAC, ETH_P.ARP, arp(1, CLIENT_MAC, '10.1.0.10', '00:00:00:00:00:00', '10.1.0.1')))),
  one('arp-reply', () => padFrame(ethernet(CLIENT_MAC, ROUTER_MAC, ETH_P.ARP, arp(2, ROUTER_MAC, '10.1.0.1', CLIENT_MAC, '10.1.0.10')))),
  one('lldp', () => padFrame(ethernet('01:80:c2:00:00:0e', ROUTER_MAC, 0x88cc, filler(30, 18)))),
  one('local-experimental-88b5', () => padFrame(ethernet(ROUTER_MAC, CLIENT_MAC, 0x88b5, filler(46, 19)))),
  // l4lb: VIP traffic from several flows, other VIP cases.
  (r) => Array.from({ length: 6 }, (_, i) => ({ label: `vip-tcp-80-flow-${i}`, data: tcp4(client(r), VIP, r.int(1024, 65535), 80) })),
  one('vip-udp-53', (r) => udp4(client(r), VIP, r.int(1024, 65535), 53, filler(20, 20))),
  one('vip-tcp-options', (r) => tcp4(client(r), VIP, r.int(1024, 65535), 443, { options: Uint8Array.of(0x94, 4, 0, 0) })),
  one('vip-icmp', (r) => ip4Frame({ src: client(r), dst: VIP, proto: IPPROTO.ICMP }, icmp(8, 0, 0x00020001, filler(56, 21)))),
  one('vip-fragment', (r) => tcp4(client(r), VIP, r.int(1024, 65535), 80, { frag: 0x2000, id: 99 })),
  one('vip-truncated-l4', (r) => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV4, ipv4({ src: client(r), dst: VIP, proto: IPPROTO.UDP }, Uint8Array.of(0x30, 0x39)))),
  // decap: tunnels.
  one('ipip-tcp', (r) => ipipFrame(innerTcp4(r), IPPROTO.IPIP)),
  one('ipip-outer-options', (r) => ipipFrame(innerTcp4(r), IPPROTO.IPIP, { options: Uint8Array.of(0x94, 4, 0, 0) })),
  one('ip6ip-tcp', () => ipipFrame(innerTcp6(), IPPROTO.IPV6)),
  one('gue-ipv4', (r) => gueFrame(IPPROTO.IPIP, innerTcp4(r), 0, false, r)),
  one('gue-ipv6-hlen2', (r) => gueFrame(IPPROTO.IPV6, innerTcp6(), 2, false, r)),
  one('gue-control', (r) => gueFrame(IPPROTO.IPIP, innerTcp4(r), 0, true, r)),
  one('gue-unknown-inner', (r) => gueFrame(IPPROTO.TCP, innerTcp4(r), 0, false, r)),
  one('ipip-truncated-inner', () => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV4, ipv4({ src: LB, dst: '10.0.1.10', proto: IPPROTO.IPIP }, filler(12, 22)))),
  one('udp-6080-no-gue', (r) => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV4, ipv4({ src: LB, dst: '10.0.1.11', proto: IPPROTO.UDP }, udp({ family: 4, src: LB, dst: '10.0.1.11' }, r.int(49152, 65535), 6080, new Uint8Array(0))))),
  // ratelimit: 12 packets from one source 10 µs apart (8 pass, 4 drop), then one 20 ms later.
  (r) => [
    ...Array.from({ length: 12 }, (_, i) => ({ label: `burst-10.9.9.9-${i}`, data: udp4('10.9.9.9', '10.0.0.3', 5000 + i, 53, filler(20, i)), gapUs: 10 })),
    { label: 'burst-10.9.9.9-after', data: tcp4('10.9.9.9', '10.0.0.3', r.int(1024, 65535), 80), gapUs: 20_000 },
  ],
  // globals: frames addressed to the host MAC.
  one('to-host-mac', (r) => ip4Frame({ src: client(r), dst: '10.0.0.2', proto: IPPROTO.UDP }, udp({ family: 4, src: '10.1.0.1', dst: '10.0.0.2' }, 1234, 5678, filler(10, 23)), HOST_MAC)),
  // redirect: DEVMAP keys 1, 7, 8 (out of range) and 200 (out of range).
  ...[1, 7, 8, 200].map((host) => one(`redirect-key-${host}`, (r) => tcp4(client(r), `10.0.0.${host}`, r.int(1024, 65535), 80))),
  // Frame sizes.
  one('runt-13', () => filler(13, 24)),
  one('frame-14-ipv4', () => ethernet(ROUTER_MAC, CLIENT_MAC, ETH_P.IPV4, new Uint8Array(0))),
  one('frame-14-arp', () => ethernet('ff:ff:ff:ff:ff:ff', CLIENT_MAC, ETH_P.ARP, new Uint8Array(0))),
  ...[60, 1500, 1514, 1515, 3520, 3521, 9000].map((size) => one(`frame-${size}`, (r) => sizedUdp(size, r))),
  one('frame-9000-blocked-port', (r) => udp4(client(r), '10.0.0.3', r.int(1024, 65535), 445, filler(9000 - 42, 25), { frag: 0 })),
];

/** Size of the default capture: every scenario once, then random draws up to this count. */
export const MIXED_COUNT = 300;

export function* generatePackets(opts: GenerateOptions = {}): Generator<GeneratedPacket> {
  const rng = new Rng(opts.seed ?? 1);
  let tsNs = START_NS;
  let emitted = 0;
  const emit = (f: Frame): GeneratedPacket => {
    if (emitted > 0) tsNs += BigInt(f.gapUs ?? 1000) * 1000n;
    emitted++;
    return { tsNs, data: f.data, label: f.label };
  };
  let count = opts.count;
  if (count === undefined) {
    for (const scenario of SCENARIOS) for (const f of scenario(rng)) yield emit(f);
    count = MIXED_COUNT;
  }
  while (emitted < count) {
    const scenario = rng.next() % 4 === 0 ? SCENARIOS[rng.next() % SCENARIOS.length]! : COMMON[rng.next() % COMMON.length]!;
    for (const f of scenario(rng)) {
      if (emitted >= count) return;
      yield emit(f);
    }
  }
}

const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;
const CHUNK = 1 << 20;

/** Writes packets as a classic little-endian µs pcap; returns the number written. */
export function writePcap(path: string, packets: Iterable<{ tsNs: bigint; data: Uint8Array }>): number {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  const buf = Buffer.alloc(CHUNK);
  let used = 0;
  let count = 0;
  const flush = (): void => {
    if (used > 0) writeSync(fd, buf, 0, used);
    used = 0;
  };
  try {
    buf.writeUInt32LE(0xa1b2c3d4, 0);
    buf.writeUInt16LE(2, 4);
    buf.writeUInt16LE(4, 6);
    buf.writeInt32LE(0, 8);
    buf.writeUInt32LE(0, 12);
    buf.writeUInt32LE(SNAPLEN, 16);
    buf.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    used = 24;
    for (const p of packets) {
      const need = 16 + p.data.length;
      if (used + need > CHUNK) flush();
      const us = p.tsNs / 1000n;
      buf.writeUInt32LE(Number(us / 1_000_000n), used);
      buf.writeUInt32LE(Number(us % 1_000_000n), used + 4);
      buf.writeUInt32LE(p.data.length, used + 8);
      buf.writeUInt32LE(p.data.length, used + 12);
      buf.set(p.data, used + 16);
      used += need;
      count++;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return count;
}

export const MIXED_PCAP = fileURLToPath(new URL('./captures/mixed.pcap', import.meta.url));

function main(argv: string[]): void {
  const opts: GenerateOptions = {};
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--count': opts.count = Number(value); i++; break;
      case '--seed': opts.seed = Number(value); i++; break;
      case '--out': out = value; i++; break;
      default:
        process.stderr.write(`usage: gen-captures.ts [--count N] [--seed S] [--out FILE] (unknown: ${argv[i]})\n`);
        process.exit(2);
    }
  }
  if ((opts.count !== undefined && !(Number.isInteger(opts.count) && opts.count >= 0)) || (opts.seed !== undefined && !Number.isInteger(opts.seed))) {
    process.stderr.write('gen-captures: --count and --seed take non-negative integers\n');
    process.exit(2);
  }
  const path = out ?? (opts.count === undefined ? MIXED_PCAP : 'samples/big/capture.pcap');
  const n = writePcap(path, generatePackets(opts));
  process.stderr.write(`gen-captures: wrote ${n} packets to ${path}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
