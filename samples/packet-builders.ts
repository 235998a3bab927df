/**
 * Byte-level builders for the sample captures: Ethernet, VLAN, ARP, IPv4 (options,
 * fragments), IPv6 (extension headers), TCP, UDP, ICMP, ICMPv6 and GUE, with correct
 * checksums unless asked otherwise. Every builder returns a fresh Uint8Array; `concat`
 * joins layers. Addresses are written as strings ("10.0.0.1", "2001:db8::1",
 * "02:00:00:00:00:01").
 */

export const ETH_P = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
export const IPPROTO = {
  HOPOPTS: 0, ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, ROUTING: 43, FRAGMENT: 44, AH: 51,
  ICMPV6: 58, NONE: 59, DSTOPTS: 60,
} as const;

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const macCache = new Map<string, Uint8Array>();

export function mac(text: string): Uint8Array {
  let bytes = macCache.get(text);
  if (bytes === undefined) {
    bytes = Uint8Array.from(text.split(':').map((h) => Number.parseInt(h, 16)));
    if (macCache.size < 1024) macCache.set(text, bytes);
  }
  return bytes.slice();
}

export function ipv4Addr(text: string): Uint8Array {
  const out = new Uint8Array(4);
  let octet = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      out[octet++] = value;
      value = 0;
    } else value = value * 10 + (c - 48);
  }
  out[octet] = value;
  return out;
}

export function ipv6Addr(text: string): Uint8Array {
  const [head = '', tail] = text.split('::');
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const hi = words(head);
  const lo = tail === undefined ? [] : words(tail);
  const all = [...hi, ...new Array<number>(8 - hi.length - lo.length).fill(0), ...lo];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function u16(v: number): Uint8Array {
  return Uint8Array.of((v >> 8) & 0xff, v & 0xff);
}

/** Ones' complement sum of `bytes` (big-endian 16-bit words) added to `initial`, not folded. */
function onesSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function internetChecksum(bytes: Uint8Array): number {
  return fold(onesSum(bytes));
}

export function ethernet(dst: string, src: string, ethertype: number, payload: Uint8Array): Uint8Array {
  return concat(mac(dst), mac(src), u16(ethertype), payload);
}

/** One VLAN tag (TCI) followed by the inner EtherType; put the tag's own TPID in the outer header. */
export function vlanTag(vid: number, innerType: number, payload: Uint8Array, pcp = 0): Uint8Array {
  return concat(u16((pcp << 13) | (vid & 0xfff)), u16(innerType), payload);
}

export function arp(op: 1 | 2, senderMac: string, senderIp: string, targetMac: string, targetIp: string): Uint8Array {
  return concat(u16(1), u16(ETH_P.IPV4), Uint8Array.of(6, 4), u16(op), mac(senderMac), ipv4Addr(senderIp),
    mac(targetMac), ipv4Addr(targetIp));
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Raw fragment field: flags (DF 0x4000, MF 0x2000) | offset in 8-byte units. */
  frag?: number;
  /** IP options, padded with zero (end of options) to a multiple of 4 bytes. */
  options?: Uint8Array;
  /** Override the IHL field (for malformed headers). */
  ihl?: number;
  /** Override the total length field. */
  totalLength?: number;
  badChecksum?: boolean;
}

export function ipv4(o: Ipv4Options, payload: Uint8Array): Uint8Array {
  const optLen = o.options ? Math.ceil(o.options.length / 4) * 4 : 0;
  const header = new Uint8Array(20 + optLen);
  const ihl = o.ihl ?? header.length / 4;
  header[0] = 0x40 | (ihl & 0xf);
  header[1] = o.tos ?? 0;
  header.set(u16(o.totalLength ?? header.length + payload.length), 2);
  header.set(u16(o.id ?? 0), 4);
  header.set(u16(o.frag ?? 0x4000), 6);
  header[8] = o.ttl ?? 64;
  header[9] = o.proto;
  header.set(ipv4Addr(o.src), 12);
  header.set(ipv4Addr(o.dst), 16);
  if (o.options) header.set(o.options, 20);
  const csum = internetChecksum(header);
  header.set(u16(o.badChecksum ? csum ^ 0x5a5a : csum), 10);
  return concat(header, payload);
}

export interface Ipv6Options {
  src: string;
  dst: string;
  next: number;
  hopLimit?: number;
  flowLabel?: number;
}

export function ipv6(o: Ipv6Options, payload: Uint8Array): Uint8Array {
  const header = new Uint8Array(40);
  const flow = o.flowLabel ?? 0;
  header.set([0x60 | 0, (flow >> 16) & 0x0f, (flow >> 8) & 0xff, flow & 0xff], 0);
  header.set(u16(payload.length), 4);
  header[6] = o.next;
  header[7] = o.hopLimit ?? 64;
  header.set(ipv6Addr(o.src), 8);
  header.set(ipv6Addr(o.dst), 24);
  return concat(header, payload);
}

/**
 * An IPv6 extension header of the given kind, whose next header is `next`. `bodyLen` is the
 * length after the first two bytes for options/routing (total a multiple of 8); a routing
 * header gets `routingType` in its third byte.
 */
export function ipv6Ext(kind: number, next: number, payload: Uint8Array, routingType = 4): Uint8Array {
  if (kind === IPPROTO.FRAGMENT) return concat(Uint8Array.of(next, 0, 0, 0, 0, 0, 0, 1), payload);
  if (kind === IPPROTO.AH) {
    // 12 bytes of fixed fields + 12 bytes of ICV = 24 bytes: length field (24/4) - 2 = 4.
    const ah = new Uint8Array(24);
    ah[0] = next;
    ah[1] = 4;
    ah.set([0, 0, 0, 1], 4);
    return concat(ah, payload);
  }
  const ext = new Uint8Array(8);
  ext[0] = next;
  ext[1] = 0;
  if (kind === IPPROTO.ROUTING) ext.set([routingType, 0], 2);
  else ext.set([1, 4, 0, 0, 0, 0], 2); // PadN option filling the rest
  return concat(ext, payload);
}

function pseudoSum(srcDst: Uint8Array, proto: number, length: number): number {
  return onesSum(srcDst) + proto + length;
}

/** TCP or UDP checksum over the IPv4 or IPv6 pseudo header (addresses given as strings). */
function l4Checksum(family: 4 | 6, src: string, dst: string, proto: number, segment: Uint8Array): number {
  const addrs = family === 4 ? concat(ipv4Addr(src), ipv4Addr(dst)) : concat(ipv6Addr(src), ipv6Addr(dst));
  const sum = onesSum(segment, pseudoSum(addrs, proto, segment.length));
  const csum = fold(sum);
  return proto === IPPROTO.UDP && csum === 0 ? 0xffff : csum;
}

export interface L4Endpoints {
  family: 4 | 6;
  src: string;
  dst: string;
}

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export function tcp(ep: L4Endpoints, sport: number, dport: number, flags: number, payload: Uint8Array, seq = 1): Uint8Array {
  const h = new Uint8Array(20);
  h.set(u16(sport), 0);
  h.set(u16(dport), 2);
  new DataView(h.buffer).setUint32(4, seq >>> 0);
  new DataView(h.buffer).setUint32(8, flags & TCP_FLAGS.ACK ? 1 : 0);
  h[12] = 5 << 4;
  h[13] = flags;
  h.set(u16(64240), 14);
  const seg = concat(h, payload);
  seg.set(u16(l4Checksum(ep.family, ep.src, ep.dst, IPPROTO.TCP, seg)), 16);
  return seg;
}

export function udp(ep: L4Endpoints, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  h.set(u16(sport), 0);
  h.set(u16(dport), 2);
  h.set(u16(8 + payload.length), 4);
  const seg = concat(h, payload);
  seg.set(u16(l4Checksum(ep.family, ep.src, ep.dst, IPPROTO.UDP, seg)), 6);
  return seg;
}

export function icmp(type: number, code: number, rest: number, payload: Uint8Array): Uint8Array {
  const msg = concat(Uint8Array.of(type, code, 0, 0), new Uint8Array(4), payload);
  new DataView(msg.buffer).setUint32(4, rest >>> 0);
  msg.set(u16(internetChecksum(msg)), 2);
  return msg;
}

export function icmpv6(ep: L4Endpoints, type: number, code: number, payload: Uint8Array): Uint8Array {
  const msg = concat(Uint8Array.of(type, code, 0, 0, 0, 0, 0, 1), payload);
  msg.set(u16(l4Checksum(6, ep.src, ep.dst, IPPROTO.ICMPV6, msg)), 2);
  return msg;
}

/** GUE variant 0 header: `hlen` optional 32-bit words (zero-filled) follow the base header. */
export function gue(innerProto: number, payload: Uint8Array, hlen = 0, control = false): Uint8Array {
  const h = new Uint8Array(4 + hlen * 4);
  h[0] = (control ? 0x20 : 0) | (hlen & 0x1f);
  h[1] = innerProto;
  return concat(h, payload);
}

/** Bytes 0..n-1 of a repeating pattern, seeded so payloads differ between packets. */
export function filler(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, n));
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Pads a frame with zeros to the Ethernet minimum of 60 bytes (no FCS), like a real NIC. */
export function padFrame(frame: Uint8Array, min = 60): Uint8Array {
  return frame.length >= min ? frame : concat(frame, new Uint8Array(min - frame.length));
}
