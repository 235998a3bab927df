/**
 * Interpreter benchmark: ns per packet of the reference interpreter on each sample, engine only
 * (frame setup + execute(), as bench/engines.ts measures it) and through XdpProgram.run (result
 * object and output bytes included), over samples/captures/mixed.pcap and on one representative
 * TCP/IPv4 packet; beside it the kernel JIT on the same program and packet
 * (`bpftool prog run pinned … data_in … repeat N`, when root and bpftool are available), and the
 * ratios. Best of BENCH_TRIALS timings (the machine is shared). Run: `node --import tsx bench/vm.ts [sample…]`.
 * Env: BENCH_ROUNDS (passes over the capture per trial, default 20), BENCH_TRIALS (default 7),
 * BENCH_REPEAT (bpftool, default 1e6), BENCH_WARMUP_MS (per sample, default 600).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute } from '../lib/vm/interpreter.ts';
import { CTX_ADDR } from '../lib/vm/memory.ts';
import { setupFrame } from '../lib/xdp/xdp-buffer.ts';
import { loadXdpProgramFromElf, type XdpProgram } from '../lib/xdp/xdp-program.ts';
import { MIXED_PCAP, readPackets, samplePath, SAMPLES } from '../test/xdp/capture-packets.ts';
import { nsPer, TRIALS } from './lib.ts';

const PROGRAM: Record<string, string> = {
  firewall: 'xdp_firewall', ratelimit: 'xdp_ratelimit', l4lb: 'xdp_l4lb', decap: 'xdp_decap', tailcall: 'xdp_dispatch',
  redirect: 'xdp_redirect', globals: 'xdp_globals', subprog: 'xdp_sanity', printk: 'xdp_printk',
};
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 20);
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 1_000_000);
const WARMUP_MS = Number(process.env['BENCH_WARMUP_MS'] ?? 600);
const chosen = SAMPLES.filter((s) => process.argv.slice(2).includes(s));
const samples = chosen.length > 0 ? chosen : SAMPLES;

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


/** A plain typed-array loop, to normalise numbers taken on a loaded machine. */
function calibrate(): number {
  const a = new Int32Array(16);
  return nsPer(1e7, () => { for (let i = 0; i < 1e7; i++) a[i & 7] = a[(i + 1) & 7]! + i; });
}

/** Engine only: what XdpProgram.run does before and in execute(), without building the result. */
function engineOnce(prog: XdpProgram, frame: Uint8Array): void {
  const vm = prog.vm;
  vm.resetRun();
  setupFrame(vm, frame, 1, 0);
  vm.resetRegisters();
  vm.L[1] = CTX_ADDR;
  execute(vm, prog.image);
}

interface Row { insns: number; repInsns: number; engine: number; run: number; repEngine: number; repRun: number }

function measure(prog: XdpProgram): Row {
  const n = packets.length;
  let insns = 0;
  for (const p of packets) insns += prog.run(p.data, { tsNs: p.tsNs }).insns;
  const repInsns = prog.run(representative).insns;
  const enginePass = (): void => { for (const p of packets) engineOnce(prog, p.data); };
  const runPass = (): void => { for (const p of packets) prog.run(p.data, { tsNs: p.tsNs }); };
  // Warm-up long enough for TurboFan to finish compiling the interpreter (~150 ms on a loaded machine).
  const warmUntil = Date.now() + WARMUP_MS;
  while (Date.now() < warmUntil) { enginePass(); runPass(); for (let i = 0; i < 50; i++) engineOnce(prog, representative); }
  const engine = nsPer(n * ROUNDS, () => { for (let r = 0; r < ROUNDS; r++) enginePass(); });
  const run = nsPer(n * ROUNDS, () => { for (let r = 0; r < ROUNDS; r++) runPass(); });
  const repRuns = n * ROUNDS;
  const repEngine = nsPer(repRuns, () => { for (let i = 0; i < repRuns; i++) engineOnce(prog, representative); });
  const repRun = nsPer(repRuns, () => { for (let i = 0; i < repRuns; i++) prog.run(representative); });
  return { insns: insns / n, repInsns, engine, run, repEngine, repRun };
}

console.log(`calibration: plain typed-array loop ${calibrate().toFixed(2)} ns/iteration (machine-load yardstick: compare runs by this number)`);
console.log(`interpreter: ${packets.length} packets × ${ROUNDS} rounds, best of ${TRIALS}; kernel JIT: bpftool prog run repeat ${REPEAT} on one ${representative.length}-byte TCP/IPv4 packet (rep.)`);
console.log('ns/packet          capture:insns  engine    run | rep.pkt:insns  engine    run | kernel  engine/kernel  run/kernel');
const f = (x: number, w: number): string => x.toFixed(0).padStart(w);
for (const sample of samples) {
  const prog = loadXdpProgramFromElf(readFileSync(samplePath(sample)), { name: `${sample}.bpf.o`, program: PROGRAM[sample]!, engine: 'interp' });
  const r = measure(prog);
  const k = kernelNs(sample);
  const kText = typeof k === 'string' ? 'n/a' : String(k.ns);
  const ratio = (x: number): string => (typeof k === 'string' || k.ns === 0 ? '' : `${(x / k.ns).toFixed(1)}×`);
  console.log(`${sample.padEnd(11)} ${r.insns.toFixed(1).padStart(20)} ${f(r.engine, 7)} ${f(r.run, 6)} | ${f(r.repInsns, 13)} ${f(r.repEngine, 7)} ${f(r.repRun, 6)} | ${kText.padStart(6)} ${ratio(r.repEngine).padStart(14)} ${ratio(r.repRun).padStart(11)}${typeof k === 'string' ? `  (kernel: ${k})` : ''}`);
}
