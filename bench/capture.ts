/**
 * Capture benchmark: `xdpreplay cat in.pcap -o out.pcapng` (the built CLI, dist/) against
 * `tcpdump -r in.pcap -w out.pcap` on the same deterministic 1,000,000-packet mixed-size capture,
 * in the same run. Prints both throughputs, the ratio and each side's peak RSS.
 * Targets (issue 2): ratio ≥ 0.7, RSS < 150 MB.
 *
 *   npm run build && node --import tsx bench/capture.ts [--count N] [--runs R]
 *
 * Input comes from samples/gen-captures.ts (cached in bench/out/, which is gitignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench/out');
const TARGET_RATIO = 0.7;
const TARGET_RSS_MB = 150;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Run {
  seconds: number;
  /** User + system CPU seconds (less sensitive than wall time to other load on the machine). */
  cpuSeconds: number;
  rssMb: number;
}

/** Run a command under /usr/bin/time; wall time measured here, peak RSS (%M, KiB) and CPU (%U + %S) from time. */
function timed(cmd: string, args: string[]): Run {
  const rssFile = join(OUT, 'time.out');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  const [kib, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds, cpuSeconds: user! + sys!, rssMb: kib! / 1024 };
}

function main(): void {
  const count = arg('--count', 1_000_000);
  const runs = arg('--runs', 3);
  const cli = join(ROOT, 'dist/cmd/xdpreplay.js');
  if (!existsSync(cli)) throw new Error('dist/cmd/xdpreplay.js missing: run `npm run build` first');
  mkdirSync(OUT, { recursive: true });
  const input = join(OUT, `capture-${count}.pcap`);
  if (!existsSync(input)) {
    process.stderr.write(`generating ${count} packets into ${input} …\n`);
    const g = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'samples/gen-captures.ts'), '--count', String(count), '--seed', '7', '--out', input], { stdio: 'inherit', cwd: ROOT });
    if (g.status !== 0) throw new Error('samples/gen-captures.ts failed');
  }
  const bytes = statSync(input).size;
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < runs; i++) {
    // Each tool starts from no output file (truncating a 300 MB file is not what we measure).
    rmSync(join(OUT, 'tcpdump-out.pcap'), { force: true });
    rmSync(join(OUT, 'xdpreplay-out.pcapng'), { force: true });
    theirs.push(timed('tcpdump', ['-r', input, '-w', join(OUT, 'tcpdump-out.pcap')]));
    ours.push(timed(process.execPath, [cli, 'cat', input, '-o', join(OUT, 'xdpreplay-out.pcapng')]));
  }
  const startup: Run[] = [];
  for (let i = 0; i < runs; i++) startup.push(timed(process.execPath, [cli, '--version']));
  const best = (rs: Run[]): Run => rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const o = best(ours);
  const t = best(theirs);
  const line = (name: string, r: Run): string =>
    `${name.padEnd(24)} ${r.seconds.toFixed(3)} s  ${(count / r.seconds / 1e6).toFixed(2)} Mpkt/s  ${(bytes / r.seconds / 1e6).toFixed(0)} MB/s  CPU ${r.cpuSeconds.toFixed(2)} s  peak RSS ${r.rssMb.toFixed(0)} MB`;
  const ratio = t.seconds / o.seconds;
  const rss = Math.max(...ours.map((r) => r.rssMb));
  process.stdout.write([
    `capture benchmark: ${count} packets, ${(bytes / 1e6).toFixed(0)} MB classic pcap, best of ${runs}`,
    line('tcpdump -r -w', t),
    line('xdpreplay cat', o),
    `${'xdpreplay --version'.padEnd(24)} ${best(startup).seconds.toFixed(3)} s  (CLI startup, included above)`,
    `ratio (xdpreplay / tcpdump throughput): ${ratio.toFixed(2)}  target ≥ ${TARGET_RATIO}  ${ratio >= TARGET_RATIO ? 'OK' : 'MISSED'}`,
    `CPU-time ratio (tcpdump CPU / xdpreplay CPU): ${(t.cpuSeconds / o.cpuSeconds).toFixed(2)}  (load average now ${loadavg()[0]!.toFixed(1)})`,
    `xdpreplay peak RSS: ${rss.toFixed(0)} MB  target < ${TARGET_RSS_MB} MB  ${rss < TARGET_RSS_MB ? 'OK' : 'MISSED'}`,
    '',
  ].join('\n'));
  rmSync(join(OUT, 'tcpdump-out.pcap'), { force: true });
  rmSync(join(OUT, 'xdpreplay-out.pcapng'), { force: true });
}

main();
