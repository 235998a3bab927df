/**
 * Replay benchmark (issue 6): `xdpreplay in.pcap samples/firewall.bpf.o -o out.pcapng` against
 * `tcpdump -r in.pcap -w out.pcap` on the same deterministic capture, in the same run, for each
 * engine. Prints packets/s, the ratio to tcpdump (target ≥ 0.5) and peak RSS (target flat,
 * < 200 MB): RSS is also measured on a ~10 MB capture (36,000 packets) and, with --big N, on an
 * N-packet capture (7,200,000 packets ≈ 2 GB) to show it does not grow with the input.
 *
 * The same capture as pcapng (EPBs without options, as dumpcap writes them) is replayed too,
 * against `tcpdump -r in.pcapng -w out.pcap`.
 *
 * As root it also times a syscall-per-packet kernel replay of the same capture (the test
 * oracle with --write: BPF_PROG_TEST_RUN once per packet, output frames to a pcap; issue 9 asks
 * xdpreplay to be ≥ 10× faster than that).
 *
 *   npm run build && node --import tsx bench/replay.ts [--count N] [--runs R] [--big N]
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildOracle } from '../test/helpers/oracle.ts';
import { arg, benchCapture, benchCapturePcapng, best, builtCli, OUT, ROOT, timed, type Run } from './lib.ts';

function main(): void {
  const count = arg('--count', 1_000_000);
  const runs = arg('--runs', 2);
  const input = benchCapture(count);
  const cli = builtCli();
  const inputNg = benchCapturePcapng(count);
  const fw = join(ROOT, 'samples/firewall.bpf.o');
  const mb = statSync(input).size / 1e6;
  const sides: [string, () => Run][] = [
    ['tcpdump -r -w', () => timed('tcpdump', ['-r', input, '-w', join(OUT, 'tcpdump-out.pcap')])],
    ['xdpreplay (wasm)', () => timed(process.execPath, [cli, input, fw, '-o', join(OUT, 'replay-out.pcapng'), '-q', '--engine', 'wasm'])],
    ['xdpreplay (interp)', () => timed(process.execPath, [cli, input, fw, '-o', join(OUT, 'replay-out.pcapng'), '-q', '--engine', 'interp'])],
    ['tcpdump, pcapng in', () => timed('tcpdump', ['-r', inputNg, '-w', join(OUT, 'tcpdump-out.pcap')])],
    ['xdpreplay, pcapng in', () => timed(process.execPath, [cli, inputNg, fw, '-o', join(OUT, 'replay-out.pcapng'), '-q', '--engine', 'wasm'])],
  ];
  if (process.getuid?.() === 0) {
    const oracle = buildOracle();
    sides.push(['kernel, syscall/packet', () => timed(oracle, [fw, 'xdp_firewall', input, '--write', join(OUT, 'kernel-out.pcap')])]);
  }
  // Rounds run every side back to back, so each round's ratios are paired against the machine's
  // speed at that moment (it moves by up to 2× within minutes on the CI VM).
  const rounds = new Map<string, Run[]>(sides.map(([name]) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of sides) {
      rmSync(join(OUT, 'tcpdump-out.pcap'), { force: true });
      rmSync(join(OUT, 'replay-out.pcapng'), { force: true });
      rounds.get(name)!.push(run());
    }
  }
  const results = new Map<string, Run>([...rounds].map(([name, all]) => [name, best(all)]));
  const base = results.get('tcpdump -r -w')!;
  process.stdout.write(`replay benchmark: ${count} packets, ${mb.toFixed(0)} MB, firewall sample, best of ${runs}\n`);
  for (const [name, r] of results) {
    process.stdout.write(`  ${name.padEnd(20)} ${(count / r.wall / 1e3).toFixed(0).padStart(7)} kpkt/s  wall ${r.wall.toFixed(2)} s  cpu ${r.cpu.toFixed(2)} s  ` +
      `ratio ${(base.wall / r.wall).toFixed(2)} (cpu ${(base.cpu / r.cpu).toFixed(2)})  peak RSS ${r.rssMb.toFixed(0)} MB\n`);
  }
  process.stdout.write('  target: xdpreplay ≥ 0.5× tcpdump throughput, RSS < 200 MB\n');
  const paired = rounds.get('xdpreplay (wasm)')!.map((r, i) => rounds.get('tcpdump -r -w')![i]!.wall / r.wall).sort((a, b) => a - b);
  process.stdout.write(`  paired ratios per round (wasm): median ${paired[Math.floor(paired.length / 2)]!.toFixed(2)}, range ${paired[0]!.toFixed(2)}–${paired.at(-1)!.toFixed(2)}\n`);
  const ng = results.get('xdpreplay, pcapng in')!, tcpNg = results.get('tcpdump, pcapng in')!;
  process.stdout.write(`  pcapng input (wasm): ${(tcpNg.wall / ng.wall).toFixed(2)}× tcpdump's throughput on the same pcapng\n`);
  const kernel = results.get('kernel, syscall/packet');
  if (kernel !== undefined) {
    for (const engine of ['wasm', 'interp']) {
      const r = results.get(`xdpreplay (${engine})`)!;
      process.stdout.write(`  xdpreplay (${engine}) vs the syscall-per-packet kernel replay: ${(kernel.wall / r.wall).toFixed(2)}× as fast (target ≥ 10×)\n`);
    }
  }
  rmSync(join(OUT, 'kernel-out.pcap'), { force: true });
  const sizes = [36_000, count, ...(arg('--big', 0) > 0 ? [arg('--big', 0)] : [])];
  for (const n of sizes) {
    const file = benchCapture(n);
    const r = timed(process.execPath, [cli, file, fw, '-o', '/dev/null', '-q']);
    process.stdout.write(`  RSS flatness: ${String(n).padStart(9)} packets, ${(statSync(file).size / 1e6).toFixed(0).padStart(5)} MB → peak RSS ${r.rssMb.toFixed(0)} MB (${(n / r.wall / 1e3).toFixed(0)} kpkt/s)\n`);
  }
}

main();
