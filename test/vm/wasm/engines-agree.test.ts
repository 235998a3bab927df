import test from 'ava';
import { readFileSync } from 'node:fs';
import type { MapSpec } from '../../../lib/object/types.ts';
import { MapType } from '../../../lib/object/types.ts';
import { compileImage } from '../../../lib/vm/wasm/compile.ts';
import { Wasm } from '../../../lib/vm/wasm/wasm-api.ts';
import { loadXdpProgram, loadXdpProgramFromElf, type XdpProgram, type XdpResult } from '../../../lib/xdp/xdp-program.ts';
import type { ObjectSpec } from '../../../lib/object/types.ts';
import { FRAME_BYTES, randomProgram, Rng } from '../../kernel/random-program.ts';
import { MIXED_PCAP, readPackets, samplePath, SAMPLES } from '../../xdp/capture-packets.ts';
import { programFrom } from '../run-program.ts';

/**
 * The interpreter is the reference: the wasm engine must give the same XdpResult — action,
 * output bytes, exit instruction and program, instruction count, helper and tail calls, printk,
 * the complete VmFault value — and the same map state, on the samples, on faults and budgets
 * that cut blocks at every position, and on seeded random programs.
 */

const PROGRAM: Record<string, string> = {
  firewall: 'xdp_firewall', ratelimit: 'xdp_ratelimit', l4lb: 'xdp_l4lb', decap: 'xdp_decap', tailcall: 'xdp_dispatch',
  redirect: 'xdp_redirect', globals: 'xdp_globals', subprog: 'xdp_sanity', printk: 'xdp_printk',
};

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function mapState(p: XdpProgram): string[] {
  return p.maps.names().sort().map((n) => `${n}: ${p.maps.get(n)!.entries().map(([k, v]) => `${hex(k)}=${hex(v)}`).sort().join(' ')}`);
}

/** A result as comparable plain data (the fault's line object included). */
const plain = (r: XdpResult): unknown => ({ ...r, packet: hex(r.packet), meta: hex(r.meta) });

const mixed = readPackets(MIXED_PCAP);

for (const sample of SAMPLES) {
  test(`the ${sample} sample gives identical results and map state on both engines over the mixed capture`, (t) => {
    const bytes = readFileSync(samplePath(sample));
    const interp = loadXdpProgramFromElf(bytes, { name: `${sample}.bpf.o`, program: PROGRAM[sample]!, engine: 'interp' });
    const wasm = loadXdpProgramFromElf(bytes, { name: `${sample}.bpf.o`, program: PROGRAM[sample]!, engine: 'wasm' });
    t.is(interp.engine, 'interp');
    t.is(wasm.engine, 'wasm');
    let insns = 0;
    mixed.forEach((p, i) => {
      const a = interp.run(p.data, { tsNs: p.tsNs, ifindex: 1 + (i % 3) });
      const b = wasm.run(p.data, { tsNs: p.tsNs, ifindex: 1 + (i % 3) });
      insns += a.insns;
      t.deepEqual(plain(b), plain(a), `packet ${i}`);
    });
    t.deepEqual(mapState(wasm), mapState(interp));
    t.log(`${sample}: ${mixed.length} packets, ${insns} instructions`);
  });

  test(`the ${sample} sample compiles to modules WebAssembly.validate accepts`, (t) => {
    const p = loadXdpProgramFromElf(readFileSync(samplePath(sample)), { name: `${sample}.bpf.o`, program: PROGRAM[sample]!, engine: 'interp' });
    for (const image of p.vm.images.values()) {
      const bytes = compileImage(image, { regions: p.vm.mem.regions, pages: p.vm.mem.buffer.byteLength / 65536 });
      t.true(Wasm.validate(bytes), image.name);
    }
  });
}

const rodata: MapSpec = {
  name: 'test.rodata', section: '.rodata', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0x80,
  initialValue: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), readOnly: true,
};
const counters: MapSpec = { name: 'counters', section: '.maps', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0, readOnly: false };

interface FaultCase { name: string; asm: string; mem?: number; maps?: MapSpec[]; budget?: number; kind: string }

const FAULTS: FaultCase[] = [
  { name: 'a packet read past data_end', asm: 'ldxb %r0, [%r1+100]\nexit', mem: 20, kind: 'out-of-bounds' },
  { name: 'a packet read below data', asm: 'ldxh %r0, [%r1-1]\nexit', kind: 'out-of-bounds' },
  { name: 'an 8-byte packet read straddling data_end', asm: 'ldxdw %r0, [%r1+16]\nexit', mem: 20, kind: 'out-of-bounds' },
  { name: 'a store below the frame through r10', asm: 'stb [%r10-513], 1\nexit', kind: 'out-of-bounds' },
  { name: 'a store above the frame through r10', asm: 'stw [%r10-2], 1\nexit', kind: 'out-of-bounds' },
  { name: 'a store below the frame through a copy of r10', asm: 'mov %r3, %r10\nstdw [%r3-520], 1\nexit', kind: 'out-of-bounds' },
  { name: 'a NULL dereference', asm: 'mov %r0, 0\nldxw %r0, [%r0+0]\nexit', kind: 'out-of-bounds' },
  { name: 'a negative effective address', asm: 'mov %r3, 4\nldxw %r0, [%r3-8]\nexit', kind: 'out-of-bounds' },
  { name: 'an address past 4 GiB', asm: 'mov32 %r3, -1\nldxw %r0, [%r3+100]\nexit', kind: 'out-of-bounds' },
  { name: 'a register with high bits set', asm: 'lddw %r3, 0x100001000\nldxw %r0, [%r3+0]\nexit', kind: 'out-of-bounds' },
  { name: 'a map handle dereference', asm: 'lddw %r3, 0xf0000000\nldxw %r0, [%r3+0]\nexit', kind: 'out-of-bounds' },
  { name: 'a write to .rodata', asm: 'mov %r3, 0x7000\nstb [%r3+0], 1\nexit', maps: [rodata], kind: 'read-only' },
  { name: 'an atomic add on .rodata', asm: 'mov %r3, 0x7000\nmov %r4, 1\nlock add [%r3+0], %r4\nexit', maps: [rodata], kind: 'read-only' },
  { name: 'a context write', asm: 'mov %r3, 0x1000\nstw [%r3+0], 1\nexit', kind: 'ctx-access' },
  { name: 'a misaligned context load', asm: 'mov %r3, 0x1000\nldxw %r0, [%r3+2]\nexit', kind: 'ctx-access' },
  { name: 'a 2-byte context load', asm: 'mov %r3, 0x1000\nldxh %r0, [%r3+12]\nexit', kind: 'ctx-access' },
  { name: 'an endless loop', asm: 'mov %r0, 2\nja -1\nexit', budget: 1000, kind: 'budget' },
  { name: 'unbounded recursion', asm: 'call local f\nexit\nf:\nstdw [%r10-8], 1\ncall local f\nexit', kind: 'call-depth' },
  { name: 'a lookup with a NULL key pointer (helper fault)', asm: 'lddw %r1, map:counters\nmov %r2, 0\ncall 1\nexit', maps: [counters], kind: 'bad-helper-arg|out-of-bounds' },
  { name: 'a lookup on a non-map', asm: 'mov %r1, 5\nmov %r2, %r10\nadd %r2, -4\ncall 1\nexit', kind: 'bad-helper-arg' },
];

function runBoth(asm: string, options: { mem?: number; maps?: MapSpec[]; budget?: number }): [XdpResult, XdpResult] {
  const frame = Uint8Array.from({ length: Math.max(14, options.mem ?? 14) }, (_, i) => (i * 37) & 0xff);
  const extra = options.budget === undefined ? {} : { budget: options.budget };
  const a = programFrom(asm, options.maps ?? [], { ...extra, engine: 'interp' }).run(frame);
  const b = programFrom(asm, options.maps ?? [], { ...extra, engine: 'wasm' }).run(frame);
  return [a, b];
}

for (const c of FAULTS) {
  test(`${c.name} gives the same VmFault on both engines`, (t) => {
    let asm = c.asm;
    if (asm.includes('map:counters')) asm = asm.replace('lddw %r1, map:counters', 'lddw %r1, 0xf0000000');
    const [a, b] = runBoth(asm, c);
    t.truthy(a.fault);
    t.regex(a.fault!.kind, new RegExp(`^(${c.kind})$`));
    t.deepEqual(plain(b), plain(a));
  });
}

test('the budget fault lands on the same instruction for every budget across loop blocks and calls', (t) => {
  const loop = 'mov %r0, 0\nmov %r2, 0\nl:\nadd %r0, 1\nstxdw [%r10-8], %r0\nldxdw %r3, [%r10-8]\ncall local f\njlt %r0, 1000, l\nexit\nf:\nadd %r2, %r3\nmov %r0, %r3\nexit';
  for (let budget = 1; budget <= 60; budget++) {
    const [a, b] = runBoth(loop, { budget });
    t.deepEqual(plain(b), plain(a), `budget ${budget}`);
  }
});

test('seeded random programs give identical results on both engines', (t) => {
  let programs = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const insns = randomProgram(seed);
    const object: ObjectSpec = { name: 'fuzz', license: 'GPL', maps: [], programs: [{ name: 'fuzz', section: 'xdp', isXdp: true, frags: false, insns, funcs: [{ insn: 0, name: 'fuzz' }], lines: [] }] };
    const a = loadXdpProgram(object, { engine: 'interp' });
    const b = loadXdpProgram(object, { engine: 'wasm' });
    const rng = new Rng(seed * 7919);
    for (const n of [FRAME_BYTES, FRAME_BYTES, 200, 100]) {
      const frame = Uint8Array.from({ length: n }, () => rng.int(256));
      t.deepEqual(plain(b.run(frame)), plain(a.run(frame)), `seed ${seed}`);
    }
    programs++;
  }
  t.is(programs, 150);
});

test('a budget running out inside or right after bpf_loop callbacks faults identically on both engines', async (t) => {
  const { clangAvailable, compileProg } = await import('../../kernel/compile-prog.ts');
  if (!clangAvailable()) { t.pass('clang not available'); return; }
  const bytes = readFileSync(compileProg('helpers-loop', 'v3'));
  const frame = new Uint8Array(64);
  new DataView(frame.buffer).setUint32(14, 5, true); // 5 iterations
  new DataView(frame.buffer).setUint32(18, 100, true); // no early stop
  const full = loadXdpProgramFromElf(bytes, { program: 'loops', engine: 'interp' }).run(frame).insns;
  t.true(full > 20);
  for (let budget = 1; budget <= full + 1; budget++) {
    const a = loadXdpProgramFromElf(bytes, { program: 'loops', engine: 'interp', budget }).run(frame);
    const b = loadXdpProgramFromElf(bytes, { program: 'loops', engine: 'wasm', budget }).run(frame);
    t.deepEqual(plain(b), plain(a), `budget ${budget}`);
  }
});
