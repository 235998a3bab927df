import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectSpec } from '../../lib/object/types.ts';
import { loadXdpProgram } from '../../lib/xdp/xdp-program.ts';
import { requireKernel } from '../helpers/kernel.ts';
import { runOracle } from '../helpers/oracle.ts';
import { FRAME_BYTES, randomProgram, Rng } from './random-program.ts';
import { instructionsToElf } from './write-elf.ts';

/**
 * Seeded random programs (see random-program.ts) run in the kernel and in the VM (both engines) over a few
 * packets each: same return value, same output frame. XDPREPLAY_FUZZ_PROGRAMS=N runs N
 * programs (default 50), XDPREPLAY_FUZZ_SEED picks the first seed.
 */
const COUNT = Number(process.env['XDPREPLAY_FUZZ_PROGRAMS'] ?? 50);
const FIRST = Number(process.env['XDPREPLAY_FUZZ_SEED'] ?? 1);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test(`${COUNT} random programs give the kernel's return values and output bytes`, (t) => {
  if (!requireKernel(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-fuzz-'));
  let programs = 0, insns = 0, packets = 0, rejected = 0;
  const failures: string[] = [];
  try {
    for (let seed = FIRST; seed < FIRST + COUNT; seed++) {
      const prog = randomProgram(seed);
      const path = join(dir, `p${seed}.o`);
      writeFileSync(path, instructionsToElf(prog, 'fuzz'));
      const rng = new Rng(seed * 7919);
      const frames = [FRAME_BYTES, FRAME_BYTES, 200, 100].map((n) => Uint8Array.from({ length: n }, () => rng.int(256)));
      let oracle;
      try {
        oracle = runOracle({ object: path, program: 'fuzz', packets: frames });
      } catch (err) {
        rejected++;
        if (rejected <= 3) t.log(`seed ${seed}: kernel refused the program: ${String(err).split('\n').slice(-6).join(' | ')}`);
        continue;
      }
      const object: ObjectSpec = { name: 'fuzz', license: 'GPL', maps: [], programs: [{ name: 'fuzz', section: 'xdp', isXdp: true, frags: false, insns: prog, funcs: [{ insn: 0, name: 'fuzz' }], lines: [] }] };
      programs++;
      insns += prog.length;
      for (const engine of ['interp', 'wasm'] as const) {
        const vm = loadXdpProgram(object, { engine });
        frames.forEach((f, i) => {
          packets++;
          const r = vm.run(f);
          const o = oracle.results[i]!;
          if (r.action !== o.ret || hex(r.packet) !== hex(o.out) || r.fault !== undefined) {
            failures.push(`[${engine}] seed ${seed} packet ${i}: ours ${r.action} ${r.fault?.message ?? ''} ${hex(r.packet).slice(0, 400)}\n kernel ${o.ret} ${hex(o.out).slice(0, 400)}`);
          }
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  t.log(`compared ${programs} programs (${insns} instructions) over ${packets} packets; kernel refused ${rejected}`);
  if (failures.length > 0) t.log(failures.slice(0, 5).join('\n'));
  t.is(failures.length, 0);
  t.true(rejected <= COUNT / 10, `the kernel refused ${rejected} of ${COUNT} generated programs`);
});
