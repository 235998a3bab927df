/**
 * Diff benchmark: `xdpreplay diff in.pcap firewall.bpf.o variants/firewall_v2.bpf.o -o changed.pcapng`
 * against a single `xdpreplay replay in.pcap firewall.bpf.o -o out.pcapng` on the same
 * deterministic 1,000,000-packet capture, in the same run. Prints wall and CPU time of each, the
 * cost ratio (diff / replay) and each side's peak RSS. Target (issue 7): ratio ≤ ~2, RSS flat.
 *
 *   npm run build && node --import tsx bench/diff.ts [--count N] [--runs R] [--engine auto|interp|wasm]
 *
 * Both sides run the built CLI (dist/; `npm run build` first). The
 * machine is shared, so the ratio is computed on CPU time (user + sys), which load disturbs
 * less than wall time; both are printed. A second pair writes nothing (replay selects no packet,
 * diff has no -o): the cost of running the program(s) alone. Input comes from
 * samples/gen-captures.ts --count N --seed 7, cached in bench/out/ (gitignored; the same file
 * bench/capture.ts uses).
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchCapture, builtCli, OUT, ROOT, stringArg, timed, type Run } from './lib.ts';

const TARGET_RATIO = 2;

function main(): void {
  const count = arg('--count', 1_000_000);
  const runs = arg('--runs', 1);
  const engine = stringArg('--engine', 'auto');
  const cli = builtCli();
  const input = benchCapture(count);
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
    replays.push(timed(process.execPath, [cli, 'replay', input, oldObj, '-o', replayOut, '-q', '--engine', engine], [0]));
    diffs.push(timed(process.execPath, [cli, 'diff', input, oldObj, newObj, '-o', diffOut, '-q', '--first', '0', '--engine', engine], [0, 1]));
    // The same without writing (replay selects no packet, diff has no -o): the cost of running.
    replaysBare.push(timed(process.execPath, [cli, 'replay', input, oldObj, '-o', '/dev/null', '-q', '--actions', 'aborted', '--engine', engine], [0]));
    diffsBare.push(timed(process.execPath, [cli, 'diff', input, oldObj, newObj, '-q', '--first', '0', '--engine', engine], [0, 1]));
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
