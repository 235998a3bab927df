import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../lib/object/load-object.ts';
import { compareResults, diff, firstDifferingByte, verdictLabel, type DiffReport } from '../../lib/replay/diff.ts';
import { formatDiffReport, formatMatrix } from '../../lib/replay/diff-report.ts';
import { replay } from '../../lib/replay/replay.ts';
import type { VmFault } from '../../lib/vm/fault.ts';
import { XdpAction } from '../../lib/xdp/constants.ts';
import { loadXdpProgram, type XdpProgram, type XdpResult } from '../../lib/xdp/xdp-program.ts';
import { concat, epb, idb, option, shb, stringOption } from '../helpers/capture-bytes.ts';
import { requireKernel } from '../helpers/kernel.ts';
import { runOracle } from '../helpers/oracle.ts';
import { MIXED_PCAP, readPackets, SAMPLES, samplePath } from '../xdp/capture-packets.ts';

const variantPath = (name: string): string => new URL(`../../samples/variants/${name}.bpf.o`, import.meta.url).pathname;
const PAIRS = [
  { old: 'firewall', new: 'firewall_v2', program: 'xdp_firewall' },
  { old: 'l4lb', new: 'l4lb_v2', program: 'xdp_l4lb' },
] as const;
const pathOf = (name: string): string => (name.endsWith('_v2') ? variantPath(name) : samplePath(name));
const load = (name: string): XdpProgram => loadXdpProgram(loadObject(readFileSync(pathOf(name)), { name }));
const MIXED = new Uint8Array(readFileSync(MIXED_PCAP));
const PACKETS = readPackets(MIXED_PCAP);

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

type Matrix = DiffReport['matrix'];

function bump(m: Matrix, row: string, col: string): void {
  const r = (m[row] ??= {});
  r[col] = (r[col] ?? 0) + 1;
}

/** Every packet through a fresh instance of one version, on its own (ifindex 1, queue 0 as the diff gives a one-interface pcap). */
function independentRun(name: string): XdpResult[] {
  const prog = load(name);
  return PACKETS.map((p) => prog.run(p.data, { ifindex: 1, rxQueue: 0, tsNs: p.tsNs }));
}

const offDiagonal = (m: Matrix): number => Object.entries(m).reduce((n, [row, cols]) => n + Object.entries(cols).reduce((k, [col, c]) => k + (col === row ? 0 : c), 0), 0);

for (const pair of PAIRS) {
  test(`the ${pair.old} → ${pair.new} matrix and difference counts equal independent runs of each version`, async (t) => {
    const report = await diff(load(pair.old), load(pair.new), once(MIXED), undefined, { first: 1000 });
    const oldRuns = independentRun(pair.old);
    const newRuns = independentRun(pair.new);
    const matrix: Matrix = {};
    const kinds = { 'fault-appeared': 0, 'fault-disappeared': 0, verdict: 0, bytes: 0 };
    const differing: number[] = [];
    oldRuns.forEach((o, i) => {
      bump(matrix, verdictLabel(o), verdictLabel(newRuns[i]!));
      const d = compareResults(o, newRuns[i]!);
      if (d !== undefined) {
        kinds[d.kind]++;
        differing.push(i + 1);
      }
    });
    t.is(report.packetsIn, PACKETS.length);
    t.deepEqual(report.matrix, matrix);
    t.deepEqual(report.kinds, kinds);
    t.deepEqual(report.packets.map((p) => p.packetId), differing);
    t.true(report.packetsDiffering > 0, 'the variant changes something on mixed.pcap');
    // The matrix rows are the old version's verdict counts as replay() reports them.
    const summary = await replay(load(pair.old), once(MIXED), undefined);
    const rows = Object.fromEntries(Object.entries(report.matrix).filter(([k]) => k !== 'not run').map(([k, cols]) => [k, Object.values(cols).reduce((a, b) => a + b, 0)]));
    t.deepEqual(rows, summary.verdicts);
  });

  test(`the ${pair.old} → ${pair.new} matrix and byte changes equal what the kernel gives for each version`, async (t) => {
    if (!requireKernel(t)) return;
    const report = await diff(load(pair.old), load(pair.new), once(MIXED), undefined, { first: 1000 });
    const oldK = runOracle({ object: pathOf(pair.old), program: pair.program, packets: MIXED_PCAP }).results;
    const newK = runOracle({ object: pathOf(pair.new), program: pair.program, packets: MIXED_PCAP }).results;
    const label = (r: { ret: number; errno: number }): string => (r.errno !== 0 ? 'not run' : verdictLabel({ action: r.ret } as XdpResult));
    const matrix: Matrix = {};
    const bytesChanged: number[] = [];
    oldK.forEach((o, i) => {
      const n = newK[i]!;
      bump(matrix, label(o), label(n));
      if (o.errno === 0 && n.errno === 0 && o.ret === n.ret && firstDifferingByte(o.out, n.out) >= 0) bytesChanged.push(i + 1);
    });
    t.deepEqual(report.matrix, matrix);
    t.deepEqual(report.packets.filter((p) => p.kind === 'bytes').map((p) => p.packetId), bytesChanged);
  });
}

test('identical objects give no difference and nothing off the diagonal', async (t) => {
  const report = await diff(load('firewall'), load('firewall'), once(MIXED), undefined);
  t.is(report.packetsDiffering, 0);
  t.is(offDiagonal(report.matrix), 0);
  t.deepEqual(report.kinds, { 'fault-appeared': 0, 'fault-disappeared': 0, verdict: 0, bytes: 0 });
  t.deepEqual(report.packets, []);
  t.regex(formatDiffReport(report), /300 packets compared \(verdicts and output bytes\), 0 differ/);
});

test('a changed hash shows as byte changes at the first differing offset, named by the decoder', async (t) => {
  const report = await diff(load('l4lb'), load('l4lb_v2'), once(MIXED), undefined, { first: 3 });
  t.is(report.kinds.verdict, 0);
  t.true(report.kinds.bytes > 0);
  t.is(report.packets.length, 3);
  for (const p of report.packets) {
    t.like(p, { kind: 'bytes', old: { verdict: 'XDP_TX' }, new: { verdict: 'XDP_TX' } });
    t.regex(p.old.exit ?? '', /^l4lb\.c:\d+$/);
    t.regex(p.new.exit ?? '', /^l4lb_v2\.c:\d+$/);
    // The backend MAC comes first: eth.dst, then (for every moved flow) the outer daddr.
    t.is(p.field, 'eth.dst');
    t.regex(p.summary, /^IP 10\.1\.\d+\.\d+\.\d+ > 192\.0\.2\.10\.80: tcp$/);
  }
  const verdictOnly = await diff(load('l4lb'), load('l4lb_v2'), once(MIXED), undefined, { compare: 'verdict' });
  t.is(verdictOnly.packetsDiffering, 0);
});

test('a budget between the two versions\' instruction counts makes faults appear and disappear, as independent runs say', async (t) => {
  const budgeted = (name: string): XdpProgram => loadXdpProgram(loadObject(readFileSync(pathOf(name)), { name }), { budget: 110 });
  const report = await diff(budgeted('firewall'), budgeted('firewall_v2'), once(MIXED), undefined, { first: 1000 });
  t.true(report.kinds['fault-appeared'] > 0);
  t.true(report.kinds['fault-disappeared'] > 0);
  const oldP = budgeted('firewall'), newP = budgeted('firewall_v2');
  const kinds = { 'fault-appeared': 0, 'fault-disappeared': 0, verdict: 0, bytes: 0 };
  for (const p of PACKETS) {
    const d = compareResults(oldP.run(p.data, { ifindex: 1, rxQueue: 0, tsNs: p.tsNs }), newP.run(p.data, { ifindex: 1, rxQueue: 0, tsNs: p.tsNs }));
    if (d !== undefined) kinds[d.kind]++;
  }
  t.deepEqual(report.kinds, kinds);
  const appeared = report.packets.find((p) => p.kind === 'fault-appeared')!;
  t.like(appeared, { new: { verdict: 'XDP_ABORTED' } });
  t.regex(appeared.new.fault ?? '', /budget/);
  t.is(appeared.old.fault, undefined);
  t.regex(formatDiffReport(report), /fault appeared: XDP_\w+ firewall\.c:\d+ → XDP_ABORTED firewall_v2\.c:\d+ \(fault: /);
});

test('count limits the packets compared and first limits the packets listed', async (t) => {
  const seen: number[] = [];
  const report = await diff(load('firewall'), load('firewall_v2'), once(MIXED), undefined, { count: 20, first: 1, onDifference: (p) => seen.push(p.packetId) });
  t.is(report.packetsIn, 20);
  t.is(report.packets.length, 1);
  t.is(seen.length, report.packetsDiffering);
  t.deepEqual(report.packets[0], (await diff(load('firewall'), load('firewall_v2'), once(MIXED), undefined, { first: 1 })).packets[0]);
});

test('engine self-check: every sample program on the interpreter and on the wasm engine gives no difference', async (t) => {
  for (const name of SAMPLES) {
    const spec = loadObject(readFileSync(samplePath(name)), { name });
    for (const program of spec.programs.map((p) => p.name)) {
      const interp = loadXdpProgram(spec, { program, engine: 'interp' });
      const wasm = loadXdpProgram(spec, { program, engine: 'wasm' });
      t.is(wasm.engine, 'wasm');
      const report = await diff(interp, wasm, once(MIXED), undefined, { first: 3 });
      t.is(report.packetsDiffering, 0, `${name}/${program}: ${JSON.stringify(report.packets)}`);
      t.is(offDiagonal(report.matrix), 0);
    }
  }
});

function result(over: Partial<XdpResult>): XdpResult {
  return {
    action: XdpAction.PASS, packet: new Uint8Array([1, 2, 3, 4]), meta: new Uint8Array(0), exitInsn: 7, exitProgram: 'p',
    insns: 10, helperCalls: 0, tailCalls: 0, printk: [], ...over,
  };
}

const FAULT: VmFault = { kind: 'out-of-bounds', pc: 3, program: 'p', addr: 0, size: 4, region: 'null', message: 'out-of-bounds read of 4 bytes at null+0 (insn 3)' };

test('compareResults classifies faults, verdicts, bytes and metadata', (t) => {
  const base = result({});
  t.is(compareResults(base, result({})), undefined);
  t.deepEqual(compareResults(base, result({ action: XdpAction.ABORTED, fault: FAULT })), { kind: 'fault-appeared' });
  t.deepEqual(compareResults(result({ action: XdpAction.ABORTED, fault: FAULT }), base), { kind: 'fault-disappeared' });
  t.deepEqual(compareResults(base, result({ action: XdpAction.DROP })), { kind: 'verdict' });
  t.deepEqual(compareResults(base, result({ action: XdpAction.TX, packet: new Uint8Array([1, 9, 3, 4]) })), { kind: 'verdict', byteOffset: 1 });
  t.deepEqual(compareResults(base, result({ packet: new Uint8Array([1, 2, 3, 4, 5]) })), { kind: 'bytes', byteOffset: 4 });
  t.is(compareResults(base, result({ packet: new Uint8Array([0, 2, 3, 4]) }), 'verdict'), undefined);
  t.deepEqual(compareResults(base, result({ meta: new Uint8Array([0, 0, 0, 1]) })), { kind: 'bytes', metaOnly: true });
  const runt = result({ notRun: 'frame of 8 bytes is shorter than the 14-byte Ethernet header' });
  t.is(compareResults(runt, runt), undefined);
  t.is(verdictLabel(runt), 'not run');
  t.is(verdictLabel(result({ action: 7 })), '7');
});

test('the matrix text lists old verdicts as rows and new verdicts as columns', (t) => {
  t.is(formatMatrix({ XDP_PASS: { XDP_PASS: 5, XDP_DROP: 2 }, XDP_DROP: { XDP_DROP: 1 } }), [
    'old \\ new  XDP_DROP  XDP_PASS',
    'XDP_DROP          1         0',
    'XDP_PASS          2         5',
  ].join('\n'));
});

test('firstDifferingByte finds the first differing offset, the shorter length for a prefix, and -1 for equal frames', (t) => {
  const a = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  t.is(firstDifferingByte(a, a.slice()), -1);
  t.is(firstDifferingByte(a.subarray(0, 0), new Uint8Array(0)), -1);
  for (const at of [0, 1, 7, 8, 255, 299]) {
    const b = a.slice();
    b[at] ^= 0x80;
    t.is(firstDifferingByte(a, b), at);
  }
  t.is(firstDifferingByte(a, a.subarray(0, 120)), 120);
  t.is(firstDifferingByte(a.subarray(0, 120), a), 120);
});

/** The same packets as a pcapng whose EPBs all carry a comment: no run path, every packet on the general one. */
function commentedPcapng(): Uint8Array {
  return concat(shb(), idb({ options: [option(9, [9])] }),
    ...PACKETS.map((p, i) => epb({ ts: p.tsNs, data: p.data, options: [stringOption(1, `packet ${i + 1}`)] })));
}

async function diffToBytes(oldP: XdpProgram, newP: XdpProgram, input: Uint8Array, options: Parameters<typeof diff>[4]): Promise<{ report: string; out: Uint8Array }> {
  const chunks: Uint8Array[] = [];
  const report = await diff(oldP, newP, once(input), { write: (b) => void chunks.push(b.slice()) }, { first: 1000, ...options });
  report.elapsedMs = 0;
  return { report: JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), out: concat(...chunks) };
}

test('the run path of diff reports and writes exactly what the general path does', async (t) => {
  const general = commentedPcapng();
  const cases: [string, () => XdpProgram, () => XdpProgram][] = [
    ...PAIRS.map((p): [string, () => XdpProgram, () => XdpProgram] => [`${p.old} → ${p.new}`, () => load(p.old), () => load(p.new)]),
    // Every sample against itself on the other engine: the plain and the general cases of each.
    ...SAMPLES.flatMap((s) => {
      const spec = loadObject(readFileSync(samplePath(s)), { name: s });
      return spec.programs.map((p): [string, () => XdpProgram, () => XdpProgram] => [`${s}/${p.name} interp → wasm`,
        () => loadXdpProgram(spec, { program: p.name, engine: 'interp' }), () => loadXdpProgram(spec, { program: p.name, engine: 'wasm' })]);
    }),
  ];
  for (const [name, oldP, newP] of cases) {
    for (const compare of ['bytes', 'verdict'] as const) {
      const viaRuns = await diffToBytes(oldP(), newP(), MIXED, { compare });
      const viaRecords = await diffToBytes(oldP(), newP(), general, { compare });
      t.is(viaRuns.report, viaRecords.report, `${name}, --compare ${compare}: report`);
      t.true(Buffer.compare(viaRuns.out, viaRecords.out) === 0, `${name}, --compare ${compare}: output differs`);
    }
  }
});
