/**
 * Shared benchmark plumbing: command-line numbers, the cached deterministic capture, and timing a
 * command under /usr/bin/time (wall, user+sys CPU, peak RSS). The machine may be shared, so every
 * benchmark runs its baseline in the same process run and reports ratios on both wall and CPU time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const OUT = join(ROOT, 'bench/out');

/** `--name N` from argv, else the fallback. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** `--name VALUE` from argv, else the fallback. */
export function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

export interface Run {
  wall: number;
  cpu: number;
  rssMb: number;
}

/** Run a command under /usr/bin/time; wall/user/sys seconds and peak RSS come from time itself. */
export function timed(cmd: string, args: string[], okStatus: readonly number[] = [0]): Run {
  mkdirSync(OUT, { recursive: true });
  const timeFile = join(OUT, `time-${process.pid}.out`);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (!okStatus.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  const [wall, user, sys, kib] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number, number];
  return { wall, cpu: user + sys, rssMb: kib / 1024 };
}

/** The best (lowest wall time) of several runs. */
export function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.wall < a.wall ? b : a));
}

/** The deterministic mixed capture of `count` packets (samples/gen-captures.ts, seed 7), cached in bench/out/. */
export function benchCapture(count: number): string {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `capture-${count}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${count} packets into ${file} …\n`);
    const g = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'samples/gen-captures.ts'), '--count', String(count), '--seed', '7', '--out', file], { stdio: 'inherit', cwd: ROOT });
    if (g.status !== 0) throw new Error('samples/gen-captures.ts failed');
  }
  return file;
}

/** The same capture as pcapng (EPBs without options, as dumpcap writes), made once by `xdpreplay cat`. */
export function benchCapturePcapng(count: number): string {
  const pcap = benchCapture(count);
  const file = pcap.replace(/\.pcap$/, '.pcapng');
  if (!existsSync(file)) {
    const c = spawnSync(process.execPath, [builtCli(), 'cat', pcap, '-o', file], { stdio: 'inherit' });
    if (c.status !== 0) throw new Error('xdpreplay cat failed');
  }
  return file;
}

/** The built CLI (bench measures what users run). */
export function builtCli(): string {
  const cli = join(ROOT, 'dist/cmd/xdpreplay.js');
  if (!existsSync(cli)) throw new Error('dist/cmd/xdpreplay.js missing: run `npm run build` first');
  return cli;
}

/** Trials per in-process timing (BENCH_TRIALS, default 7). */
export const TRIALS = Number(process.env['BENCH_TRIALS'] ?? 7);

/** Best of TRIALS timings of `fn`, in ns per run (the machine is shared: the minimum is the least disturbed trial). */
export function nsPer(runs: number, fn: () => void): number {
  let best = Infinity;
  for (let k = 0; k < TRIALS; k++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / runs);
  }
  return best;
}
