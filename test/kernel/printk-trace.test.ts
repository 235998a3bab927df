import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadXdpProgramFromElf } from '../../lib/xdp/xdp-program.ts';
import { requireKernel } from '../helpers/kernel.ts';
import { runOracle } from '../helpers/oracle.ts';
import { clangAvailable, compileProg } from './compile-prog.ts';

/**
 * bpf_printk lines: ours (XdpResult.printk) against what the kernel writes to its trace buffer
 * (/sys/kernel/tracing/trace) for the same packets, on the printk sample and on a program with
 * every conversion the kernel accepts. Other processes may print concurrently, so the kernel's
 * lines are grouped by the writing task's pid and one group must equal ours exactly.
 */

const TRACING = '/sys/kernel/tracing';

function ensureTracefs(): string | undefined {
  if (existsSync(`${TRACING}/trace`)) return undefined;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACING], { stdio: 'ignore' });
  } catch (err) {
    return `cannot mount tracefs at ${TRACING}: ${String(err)}`;
  }
  return existsSync(`${TRACING}/trace`) ? undefined : `no ${TRACING}/trace after mounting tracefs`;
}

/** The per-CPU trace buffer starts tiny (7 KB) until first expanded: make room for a run's lines. */
function ensureBufferSize(): void {
  const kb = parseInt(readFileSync(`${TRACING}/buffer_size_kb`, 'latin1'), 10);
  if (!(kb >= 2048)) writeFileSync(`${TRACING}/buffer_size_kb`, '2048');
}

/** bpf_trace_printk lines by writer pid, in order. */
function kernelLinesByPid(): Map<string, string[]> {
  const byPid = new Map<string, string[]>();
  for (const line of readFileSync(`${TRACING}/trace`, 'latin1').split('\n')) {
    const m = /^\s*(.*?)-(\d+)\s+\[\d+\].*?: bpf_trace_printk: (.*)$/.exec(line);
    if (m === null) continue;
    const list = byPid.get(m[2]!) ?? [];
    list.push(m[3]!);
    byPid.set(m[2]!, list);
  }
  return byPid;
}

let rng = 0x1234567;
const rand = (): number => { rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5; return rng >>> 0; };

function packets(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const sizes = [13, 14, 20, 60, 64, 100, 1514, 1515, 3000];
  for (let i = 0; i < n; i++) {
    const b = new Uint8Array(i < sizes.length ? sizes[i]! : [64, 80, 128][rand() % 3]!);
    for (let k = 0; k < b.length; k++) b[k] = rand() & 0xff;
    if (b.length >= 14) { const t = [[0x08, 0x00], [0x86, 0xdd], [0x08, 0x06], [0x12, 0x34]][rand() % 4]!; b[12] = t[0]!; b[13] = t[1]!; }
    if (b.length >= 64 && rand() % 3 === 0) b.fill(0, 36, 52);
    out.push(b);
  }
  return out;
}

function compare(t: import('ava').ExecutionContext, object: string, program: string, engine: 'interp' | 'wasm'): void {
  const pk = packets(30);
  const vm = loadXdpProgramFromElf(readFileSync(object), { name: object, program, engine });
  const ours: string[] = [];
  for (const p of pk) if (p.length >= 14) ours.push(...vm.run(p).printk);
  ensureBufferSize();
  writeFileSync(`${TRACING}/trace`, '');
  runOracle({ object, program, packets: pk });
  const groups = [...kernelLinesByPid().values()];
  const match = groups.some((g) => g.length === ours.length && g.every((l, i) => l === ours[i]));
  if (!match) {
    const best = groups.sort((a, b) => b.length - a.length)[0] ?? [];
    const i = best.findIndex((l, k) => l !== ours[k]);
    t.log(`ours ${ours.length} lines, kernel ${best.length}; first difference at line ${i}:\n  ours:   ${JSON.stringify(ours[i])}\n  kernel: ${JSON.stringify(best[i])}`);
  }
  t.true(match, `${program}: printk lines equal the kernel's trace buffer`);
  t.log(`${program} ${engine}: ${ours.length} lines compared`);
}

for (const engine of ['interp', 'wasm'] as const) {
  test.serial(`[${engine}] the printk sample writes the same lines as the kernel's trace buffer`, (t) => {
    if (!requireKernel(t)) return;
    const why = ensureTracefs();
    if (why !== undefined) { t.fail(why); return; }
    compare(t, fileURLToPath(new URL('../../samples/printk.bpf.o', import.meta.url)), 'xdp_printk', engine);
  });

  test.serial(`[${engine}] every printk conversion the kernel accepts formats as in the kernel's trace buffer`, (t) => {
    if (!requireKernel(t)) return;
    if (!clangAvailable()) { t.log('SKIPPED: clang not found'); t.pass(); return; }
    const why = ensureTracefs();
    if (why !== undefined) { t.fail(why); return; }
    compare(t, compileProg('helpers-printk', 'v3'), 'printk', engine);
  });
}
