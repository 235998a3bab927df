/**
 * Interpreter benchmark: ns per packet and instructions per second of the reference
 * interpreter on each sample over samples/captures/mixed.pcap, beside the kernel JIT running
 * the same program on a representative packet (`bpftool prog run pinned … data_in … repeat N`,
 * when root and bpftool are available), with the ratio. Run: `node --import tsx bench/vm.ts`.
 * Env: BENCH_ROUNDS (default 200 passes over the capture), BENCH_REPEAT (bpftool, default 1e6).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadXdpProgramFromElf } from '../lib/xdp/xdp-program.ts';
import { MIXED_PCAP, readPackets, samplePath, SAMPLES } from '../test/xdp/capture-packets.ts';

const PROGRAM: Record<string, string> = {
  firewall: 'xdp_firewall', ratelimit: 'xdp_ratelimit', l4lb: 'xdp_l4lb', decap: 'xdp_decap', tailcall: 'xdp_dispatch',
  redirect: 'xdp_redirect', globals: 'xdp_globals', subprog: 'xdp_sanity', printk: 'xdp_printk',
};
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 200);
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 1_000_000);

const packets = readPackets(MIXED_PCAP).filter((p) => p.data.length >= 14);
const representative = packets.find((p) => p.data.length >= 54 && p.data[12] === 0x08 && p.data[13] === 0x00 && p.data[23] === 6)!.data;

function kernelNs(sample: string): { ns: number; ret: number } | string {
  if (process.getuid?.() !== 0) return 'not root';
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-bench-'));
  const pin = `/sys/fs/bpf/xdpreplay-bench-${process.pid}-${sample}`;
  try {
    execFileSync('bpftool', ['prog', 'loadall', samplePath(sample), pin], { stdio: 'pipe' });
    const data = join(dir, 'in.bin');
    writeFileSync(data, representative);
    const out = execFileSync('bpftool', ['prog', 'run', 'pinned', join(pin, PROGRAM[sample]!), 'data_in', data, 'repeat', String(REPEAT)], { encoding: 'utf8', stdio: 'pipe' });
    const m = /Return value: (\d+), duration \(average\): (\d+)ns/.exec(out);
    return m === null ? `unparsed bpftool output: ${out.trim()}` : { ret: Number(m[1]), ns: Number(m[2]) };
  } catch (err) {
    return `bpftool failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n').pop()}`;
  } finally {
    rmSync(pin, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

/** A plain typed-array loop, to normalise numbers taken on a loaded machine. */
function calibrate(): number {
  const a = new Int32Array(16);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1e7; i++) a[i & 7] = a[(i + 1) & 7]! + i;
  return Number(process.hrtime.bigint() - t0) / 1e7;
}
console.log(`calibration: plain typed-array loop ${calibrate().toFixed(2)} ns/iteration (machine-load yardstick: compare runs by this number)`);
console.log(`interpreter over ${packets.length} packets × ${ROUNDS} rounds; kernel JIT: bpftool prog run repeat ${REPEAT} on one ${representative.length}-byte TCP/IPv4 packet`);
console.log('sample      insns/pkt  ns/pkt(capture)  Minsn/s  ns(rep.pkt)  kernel ns  ratio');
for (const sample of SAMPLES) {
  // engine 'interp': this benchmark measures the reference interpreter (engines without the option ignore it).
  const options = { name: `${sample}.bpf.o`, program: PROGRAM[sample]!, engine: 'interp' as const };
  const prog = loadXdpProgramFromElf(readFileSync(samplePath(sample)), options);
  let insns = 0;
  const pass = (): void => { for (const p of packets) insns += prog.run(p.data, { tsNs: p.tsNs }).insns; };
  for (let i = 0; i < 20; i++) pass(); // warm-up (JIT tiers)
  insns = 0;
  const ns = time(() => { for (let r = 0; r < ROUNDS; r++) pass(); });
  const runs = packets.length * ROUNDS;
  const repRuns = 200_000;
  for (let i = 0; i < 20_000; i++) prog.run(representative);
  const repNs = time(() => { for (let i = 0; i < repRuns; i++) prog.run(representative); }) / repRuns;
  const k = kernelNs(sample);
  const kText = typeof k === 'string' ? `n/a (${k})` : String(k.ns);
  const ratio = typeof k === 'string' || k.ns === 0 ? '' : `${(repNs / k.ns).toFixed(1)}×`;
  console.log(`${sample.padEnd(11)} ${(insns / runs).toFixed(1).padStart(9)}  ${(ns / runs).toFixed(0).padStart(15)}  ${((insns / ns) * 1000).toFixed(1).padStart(7)}  ${repNs.toFixed(0).padStart(11)}  ${kText.padStart(9)}  ${ratio}`);
}
