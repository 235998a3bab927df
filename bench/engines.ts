/**
 * Engine benchmark: ns per packet of the reference interpreter and the wasm engine on each
 * sample over samples/captures/mixed.pcap (XdpProgram.run: frame copy into the packet page,
 * execution, result with output bytes), the same on one representative TCP/IPv4 packet, and
 * engine only (setupFrame + execute, as XdpProgram.run minus the result; setupFrame alone in
 * parentheses), exec-only (the program re-run on the representative packet already laid out in
 * the page, no frame copy, only Vm.resetRun: what the kernel's `repeat` measures; programs that
 * rewrite or move the packet see their own output, as in the kernel's loop), the kernel JIT on
 * that packet (`bpftool prog run pinned … data_in FILE repeat N`, average duration, best of
 * BENCH_TRIALS runs; the kernel's timer leaves out time the task was rescheduled, so exec-only
 * is the best of many short trials to compare like with like; pins removed), all in one run,
 * with the ratios. Run: `node --import tsx bench/engines.ts`.
 * Env: BENCH_ROUNDS (passes over the capture per trial, default 5), BENCH_TRIALS (best of, default 7),
 * BENCH_REPEAT (bpftool, default 100000), BENCH_SAMPLES (comma-separated sample names, default all).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute } from '../lib/vm/interpreter.ts';
import { CTX_ADDR } from '../lib/vm/memory.ts';
import type { WasmEngine } from '../lib/vm/wasm/runtime.ts';
import { setupFrame } from '../lib/xdp/xdp-buffer.ts';
import { loadXdpProgramFromElf, type XdpProgram } from '../lib/xdp/xdp-program.ts';
import { MIXED_PCAP, readPackets, samplePath, SAMPLES } from '../test/xdp/capture-packets.ts';
import { nsPer, TRIALS } from './lib.ts';

const PROGRAM: Record<string, string> = {
  firewall: 'xdp_firewall', ratelimit: 'xdp_ratelimit', l4lb: 'xdp_l4lb', decap: 'xdp_decap', tailcall: 'xdp_dispatch',
  redirect: 'xdp_redirect', globals: 'xdp_globals', subprog: 'xdp_sanity', printk: 'xdp_printk',
};
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 100_000);

const packets = readPackets(MIXED_PCAP).filter((p) => p.data.length >= 14);
const representative = packets.find((p) => p.data.length >= 54 && p.data[12] === 0x08 && p.data[13] === 0x00 && p.data[23] === 6)!.data;

function kernelNs(sample: string): number | string {
  if (process.getuid?.() !== 0) return 'not root';
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-engines-'));
  const pin = `/sys/fs/bpf/xdpreplay-engines-${process.pid}-${sample}`;
  try {
    execFileSync('bpftool', ['prog', 'loadall', samplePath(sample), pin], { stdio: 'pipe' });
    const data = join(dir, 'in.bin');
    writeFileSync(data, representative);
    // Best of TRIALS runs, like the in-process numbers (the machine's speed drifts).
    let best = Infinity;
    for (let k = 0; k < TRIALS; k++) {
      const out = execFileSync('bpftool', ['prog', 'run', 'pinned', join(pin, PROGRAM[sample]!), 'data_in', data, 'repeat', String(REPEAT)], { encoding: 'utf8', stdio: 'pipe' });
      const m = /duration \(average\): (\d+)ns/.exec(out);
      if (m === null) return `unparsed: ${out.trim()}`;
      best = Math.min(best, Number(m[1]));
    }
    return best;
  } catch (err) {
    return `bpftool failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n').pop()}`;
  } finally {
    rmSync(pin, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * Engine only: frame copy into the packet page + execution, without building the XdpResult
 * (output copies, result object). Reaches the program's private wasm engine (bench only).
 */
function engineOnly(prog: XdpProgram): { engine: number; setup: number; exec: number } {
  const vm = prog.vm;
  const wasm = (prog as unknown as { wasm: WasmEngine | undefined }).wasm;
  // As XdpProgram.run does it.
  const once = (p: Uint8Array): void => {
    vm.resetRun();
    setupFrame(vm, p, 1, 0);
    run();
  };
  const run = (): void => {
    if (wasm !== undefined) wasm.executeFresh(vm, prog.image, CTX_ADDR);
    else { vm.resetRegisters(); vm.L[1] = CTX_ADDR; execute(vm, prog.image); }
  };
  const setupOnly = (p: Uint8Array): void => { vm.resetRun(); setupFrame(vm, p, 1, 0); };
  const pass = (): void => { for (const p of packets) once(p.data); };
  for (let i = 0; i < 10; i++) pass();
  const engine = nsPer(packets.length * ROUNDS, () => { for (let r = 0; r < ROUNDS; r++) pass(); });
  const setupPass = (): void => { for (const p of packets) setupOnly(p.data); };
  for (let i = 0; i < 10; i++) setupPass();
  const setup = nsPer(packets.length * ROUNDS, () => { for (let r = 0; r < ROUNDS; r++) setupPass(); });
  // Exec-only, as the kernel's `repeat`: the frame is laid out once, then the program re-runs on it.
  vm.resetRun();
  setupFrame(vm, representative, 1, 0);
  const execRuns = 5_000;
  // Vm.resetRun (a few stores) keeps printk lines and events from piling up over the repeats.
  const again = (): void => { vm.resetRun(); if (vm.mapEnv.events.length > 0) vm.mapEnv.events = []; run(); };
  for (let i = 0; i < 4 * execRuns; i++) again();
  let exec = Infinity;
  for (let k = 0; k < 8 * TRIALS; k++) exec = Math.min(exec, nsPer(execRuns, () => { for (let i = 0; i < execRuns; i++) again(); }));
  return { engine, setup, exec };
}

function measure(prog: XdpProgram): { capture: number; rep: number; engine: number; setup: number; exec: number } {
  const pass = (): void => { for (const p of packets) prog.run(p.data, { tsNs: p.tsNs }); };
  for (let i = 0; i < 10; i++) pass();
  const capture = nsPer(packets.length * ROUNDS, () => { for (let r = 0; r < ROUNDS; r++) pass(); });
  const repRuns = 20_000;
  for (let i = 0; i < 20_000; i++) prog.run(representative);
  const rep = nsPer(repRuns, () => { for (let i = 0; i < repRuns; i++) prog.run(representative); });
  return { capture, rep, ...engineOnly(prog) };
}

console.log(`${packets.length} packets × ${ROUNDS} rounds, best of ${TRIALS}, per engine; kernel: bpftool prog run repeat ${REPEAT} on one ${representative.length}-byte TCP/IPv4 packet`);
console.log('ns/packet    capture:interp   wasm  speedup | engine-only:interp   wasm  (setupFrame) | rep.packet:interp   wasm  kernel  wasm/kernel  interp/kernel | exec-only (as kernel repeat):interp   wasm  wasm/kernel');
const only = process.env['BENCH_SAMPLES']?.split(',');
for (const sample of SAMPLES.filter((s) => only === undefined || only.includes(s))) {
  const bytes = readFileSync(samplePath(sample));
  const load = (engine: 'interp' | 'wasm'): XdpProgram => loadXdpProgramFromElf(bytes, { name: `${sample}.bpf.o`, program: PROGRAM[sample]!, engine });
  const i = measure(load('interp'));
  const w = measure(load('wasm'));
  const k = kernelNs(sample);
  const kText = typeof k === 'number' ? String(k) : 'n/a';
  const ratio = (x: number): string => (typeof k === 'number' && k > 0 ? `${(x / k).toFixed(2)}×` : '');
  console.log(`${sample.padEnd(11)} ${i.capture.toFixed(0).padStart(15)} ${w.capture.toFixed(0).padStart(6)} ${(i.capture / w.capture).toFixed(1).padStart(7)}× | ${i.engine.toFixed(0).padStart(18)} ${w.engine.toFixed(0).padStart(6)} ${`(${w.setup.toFixed(0)})`.padStart(12)} | ${i.rep.toFixed(0).padStart(17)} ${w.rep.toFixed(0).padStart(6)} ${kText.padStart(7)} ${ratio(w.rep).padStart(12)} ${ratio(i.rep).padStart(14)} | ${i.exec.toFixed(0).padStart(35)} ${w.exec.toFixed(0).padStart(6)} ${ratio(w.exec).padStart(12)}${typeof k === 'string' ? `  (kernel: ${k})` : ''}`);
}
