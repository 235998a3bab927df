/**
 * A small Ethernet decoder for human output: one-line summaries (tcpdump-like) and the name of
 * the protocol field a byte offset falls in (for diffs of rewritten packets). It decodes what
 * XDP programs typically touch: Ethernet, up to two VLAN tags, ARP, IPv4 (with options), IPv6
 * (with extension headers), TCP, UDP, ICMP, ICMPv6, and IPIP/GUE-less tunnels as nested IPv4.
 * It never throws: a short or odd packet decodes as far as its bytes go.
 */

export interface DecodedField {
  /** Dotted name, e.g. `eth.dst`, `vlan[0].tci`, `ipv4.ttl`, `tcp.dport`, `payload`. */
  name: string;
  byteOffset: number;
  length: number;
}

export interface DecodedPacket {
  /** tcpdump-like one-liner, e.g. `IP 10.0.0.1.1234 > 10.0.0.2.80: tcp` or `ethertype 0x88cc`. */
  summary: string;
  /** 5-tuple where IP: protocol name, addresses, ports (0 when none). */
  flow?: { proto: string; src: string; dst: string; sport: number; dport: number };
  fields: DecodedField[];
}

const ETH_P = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
const IPPROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 58: 'icmp6', 132: 'sctp' };
const IPV6_EXT_HEADERS = new Set([0, 43, 60, 51]); // hop-by-hop, routing, destination options, AH (fragment 44 handled apart)

function mac(b: Uint8Array, at: number): string {
  return Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

function ipv4Addr(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function ipv6Addr(b: Uint8Array, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[at + i]! << 8) | b[at + i + 1]!).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

export function decodePacket(b: Uint8Array): DecodedPacket {
  const fields: DecodedField[] = [];
  const field = (name: string, byteOffset: number, length: number): void => {
    if (byteOffset < b.length) fields.push({ name, byteOffset, length: Math.min(length, b.length - byteOffset) });
  };
  if (b.length < 14) {
    field('eth', 0, b.length);
    return { summary: `runt frame of ${b.length} bytes`, fields };
  }
  field('eth.dst', 0, 6);
  field('eth.src', 6, 6);
  field('eth.type', 12, 2);
  let at = 12;
  let type = u16(b, at);
  let vlans = '';
  for (let n = 0; (type === ETH_P.VLAN || type === ETH_P.QINQ) && n < 2 && at + 6 <= b.length; n++) {
    field(`vlan[${n}].tci`, at + 2, 2);
    field(`vlan[${n}].type`, at + 4, 2);
    vlans += `vlan ${u16(b, at + 2) & 0x0fff} `;
    at += 4;
    type = u16(b, at);
  }
  at += 2;
  const l3 = decodeL3(b, type, at, field, 0);
  if (l3 !== undefined) return { summary: vlans + l3.summary, ...(l3.flow ? { flow: l3.flow } : {}), fields };
  field('payload', at, b.length - at);
  return { summary: `${vlans}${mac(b, 6)} > ${mac(b, 0)}, ethertype 0x${type.toString(16).padStart(4, '0')}, length ${b.length}`, fields };
}

type FieldFn = (name: string, byteOffset: number, length: number) => void;
type L3 = { summary: string; flow?: DecodedPacket['flow'] } | undefined;

function decodeL3(b: Uint8Array, type: number, at: number, field: FieldFn, depth: number): L3 {
  const inner = depth === 0 ? '' : 'inner.';
  if (type === ETH_P.ARP && at + 28 <= b.length) {
    field(`${inner}arp`, at, 28);
    const op = u16(b, at + 6);
    const spa = ipv4Addr(b, at + 14), tpa = ipv4Addr(b, at + 24);
    return { summary: op === 1 ? `ARP, Request who-has ${tpa} tell ${spa}` : op === 2 ? `ARP, Reply ${spa} is-at ${mac(b, at + 8)}` : `ARP, op ${op}` };
  }
  if (type === ETH_P.IPV4 && at + 20 <= b.length) {
    const ihl = (b[at]! & 0x0f) * 4;
    field(`${inner}ipv4.ver_ihl`, at, 1);
    field(`${inner}ipv4.tos`, at + 1, 1);
    field(`${inner}ipv4.tot_len`, at + 2, 2);
    field(`${inner}ipv4.id`, at + 4, 2);
    field(`${inner}ipv4.frag_off`, at + 6, 2);
    field(`${inner}ipv4.ttl`, at + 8, 1);
    field(`${inner}ipv4.protocol`, at + 9, 1);
    field(`${inner}ipv4.check`, at + 10, 2);
    field(`${inner}ipv4.saddr`, at + 12, 4);
    field(`${inner}ipv4.daddr`, at + 16, 4);
    if (ihl > 20) field(`${inner}ipv4.options`, at + 20, ihl - 20);
    const src = ipv4Addr(b, at + 12), dst = ipv4Addr(b, at + 16);
    const proto = b[at + 9]!;
    const fragmented = (u16(b, at + 6) & 0x1fff) !== 0;
    if (ihl < 20) return { summary: `IP ${src} > ${dst}: bad header length ${ihl}` };
    return decodeL4(b, proto, at + ihl, src, dst, 'IP', fragmented, field, depth);
  }
  if (type === ETH_P.IPV6 && at + 40 <= b.length) {
    field(`${inner}ipv6.ver_tc_flow`, at, 4);
    field(`${inner}ipv6.payload_len`, at + 4, 2);
    field(`${inner}ipv6.nexthdr`, at + 6, 1);
    field(`${inner}ipv6.hop_limit`, at + 7, 1);
    field(`${inner}ipv6.saddr`, at + 8, 16);
    field(`${inner}ipv6.daddr`, at + 24, 16);
    const src = ipv6Addr(b, at + 8), dst = ipv6Addr(b, at + 24);
    let next = b[at + 6]!;
    let off = at + 40;
    let fragmented = false;
    for (let n = 0; n < 8 && off + 8 <= b.length; n++) {
      if (next === 44) {
        field(`${inner}ipv6.frag`, off, 8);
        fragmented = (u16(b, off + 2) & 0xfff8) !== 0;
        next = b[off]!;
        off += 8;
      } else if (IPV6_EXT_HEADERS.has(next)) {
        const len = next === 51 ? (b[off + 1]! + 2) * 4 : (b[off + 1]! + 1) * 8;
        field(`${inner}ipv6.ext[${n}]`, off, len);
        next = b[off]!;
        off += len;
      } else break;
    }
    return decodeL4(b, next, off, src, dst, 'IP6', fragmented, field, depth);
  }
  return undefined;
}

function decodeL4(b: Uint8Array, proto: number, at: number, src: string, dst: string, fam: string, fragmented: boolean, field: FieldFn, depth: number): L3 {
  const inner = depth === 0 ? '' : 'inner.';
  const name = IPPROTO_NAMES[proto] ?? `proto ${proto}`;
  const flow = { proto: name, src, dst, sport: 0, dport: 0 };
  if (!fragmented && (proto === 6 || proto === 17) && at + 4 <= b.length) {
    const l4 = proto === 6 ? 'tcp' : 'udp';
    field(`${inner}${l4}.sport`, at, 2);
    field(`${inner}${l4}.dport`, at + 2, 2);
    if (proto === 6) {
      field(`${inner}tcp.seq`, at + 4, 4);
      field(`${inner}tcp.ack`, at + 8, 4);
      field(`${inner}tcp.off_flags`, at + 12, 2);
      field(`${inner}tcp.window`, at + 14, 2);
      field(`${inner}tcp.check`, at + 16, 2);
      field(`${inner}tcp.urg_ptr`, at + 18, 2);
      const hl = at + 12 < b.length ? (b[at + 12]! >> 4) * 4 : 20;
      if (hl > 20) field(`${inner}tcp.options`, at + 20, hl - 20);
      field(`${inner}payload`, at + Math.max(20, hl), b.length);
    } else {
      field(`${inner}udp.len`, at + 4, 2);
      field(`${inner}udp.check`, at + 6, 2);
      field(`${inner}payload`, at + 8, b.length);
    }
    flow.sport = u16(b, at);
    flow.dport = u16(b, at + 2);
    return { summary: `${fam} ${src}.${flow.sport} > ${dst}.${flow.dport}: ${l4}`, flow };
  }
  if ((proto === 1 || proto === 58) && at + 2 <= b.length) {
    field(`${inner}${name}.type`, at, 1);
    field(`${inner}${name}.code`, at + 1, 1);
    field(`${inner}${name}.check`, at + 2, 2);
    field(`${inner}payload`, at + 4, b.length);
    return { summary: `${fam} ${src} > ${dst}: ${name} type ${b[at]} code ${b[at + 1]}`, flow };
  }
  if ((proto === 4 || proto === 41) && depth === 0) {
    const innerL3 = decodeL3(b, proto === 4 ? ETH_P.IPV4 : ETH_P.IPV6, at, field, 1);
    if (innerL3 !== undefined) return { summary: `${fam} ${src} > ${dst}: ${name} (${innerL3.summary})`, flow };
  }
  field(`${inner}payload`, at, b.length);
  return { summary: `${fam} ${src} > ${dst}: ${name}${fragmented ? ' fragment' : ''}`, flow };
}

/** Name of the innermost decoded field that contains `byteOffset` (or `beyond end`). */
export function fieldAt(decoded: DecodedPacket, byteOffset: number): string {
  let best: DecodedField | undefined;
  for (const f of decoded.fields) {
    if (byteOffset >= f.byteOffset && byteOffset < f.byteOffset + f.length && (best === undefined || f.length <= best.length)) best = f;
  }
  return best?.name ?? 'beyond end';
}
