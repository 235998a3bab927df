import test from 'ava';
import { requireKernel } from '../helpers/kernel.ts';
import type { OracleSeed } from '../helpers/oracle.ts';
import { assertSameAsKernel, diffWithKernel, type DiffPacket } from './compare-with-kernel.ts';
import { clangAvailable, compileProg } from './compile-prog.ts';

/**
 * Test programs written for the purpose (test/kernel/progs/*.c), one per instruction class or
 * edge case, compiled with clang at -mcpu=v1, v2 and v3, each run over packets of varied
 * shapes and sizes in the kernel and in the VM.
 */

let rng = 0x2545f491;
const rand = (): number => {
  rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5;
  return rng >>> 0;
};
const pick = <T>(xs: readonly T[]): T => xs[rand() % xs.length]!;

const SIZES = [14, 15, 29, 30, 60, 64, 128, 1500, 3520, 3521];
const SPECIAL64 = [0n, 1n, 2n, 3n, 31n, 32n, 33n, 63n, 64n, 0xffffffffn, 0x80000000n, 0x100000000n, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffbn, 0x7fffffffffffffffn, 0x1234567890abcdefn];

function frame(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = rand() & 0xff;
  return b;
}

function setU64(b: Uint8Array, at: number, v: bigint): void {
  if (at + 8 <= b.length) new DataView(b.buffer).setBigUint64(at, v, true);
}
function setI16(b: Uint8Array, at: number, v: number): void {
  if (at + 2 <= b.length) new DataView(b.buffer).setInt16(at, v, true);
}

/** Random frames whose input words (bytes 14..29) are special values most of the time. */
function aluPackets(n: number): DiffPacket[] {
  const out: DiffPacket[] = [];
  for (let i = 0; i < n; i++) {
    const b = frame(i < SIZES.length ? SIZES[i]! : pick([30, 60, 64, 100]));
    if (rand() % 4 !== 0) setU64(b, 14, pick(SPECIAL64));
    if (rand() % 4 !== 0) setU64(b, 22, pick(SPECIAL64));
    out.push({ data: b });
  }
  return out;
}

function adjustPackets(n: number): DiffPacket[] {
  const out: DiffPacket[] = [];
  for (let i = 0; i < n; i++) {
    const b = frame(i < SIZES.length ? SIZES[i]! : pick([20, 34, 60, 64, 1500, 3520]));
    setI16(b, 14, pick([-217, -216, -212, -100, -1, 0, 6, 10, 46, 47, 1000]));
    setI16(b, 16, pick([-3507, -1486, -47, -46, -20, -1, 0, 1, 10, 3456, 3457, 3000]));
    if (b.length > 18) b[18] = pick([0x80, 0x84, 0xfc, 0xfd, 0xf8, 0, 4, 0xe0]);
    out.push({ data: b });
  }
  // Multi-buffer frames: shrinking eats fragments first, growing uses the last fragment's page.
  for (const [size, tail] of [[3521, 10], [3521, 4095], [3521, 4096], [3521, -10], [4000, -480], [4000, -481], [8000, 100], [8000, -5000], [3600, -3567]] as const) {
    const b = frame(size);
    setI16(b, 14, 0);
    setI16(b, 16, tail);
    b[18] = 0;
    b[19] = rand() & 3;
    out.push({ data: b });
  }
  return out;
}

function redirPackets(n: number): DiffPacket[] {
  const out: DiffPacket[] = [];
  for (let i = 0; i < n; i++) {
    const b = frame(pick([26, 60]));
    new DataView(b.buffer).setUint32(14, pick([0, 1, 2, 3, 4, 5, 0xffffffff]), true);
    const flags = pick([0n, 1n, 2n, 3n, 4n, 8n, 9n, 16n, 24n, 27n, 32n, 0x100000000n]);
    for (let k = 0; k < 5; k++) b[18 + k] = Number((flags >> BigInt(8 * k)) & 0xffn);
    b[23] = rand() % 4 === 0 ? 0x77 : 0;
    out.push({ data: b });
  }
  return out;
}

const u32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };

const PROGS: { name: string; packets: () => DiffPacket[]; seeds?: OracleSeed[] }[] = [
  { name: 'alu', packets: () => aluPackets(60) },
  { name: 'atomics', packets: () => aluPackets(40) },
  { name: 'adjust', packets: () => adjustPackets(80) },
  { name: 'csum', packets: () => aluPackets(40).map((p) => ({ data: frame(pick([64, 65, 100, 1500])) })).concat(aluPackets(4)) },
  { name: 'redir', packets: () => redirPackets(60), seeds: [{ map: 'ports', key: u32(0), value: u32(1) }, { map: 'ports', key: u32(2), value: u32(1) }] },
];

for (const p of PROGS) {
  for (const cpu of ['v1', 'v2', 'v3'] as const) {
    test(`the ${p.name} test program (-mcpu=${cpu}) matches the kernel packet by packet`, (t) => {
      if (!requireKernel(t)) return;
      if (!clangAvailable()) { t.log('SKIPPED: clang not found'); t.pass(); return; }
      const obj = compileProg(p.name, cpu);
      const report = diffWithKernel(obj, p.name, p.packets(), { seeds: p.seeds ?? [] });
      t.log(`${p.name} ${cpu}: ${report.packets} packets compared`);
      assertSameAsKernel(t, report, `${p.name} ${cpu}`);
    });
  }
}

for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] tail calls made inside a bpf-to-bpf function match the kernel (the target returns to the function's caller)`, (t) => {
    if (!requireKernel(t)) return;
    if (!clangAvailable()) { t.log('SKIPPED: clang not found'); t.pass(); return; }
    const packets: DiffPacket[] = [];
    for (let i = 0; i < 64; i++) {
      const b = frame(pick([14, 15, 16, 60, 64, 1500]));
      if (b.length > 14) b[14] = (i & 0x30) | (rand() & 0x0f);
      packets.push({ data: b });
    }
    const report = diffWithKernel(compileProg('tailcall-subprog', 'v3'), 'tc_subprog', packets, { engine });
    t.log(`tailcall-subprog ${engine}: ${report.packets} packets compared`);
    assertSameAsKernel(t, report, `tailcall-subprog ${engine}`);
  });
}
