/**
 * Byte builders for capture tests: pcap headers/records and pcapng blocks/options, in either
 * byte order, so every reader feature can be exercised without committed binaries.
 */

export interface Endian {
  /** Default true. */
  littleEndian?: boolean;
}

const enc = new TextEncoder();

export function u16(v: number, o: Endian = {}): number[] {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, o.littleEndian ?? true);
  return [...b];
}

export function u32(v: number, o: Endian = {}): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, o.littleEndian ?? true);
  return [...b];
}

export function u64(v: bigint, o: Endian = {}): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), o.littleEndian ?? true);
  return [...b];
}

export const u16le = (v: number): number[] => u16(v);
export const u32le = (v: number): number[] => u32(v);
export const u64le = (v: bigint): number[] => u64(v);

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function pad4(bytes: number[]): number[] {
  const out = [...bytes];
  while (out.length % 4) out.push(0);
  return out;
}

/** A classic pcap file header. */
export function pcapHeader(o: Endian & { nanos?: boolean; linkType?: number; snaplen?: number; major?: number; minor?: number } = {}): number[] {
  const e = { littleEndian: o.littleEndian ?? true };
  return [
    ...u32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, e), ...u16(o.major ?? 2, e), ...u16(o.minor ?? 4, e),
    ...u32(0, e), ...u32(0, e), ...u32(o.snaplen ?? 262144, e), ...u32(o.linkType ?? 1, e),
  ];
}

/** A classic pcap packet record; `frac` is µs or ns per the header's magic. */
export function pcapRecord(p: Endian & { sec: number; frac: number; data: Uint8Array | number[]; origLen?: number; caplen?: number }): number[] {
  const e = { littleEndian: p.littleEndian ?? true };
  return [...u32(p.sec, e), ...u32(p.frac, e), ...u32(p.caplen ?? p.data.length, e), ...u32(p.origLen ?? p.data.length, e), ...p.data];
}

/** One pcapng option (code, length, value padded to 4). */
export function option(code: number, value: Uint8Array | number[], o: Endian = {}): number[] {
  return [...u16(code, o), ...u16(value.length, o), ...pad4([...value])];
}

export function stringOption(code: number, s: string, o: Endian = {}): number[] {
  return option(code, enc.encode(s), o);
}

/** Options followed by opt_endofopt (empty list → no bytes). */
export function options(list: number[][], o: Endian = {}): number[] {
  return list.length === 0 ? [] : [...list.flat(), ...u32(0, o)];
}

/** type + total length + body (padded) + total length. */
export function pcapngBlock(type: number, body: Uint8Array | number[], o: Endian = {}): number[] {
  const b = pad4([...body]);
  const total = b.length + 12;
  return [...u32(type, o), ...u32(total, o), ...b, ...u32(total, o)];
}

export function shb(o: Endian & { options?: number[][]; major?: number } = {}): number[] {
  return pcapngBlock(0x0a0d0d0a, [
    ...u32(0x1a2b3c4d, o), ...u16(o.major ?? 1, o), ...u16(0, o), ...u64(-1n, o), ...options(o.options ?? [], o),
  ], o);
}

export function idb(o: Endian & { linkType?: number; snaplen?: number; options?: number[][] } = {}): number[] {
  return pcapngBlock(1, [...u16(o.linkType ?? 1, o), ...u16(0, o), ...u32(o.snaplen ?? 262144, o), ...options(o.options ?? [], o)], o);
}

export interface EpbSpec extends Endian {
  interfaceId?: number;
  /** Timestamp in the interface's units. */
  ts?: bigint;
  data: Uint8Array | number[];
  origLen?: number;
  caplen?: number;
  options?: number[][];
}

export function epb(p: EpbSpec): number[] {
  const ts = p.ts ?? 0n;
  return pcapngBlock(6, [
    ...u32(p.interfaceId ?? 0, p), ...u32(Number(ts >> 32n), p), ...u32(Number(ts & 0xffffffffn), p),
    ...u32(p.caplen ?? p.data.length, p), ...u32(p.origLen ?? p.data.length, p), ...pad4([...p.data]), ...options(p.options ?? [], p),
  ], p);
}

/** Obsolete Packet Block (type 2). */
export function pb(p: EpbSpec & { drops?: number }): number[] {
  const ts = p.ts ?? 0n;
  return pcapngBlock(2, [
    ...u16(p.interfaceId ?? 0, p), ...u16(p.drops ?? 0, p), ...u32(Number(ts >> 32n), p), ...u32(Number(ts & 0xffffffffn), p),
    ...u32(p.data.length, p), ...u32(p.origLen ?? p.data.length, p), ...pad4([...p.data]), ...options(p.options ?? [], p),
  ], p);
}

export function spb(p: Endian & { data: Uint8Array | number[]; origLen?: number }): number[] {
  return pcapngBlock(3, [...u32(p.origLen ?? p.data.length, p), ...pad4([...p.data])], p);
}

export function isb(p: Endian & { interfaceId?: number; ts?: bigint; options?: number[][] }): number[] {
  const ts = p.ts ?? 0n;
  return pcapngBlock(5, [...u32(p.interfaceId ?? 0, p), ...u32(Number(ts >> 32n), p), ...u32(Number(ts & 0xffffffffn), p), ...options(p.options ?? [], p)], p);
}

/** epb_verdict value: type byte + u64 action (eBPF TC = 1, XDP = 2). */
export function verdictValue(type: number, action: bigint, o: Endian = {}): number[] {
  return [type, ...u64(action, o)];
}

/** A deterministic PRNG (mulberry32) for seeded splits and packet contents. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A plausible Ethernet/IPv4/UDP frame of `length` bytes (≥ 42), contents derived from `seed`. */
export function ethernetFrame(length: number, seed: number): Uint8Array {
  const f = new Uint8Array(Math.max(42, length));
  const r = prng(seed);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, ...u16(f.length - 14, { littleEndian: false }), 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f.set([...u16(1000 + (seed % 1000), { littleEndian: false }), 0, 53, ...u16(f.length - 34, { littleEndian: false }), 0, 0], 34);
  for (let i = 42; i < f.length; i++) f[i] = (r() * 256) | 0;
  return f;
}
