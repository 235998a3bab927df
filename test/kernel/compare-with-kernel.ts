import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { MapType } from '../../lib/object/types.ts';
import { loadXdpProgramFromElf, type XdpProgram } from '../../lib/xdp/xdp-program.ts';
import { runOracle, type OracleSeed } from '../helpers/oracle.ts';

/**
 * Run the same packet sequence through the kernel (BPF_PROG_TEST_RUN, map state carried over)
 * and through our VM, and list every difference: return value, output bytes (data_meta …
 * data_end, plus fragments), final map contents (hash maps sorted by key).
 */
export interface DiffPacket {
  data: Uint8Array;
  tsNs?: bigint;
}

export interface DiffOptions {
  /** Bytes of a map's values to ignore (e.g. timestamps): map name → [start, end) ranges. */
  ignoreValueBytes?: Record<string, [number, number][]>;
  /** Map contents set before the first packet, in both the kernel and the VM (global data before load). */
  seeds?: OracleSeed[];
  /** VM engine (default: the reference interpreter). */
  engine?: 'interp' | 'wasm';
}

export interface DiffReport {
  packets: number;
  differences: string[];
  vm: XdpProgram;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function mask(v: Uint8Array, ranges: [number, number][] | undefined): string {
  if (ranges === undefined) return hex(v);
  const c = v.slice();
  for (const [s, e] of ranges) c.fill(0, s, Math.min(e, c.length));
  return hex(c);
}

export function diffWithKernel(objectPath: string, program: string, packets: readonly DiffPacket[], options: DiffOptions = {}): DiffReport {
  const seeds = options.seeds ?? [];
  const oracle = runOracle({ object: objectPath, program, packets: packets.map((p) => p.data), seeds });
  const vm = loadXdpProgramFromElf(readFileSync(objectPath), { name: basename(objectPath), program, engine: options.engine ?? 'interp' });
  for (const s of seeds) {
    const m = vm.maps.get(s.map);
    if (m === undefined) throw new Error(`seed for unknown map ${s.map}`);
    const rc = m.update(s.key, s.value);
    if (rc !== 0) throw new Error(`seeding ${s.map} failed: ${rc}`);
  }
  const differences: string[] = [];
  packets.forEach((p, i) => {
    const r = vm.run(p.data, { tsNs: p.tsNs ?? BigInt(i) * 1000n });
    const o = oracle.results[i]!;
    if (o.errno !== 0) {
      if (r.notRun === undefined) differences.push(`packet ${i} (${p.data.length} B): kernel refused it (errno ${o.errno}), we ran it → ${r.action}`);
      return;
    }
    if (r.notRun !== undefined) { differences.push(`packet ${i}: we did not run it (${r.notRun}); kernel returned ${o.ret}`); return; }
    if (r.fault !== undefined) differences.push(`packet ${i}: fault ${r.fault.message}`);
    if (r.action !== o.ret) differences.push(`packet ${i} (${p.data.length} B): action ${r.action} ≠ kernel ${o.ret} (exit insn ${r.exitInsn})`);
    const out = new Uint8Array(r.meta.length + r.packet.length);
    out.set(r.meta);
    out.set(r.packet, r.meta.length);
    if (cmpBytes(out, o.out) !== 0) differences.push(`packet ${i} (${p.data.length} B): output differs: ours ${out.length} B ${hex(out).slice(0, 160)} kernel ${o.out.length} B ${hex(o.out).slice(0, 160)}`);
  });
  for (const [name, kernelEntries] of Object.entries(oracle.maps)) {
    const info = oracle.mapInfo[name]!;
    const ours = vm.maps.get(name);
    if (ours === undefined) { differences.push(`map ${name}: missing in the VM`); continue; }
    const keysOnly = info.type === MapType.PROG_ARRAY;
    const sorted = info.type !== MapType.ARRAY && info.type !== MapType.PERCPU_ARRAY && !name.includes('.');
    const mine = ours.entries().map(([k, v]) => [hex(k), keysOnly ? '' : mask(v, options.ignoreValueBytes?.[name])] as const);
    const theirs = kernelEntries.map(([k, v]) => [hex(k), keysOnly ? '' : mask(v.subarray(0, info.valueSize), options.ignoreValueBytes?.[name])] as const);
    if (sorted) mine.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const a = mine.map((e) => `${e[0]}=${e[1]}`), b = theirs.map((e) => `${e[0]}=${e[1]}`);
    if (a.length !== b.length) differences.push(`map ${name}: ${a.length} entries ≠ kernel ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) { differences.push(`map ${name} entry ${i}: ${a[i]} ≠ kernel ${b[i]}`); break; }
  }
  return { packets: packets.length, differences, vm };
}

/** Assert no differences, logging at most 10. */
export function assertSameAsKernel(t: ExecutionContext, report: DiffReport, what: string): void {
  if (report.differences.length > 0) t.log(report.differences.slice(0, 10).join('\n'));
  t.deepEqual(report.differences.length, 0, `${what}: ${report.differences.length} differences from the kernel over ${report.packets} packets`);
}
