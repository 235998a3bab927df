/**
 * Diff benchmark: `xdpreplay diff in.pcap firewall.bpf.o variants/firewall_v2.bpf.o -o changed.pcapng`
 * against a single `xdpreplay replay in.pcap firewall.bpf.o -o out.pcapng` on the same
 * deterministic 1,000,000-packet capture, in the same run. Prints wall and CPU time of each, the
 * cost ratio (diff / replay) and each side's peak RSS. Target (issue 7): ratio ≤ ~2, RSS flat.
 *
 *   node --import tsx bench/diff.ts [--count N] [--runs R] [--engine auto|interp|wasm]
 *
 * Both sides run the CLI from source through tsx (the same startup cost on each side). The
 * machine is shared, so the ratio is computed on CPU time (user + sys), which load disturbs
 * less than wall time; both are printed. A second pair writes nothing (replay selects no packet,
 * diff has no -o): the cost of running the program(s) alone. Input comes from
 * samples/gen-captures.ts --count N --seed 7, cached in bench/out/ (gitignored; the same file
 * bench/capture.ts uses).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench/out');
const TARGET_RATIO = 2;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

interface Run {
  wall: number;
  cpu: number;
  rssMb: number;
}

/** Run the CLI under /usr/bin/time: elapsed, user + sys seconds and peak RSS (KiB). */
function timed(args: string[], okStatus: readonly number[]): Run {
  const timeFile = join(OUT, 'diff-time.out');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, '--import', 'tsx', join(ROOT, 'cmd/xdpreplay.ts'), ...args], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (!okStatus.includes(r.status ?? -1)) throw new Error(`xdpreplay ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  const [wall, user, sys, kib] = last as [number, number, number, number];
  return { wall, cpu: user + sys, rssMb: kib / 1024 };
}

function main(): void {
  const count = arg('--count', 1_000_000);
  const runs = arg('--runs', 1);
  const engine = stringArg('--engine', 'auto');
  mkdirSync(OUT, { recursive: true });
  const input = join(OUT, `capture-${count}.pcap`);
  if (!existsSync(input)) {
    process.stderr.write(`generating ${count} packets into ${input} …\n`);
    const g = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'samples/gen-captures.ts'), '--count', String(count), '--seed', '7', '--out', input], { stdio: 'inherit', cwd: ROOT });
    if (g.status !== 0) throw new Error('samples/gen-captures.ts failed');
  }
  const bytes = statSync(input).size;
  const oldObj = join(ROOT, 'samples/firewall.bpf.o');
  const newObj = join(ROOT, 'samples/variants/firewall_v2.bpf.o');
  const replayOut = join(OUT, 'diff-bench-replay.pcapng');
  const diffOut = join(OUT, 'diff-bench-changed.pcapng');
  const replays: Run[] = [];
  const diffs: Run[] = [];
  const replaysBare: Run[] = [];
  const diffsBare: Run[] = [];
  for (let i = 0; i < runs; i++) {
    rmSync(replayOut, { force: true });
    rmSync(diffOut, { force: true });
    replays.push(timed(['replay', input, oldObj, '-o', replayOut, '-q', '--engine', engine], [0]));
    diffs.push(timed(['diff', input, oldObj, newObj, '-o', diffOut, '-q', '--first', '0', '--engine', engine], [0, 1]));
    // The same without writing (replay selects no packet, diff has no -o): the cost of running.
    replaysBare.push(timed(['replay', input, oldObj, '-o', '/dev/null', '-q', '--actions', 'aborted', '--engine', engine], [0]));
    diffsBare.push(timed(['diff', input, oldObj, newObj, '-q', '--first', '0', '--engine', engine], [0, 1]));
  }
  const changedBytes = statSync(diffOut).size;
  const best = (rs: Run[]): Run => rs.reduce((a, b) => (b.cpu < a.cpu ? b : a));
  const r = best(replays);
  const d = best(diffs);
  const line = (name: string, x: Run): string =>
    `${name.padEnd(30)} wall ${x.wall.toFixed(2)} s  cpu ${x.cpu.toFixed(2)} s  ${(count / x.cpu / 1e3).toFixed(0)} kpkt/s (cpu)  peak RSS ${x.rssMb.toFixed(0)} MB`;
  const ratio = d.cpu / r.cpu;
  const rb = best(replaysBare);
  const db = best(diffsBare);
  const bareRatio = db.cpu / rb.cpu;
  process.stdout.write([
    `diff benchmark: ${count} packets, ${(bytes / 1e6).toFixed(0)} MB classic pcap, best of ${runs} (by cpu time), engine ${engine}`,
    line('xdpreplay replay (firewall)', r),
    line('xdpreplay diff (fw → fw_v2)', d),
    `changed-packet pcapng: ${(changedBytes / 1e6).toFixed(1)} MB`,
    `cost ratio (diff / replay, cpu): ${ratio.toFixed(2)}  wall: ${(d.wall / r.wall).toFixed(2)}  target ≤ ${TARGET_RATIO}  ${ratio <= TARGET_RATIO ? 'OK' : 'MISSED'}`,
    line('replay, nothing written', rb),
    line('diff, nothing written', db),
    `cost ratio without output (cpu): ${bareRatio.toFixed(2)}  wall: ${(db.wall / rb.wall).toFixed(2)}  target ≤ ${TARGET_RATIO}  ${bareRatio <= TARGET_RATIO ? 'OK' : 'MISSED'}`,
    `peak RSS: replay ${Math.max(...[...replays, ...replaysBare].map((x) => x.rssMb)).toFixed(0)} MB, diff ${Math.max(...[...diffs, ...diffsBare].map((x) => x.rssMb)).toFixed(0)} MB`,
    '',
  ].join('\n'));
  rmSync(replayOut, { force: true });
  rmSync(diffOut, { force: true });
}

main();
