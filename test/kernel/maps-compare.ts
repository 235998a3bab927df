import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { MapType } from '../../lib/object/types.ts';
import { loadXdpProgramFromElf, type XdpLoadOptions, type XdpProgram, type XdpResult } from '../../lib/xdp/xdp-program.ts';
import { runOracle, type OracleSeed } from '../helpers/oracle.ts';

/**
 * Differential runs for the map tests: the same packets through the kernel (BPF_PROG_TEST_RUN,
 * pinned to CPU 0) and through the VM modelling as many CPUs as the kernel has possible CPUs
 * (so per-CPU values and LRU list sizes line up), comparing every return value and the final
 * contents of every map the kernel can dump — all CPUs of per-CPU maps. Maps whose kernel dump
 * says nothing comparable (queue/stack/bloom/ringbuf/perf/xsk/cpumap, map-in-map values = kernel map
 * ids) are skipped.
 */

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const NOT_COMPARABLE: ReadonlySet<number> = new Set([MapType.QUEUE, MapType.STACK, MapType.RINGBUF, MapType.PERF_EVENT_ARRAY,
  MapType.XSKMAP, MapType.CPUMAP, MapType.BLOOM_FILTER, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS, MapType.PROG_ARRAY]);

/** Possible CPUs of this machine (/sys/devices/system/cpu/possible, e.g. "0-1"). */
export function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let n = 0;
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n;
  } catch {
    return 1;
  }
}

/** A 30-byte frame carrying the two 64-bit inputs of progs.h's INPUTS (bytes 14..29). */
export function inputFrame(a: bigint, b: bigint): Uint8Array {
  const f = new Uint8Array(30);
  const dv = new DataView(f.buffer);
  dv.setBigUint64(14, BigInt.asUintN(64, a), true);
  dv.setBigUint64(22, BigInt.asUintN(64, b), true);
  return f;
}

export interface MapsDiffOptions {
  engine: 'interp' | 'wasm';
  seeds?: OracleSeed[];
  load?: XdpLoadOptions;
  /** Runs after load and seeding, before the first packet (VM-only state the kernel has by default). */
  setup?(vm: XdpProgram): void;
}

export interface MapsDiff {
  differences: string[];
  results: XdpResult[];
  kernel: number[];
  vm: XdpProgram;
}

export function diffMaps(objectPath: string, program: string, packets: Uint8Array[], options: MapsDiffOptions): MapsDiff {
  const oracle = runOracle({ object: objectPath, program, packets, seeds: options.seeds ?? [] });
  const cpus = possibleCpus();
  const vm = loadXdpProgramFromElf(readFileSync(objectPath), { name: basename(objectPath), program, engine: options.engine, cpus, ...options.load });
  for (const s of options.seeds ?? []) {
    const rc = vm.maps.get(s.map)!.update(s.key, s.value);
    if (rc !== 0) throw new Error(`seeding ${s.map} failed: ${rc}`);
  }
  options.setup?.(vm);
  const differences: string[] = [];
  const results = packets.map((p, i) => {
    const r = vm.run(p, { tsNs: BigInt(i) * 1000n });
    const o = oracle.results[i]!;
    if (r.fault !== undefined) differences.push(`packet ${i}: fault ${r.fault.message}`);
    if (r.action !== o.ret) differences.push(`packet ${i} (${hex(p.subarray(14))}): returned ${r.action} (0x${r.action.toString(16)}), kernel ${o.ret} (0x${o.ret.toString(16)})`);
    return r;
  });
  for (const [name, kernelEntries] of Object.entries(oracle.maps)) {
    const info = oracle.mapInfo[name]!;
    if (NOT_COMPARABLE.has(info.type)) continue;
    const ours = vm.maps.get(name);
    if (ours === undefined) { differences.push(`map ${name}: missing in the VM`); continue; }
    const stride = (info.valueSize + 7) & ~7;
    const mine = (ours.percpu !== undefined
      ? ours.percpu.entries().map(([k, vs]) => [hex(k), vs.map((v) => { const p = new Uint8Array(stride); p.set(v); return hex(p); }).join('')])
      : ours.entries().map(([k, v]) => [hex(k), hex(v)])).map(([k, v]) => `${k}=${v}`).sort();
    const theirs = kernelEntries.map(([k, v]) => `${hex(k)}=${hex(info.percpu ? v : v.subarray(0, info.valueSize))}`).sort();
    if (mine.join(' ') !== theirs.join(' ')) differences.push(`map ${name}: ours ${mine.join(' ')} ≠ kernel ${theirs.join(' ')}`);
  }
  return { differences, results, kernel: oracle.results.map((r) => r.ret), vm };
}
