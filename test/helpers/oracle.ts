/**
 * The kernel as an oracle: runs packets through an XDP program with BPF_PROG_TEST_RUN
 * (test/oracle/xdp-oracle.c over libbpf) and returns what the kernel did. Needs root, a working
 * bpf() syscall, cc and libbpf-dev/libelf-dev/zlib; call `requireKernel(t)` first.
 *
 *   buildOracle(): string
 *     Compiles xdp-oracle.c once (`cc -O2 … -lbpf -lelf -lz`) into a cache directory under the
 *     OS temp dir keyed by the source's hash; returns the binary's path. Throws when cc fails.
 *
 *   runOracle({ object, program, packets, seeds?, ifindex?, rxQueue? }): OracleResult
 *     object   path of the .o file (libbpf loads every program and map in it)
 *     program  function name of the XDP program to run (e.g. 'xdp_firewall')
 *     packets  Uint8Array[] (written to a temporary pcap) or the path of a classic pcap
 *     seeds    map contents to set before the run: `{ map, key, value }[]` or the path of a
 *              seed file (lines `mapname keyhex valuehex`). Global-data maps
 *              ('<obj>.rodata' / '.data' / '.bss', key 00000000, value = the whole section)
 *              are set before load, so `const volatile` settings can be changed. A per-CPU
 *              value given once is copied to every CPU.
 *     ifindex, rxQueue  passed in ctx_in (ingress_ifindex / rx_queue_index); the device and
 *              queue must exist. Omitted: no ctx_in, the kernel reads ifindex 1 (lo), queue 0.
 *   Returns
 *     results  one per packet, in order: { ret, errno, out } — ret is the XDP action (0 when
 *              errno ≠ 0), errno 0 or the positive errno of the test run (22 = EINVAL for
 *              frames shorter than 14 bytes, which never reach the program), out the output
 *              frame starting at data_meta (so metadata left by the program comes first).
 *              Map state carries over from packet to packet; the oracle runs pinned to CPU 0.
 *     maps     final contents of every readable map by libbpf name (global data is named
 *              '<first 8 chars of the object name>.<section>', e.g. 'firewall.rodata'):
 *              [key, value] pairs, arrays in index order, other maps sorted bytewise by key.
 *              Per-CPU values hold every possible CPU's value concatenated (each padded to 8
 *              bytes); only CPU 0's can be non-zero. Empty PROG_ARRAY/DEVMAP slots are left out
 *              (a PROG_ARRAY value reads as the program's kernel id).
 *     mapInfo  per map: { type (BPF_MAP_TYPE_*), keySize, valueSize, percpu, ncpus, error? }.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OracleSeed {
  map: string;
  key: Uint8Array;
  value: Uint8Array;
}

export interface OracleOptions {
  object: string;
  program: string;
  packets: Uint8Array[] | string;
  seeds?: OracleSeed[] | string;
  ifindex?: number;
  rxQueue?: number;
}

export interface OraclePacketResult {
  ret: number;
  errno: number;
  out: Uint8Array;
}

export interface OracleMapInfo {
  type: number;
  keySize: number;
  valueSize: number;
  percpu: boolean;
  ncpus: number;
  error?: string;
}

export interface OracleResult {
  results: OraclePacketResult[];
  maps: Record<string, [Uint8Array, Uint8Array][]>;
  mapInfo: Record<string, OracleMapInfo>;
}

const SOURCE = fileURLToPath(new URL('../oracle/xdp-oracle.c', import.meta.url));

let built: string | undefined;

export function buildOracle(): string {
  if (built !== undefined && existsSync(built)) return built;
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `xdpreplay-oracle-${hash}`);
  const binary = join(dir, 'xdp-oracle');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${binary}.${process.pid}.tmp`;
    execFileSync('cc', ['-O2', '-Wall', '-o', partial, SOURCE, '-lbpf', '-lelf', '-lz'], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(partial, binary); // atomic: parallel test workers never see half a binary
  }
  built = binary;
  return binary;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function unhex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** A classic little-endian µs pcap (LINKTYPE_ETHERNET) holding `packets`, 1 ms apart. */
export function pcapBytes(packets: Uint8Array[]): Uint8Array {
  let size = 24;
  for (const p of packets) size += 16 + p.length;
  const buf = Buffer.alloc(size);
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(262144, 16);
  buf.writeUInt32LE(1, 20);
  let off = 24;
  packets.forEach((p, i) => {
    buf.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), off);
    buf.writeUInt32LE((i % 1000) * 1000, off + 4);
    buf.writeUInt32LE(p.length, off + 8);
    buf.writeUInt32LE(p.length, off + 12);
    buf.set(p, off + 16);
    off += 16 + p.length;
  });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

interface PacketLine { i: number; ret: number; errno: number; out: string }
interface MapLine {
  map: string; type: number; key_size?: number; value_size?: number; percpu?: boolean; ncpus?: number;
  entries?: [string, string][]; error?: string;
}

export function runOracle(opts: OracleOptions): OracleResult {
  const binary = buildOracle();
  const scratch = mkdtempSync(join(tmpdir(), 'xdpreplay-oracle-run-'));
  try {
    let pcap: string;
    if (typeof opts.packets === 'string') pcap = opts.packets;
    else {
      pcap = join(scratch, 'in.pcap');
      writeFileSync(pcap, pcapBytes(opts.packets));
    }
    const args = [opts.object, opts.program, pcap];
    if (typeof opts.seeds === 'string') args.push('--seeds', opts.seeds);
    else if (opts.seeds !== undefined && opts.seeds.length > 0) {
      const seedPath = join(scratch, 'seeds.txt');
      writeFileSync(seedPath, opts.seeds.map((s) => `${s.map} ${hex(s.key)} ${hex(s.value)}\n`).join(''));
      args.push('--seeds', seedPath);
    }
    if (opts.ifindex !== undefined) args.push('--ifindex', String(opts.ifindex));
    if (opts.rxQueue !== undefined) args.push('--rxq', String(opts.rxQueue));

    let stdout: string;
    try {
      stdout = execFileSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new Error(`xdp-oracle ${args.join(' ')} failed: ${stderr.trim() || String(err)}`);
    }

    const result: OracleResult = { results: [], maps: {}, mapInfo: {} };
    for (const line of stdout.split('\n')) {
      if (line === '') continue;
      const rec = JSON.parse(line) as PacketLine | MapLine;
      if ('i' in rec) {
        result.results.push({ ret: rec.ret, errno: rec.errno, out: unhex(rec.out) });
      } else if (rec.error !== undefined) {
        const info = result.mapInfo[rec.map];
        if (info) info.error = rec.error;
        else result.mapInfo[rec.map] = { type: rec.type, keySize: 0, valueSize: 0, percpu: false, ncpus: 1, error: rec.error };
      } else {
        result.maps[rec.map] = (rec.entries ?? []).map(([k, v]) => [unhex(k), unhex(v)]);
        result.mapInfo[rec.map] = {
          type: rec.type, keySize: rec.key_size ?? 0, valueSize: rec.value_size ?? 0, percpu: rec.percpu ?? false, ncpus: rec.ncpus ?? 1,
        };
      }
    }
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
