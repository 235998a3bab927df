import test from 'ava';
import { requireKernel } from '../helpers/kernel.ts';
import { assertSameAsKernel, diffWithKernel, type DiffPacket } from './compare-with-kernel.ts';
import { clangAvailable, compileProg } from './compile-prog.ts';

/**
 * Helpers other than map helpers (test/kernel/progs/helpers-*.c), each program run over varied
 * packets in the kernel and on both VM engines: return values land in the `res` array, packet
 * writes in the output frame.
 */

let rng = 0x6d2b79f5;
const rand = (): number => {
  rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5;
  return rng >>> 0;
};
const pick = <T>(xs: readonly T[]): T => xs[rand() % xs.length]!;

function frame(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = rand() & 0xff;
  return b;
}
const setU32 = (b: Uint8Array, at: number, v: number): void => { if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, v >>> 0, true); };

function loopPackets(): DiffPacket[] {
  const out: DiffPacket[] = [];
  const cases: [number, number, number][] = [
    [0, 0, 0], [1, 5, 0], [10, 100, 0], [10, 3, 0], [100, 99, 0], [1000, 2000, 0], [5, 0, 1], [5, 2, 0x80],
    [1 << 23, 5, 0], [(1 << 23) + 1, 0, 0], [0xffffffff, 0, 0], [7, 7, 0],
  ];
  for (const [nr, stop, flags] of cases) {
    const b = frame(pick([40, 41, 60, 88, 100]));
    setU32(b, 14, nr); setU32(b, 18, stop); b[22] = flags; b[23] = rand() & 31;
    out.push({ data: b });
  }
  return out;
}

function packetPackets(): DiffPacket[] {
  const out: DiffPacket[] = [];
  const sizes = [34, 60, 100, 1500, 3520, 3521, 3600, 4000, 8000, 9000];
  for (let i = 0; i < 50; i++) {
    const size = i < sizes.length ? sizes[i]! : pick(sizes);
    const b = frame(size);
    const dv = new DataView(b.buffer);
    dv.setUint16(14, pick([0, 1, 14, size - 16, size - 15, size - 7, size, 3510, 3515, 3520, 0xffff, rand() % size]) & 0xffff, true);
    const off2 = pick([0, 3500, 3490, 3519, 3520, size - 40, size - 39, size - 33, 0x10000, rand() % size]);
    dv.setUint16(16, off2 & 0xffff, true); b[18] = (off2 >>> 16) & 0xff;
    dv.setInt32(20, pick([0, 1, -1, 100, -100, 65536, 65522, 65523, -2000000000, 2000000000]), true);
    dv.setUint32(24, pick([0, 0, 1, 1486, 65522, 65536, 65537, 0xffffffff]), true);
    b[28] = rand() & 0x83;
    out.push({ data: b });
  }
  return out;
}

const enc = new TextEncoder();

function miscPackets(): DiffPacket[] {
  const strs = ['123', '  -42xyz', '0x1fz', '0777', '-0', '18446744073709551615', '18446744073709551616', '9223372036854775808', '-9223372036854775808', 'hello', 'hell', 'abc', '', ' ', '-', '0x', 'ff', '\t+5'];
  const out: DiffPacket[] = [];
  for (let i = 0; i < 60; i++) {
    const b = frame(pick([64, 100, 300, 300]));
    b.fill(0, 14, 38);
    const text = i < strs.length ? strs[i]! : pick(strs);
    b.set(enc.encode(text).subarray(0, 24), 14);
    b[38] = pick([0, 0, 8, 10, 16, 2, 0x20]);
    b[39] = pick([0, 1, 3, 15, text.length - 1, text.length]);
    b[40] = pick([0, 3, 4, 5, 15]);
    b[48] = pick([0, 4, 24, 25, 28, 29, 32, 33, 40]);
    b[49] = rand() & 7; b[50] = pick([0, 1, 1, 200]); b[51] = pick([0, 1, 4, 0x40]);
    b[52] = rand() & 3;
    out.push({ data: b });
  }
  return out;
}

const PROGS: { name: string; program: string; packets: () => DiffPacket[] }[] = [
  { name: 'helpers-loop', program: 'loops', packets: loopPackets },
  { name: 'helpers-packet', program: 'packet', packets: packetPackets },
  { name: 'helpers-misc', program: 'misc', packets: miscPackets },
];

for (const p of PROGS) {
  for (const engine of ['interp', 'wasm'] as const) {
    test(`[${engine}] ${p.name} matches the kernel packet by packet`, (t) => {
      if (!requireKernel(t)) return;
      if (!clangAvailable()) { t.log('SKIPPED: clang not found'); t.pass(); return; }
      const obj = compileProg(p.name, 'v3');
      const report = diffWithKernel(obj, p.program, p.packets(), { engine });
      t.log(`${p.name} ${engine}: ${report.packets} packets compared`);
      assertSameAsKernel(t, report, `${p.name} ${engine}`);
    });
  }
}
