import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../lib/object/load-object.ts';
import { replay, type ReplayOptions } from '../../lib/replay/replay.ts';
import type { ReplaySummary } from '../../lib/replay/summary.ts';
import { loadXdpProgram } from '../../lib/xdp/xdp-program.ts';
import { concat, ethernetFrame, pcapHeader, pcapRecord, prng } from '../helpers/capture-bytes.ts';
import { MIXED_PCAP, readPackets, samplePath } from '../xdp/capture-packets.ts';

// replay() takes classic pcap in runs of records (PcapRunReplay) unless a packet callback, a
// filter or entry records need the general path. A no-op onPacket forces the general path: both
// must write the same bytes and count the same summary.

const PROGRAMS: [string, string][] = [['firewall', 'xdp_firewall'], ['ratelimit', 'xdp_ratelimit'], ['l4lb', 'xdp_l4lb'], ['decap', 'xdp_decap'],
  ['tailcall', 'xdp_dispatch'], ['redirect', 'xdp_redirect'], ['globals', 'xdp_globals'], ['subprog', 'xdp_sanity'], ['printk', 'xdp_printk']];

/** The mixed sample packets plus edge cases: runts, a jumbo frame with fragments, snapped records, second boundaries. */
function edgeCapture(littleEndian: boolean, nanos: boolean): Uint8Array {
  const rand = prng(7);
  const records: number[][] = [];
  let i = 0;
  const add = (data: Uint8Array, origLen = data.length): void => {
    // Seconds near 2^32 and fractions that cross second boundaries exercise the exact 64-bit split.
    const sec = 0xfffffff0 + (i >> 2), frac = nanos ? 999_999_990 + (i % 10) : 999_990 + (i % 10);
    records.push(pcapRecord({ sec, frac, data, origLen, littleEndian }));
    i++;
  };
  for (const p of readPackets(MIXED_PCAP)) add(p.data);
  add(new Uint8Array(0));
  add(ethernetFrame(13, 1));
  add(ethernetFrame(14, 2));
  const jumbo = readPackets(MIXED_PCAP).find((p) => p.data.length > 54)!.data;
  add(concat(jumbo, ethernetFrame(4000, 3)));
  for (let k = 0; k < 20; k++) {
    const p = readPackets(MIXED_PCAP)[Math.floor(rand() * 50)]!.data;
    add(p.subarray(0, Math.max(14, p.length - 10)), p.length + 1000);
  }
  return concat(pcapHeader({ littleEndian, nanos }), ...records);
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

async function replayBoth(sample: string, program: string, input: Uint8Array, chunk: number, options: ReplayOptions, write = true):
Promise<{ fast: Uint8Array; general: Uint8Array; fastSummary: ReplaySummary; generalSummary: ReplaySummary }> {
  const spec = loadObject(readFileSync(samplePath(sample)), { name: sample });
  const go = async (extra: ReplayOptions): Promise<[Uint8Array, ReplaySummary]> => {
    const chunks: Uint8Array[] = [];
    const prog = loadXdpProgram(spec, { program });
    const sink = write ? { write: (b: Uint8Array): void => void chunks.push(b.slice()) } : undefined;
    const summary = await replay(prog, chunked(input, chunk), sink, { batchBytes: 4096, ...options, ...extra });
    summary.elapsedMs = 0;
    return [Buffer.concat(chunks), summary];
  };
  const [fast, fastSummary] = await go({});
  const [general, generalSummary] = await go({ onPacket: () => undefined });
  return { fast, general, fastSummary, generalSummary };
}

for (const [littleEndian, nanos] of [[true, false], [false, true]] as const) {
  test(`the pcap run path writes and counts exactly what the general path does (${littleEndian ? 'little' : 'big'}-endian, ${nanos ? 'ns' : 'µs'})`, async (t) => {
    const input = edgeCapture(littleEndian, nanos);
    for (const [sample, program] of PROGRAMS) {
      for (const chunk of [input.length, 1000, 97]) {
        const r = await replayBoth(sample, program, input, chunk, {});
        t.true(Buffer.compare(r.fast, r.general) === 0, `${sample}, chunks of ${chunk}: output differs`);
        t.deepEqual(r.fastSummary, r.generalSummary, `${sample}, chunks of ${chunk}`);
      }
    }
  });
}

test('the pcap run path keeps --actions, the context overrides and -c like the general path', async (t) => {
  const input = edgeCapture(true, false);
  for (const [sample, program] of PROGRAMS) {
    const options: ReplayOptions = { actions: new Set([1, 3]), ifindex: 7, rxQueue: 3, count: 41 };
    const r = await replayBoth(sample, program, input, 500, options);
    t.true(Buffer.compare(r.fast, r.general) === 0, `${sample}: output differs`);
    t.deepEqual(r.fastSummary, r.generalSummary, sample);
    t.is(r.fastSummary.packetsIn, 41);
    const quiet = await replayBoth(sample, program, input, 500, {}, false);
    t.is(quiet.fast.length, 0);
    t.deepEqual(quiet.fastSummary, quiet.generalSummary, `${sample}, without output`);
  }
});

test('the pcap run path counts plain runs by exit and verdict in the summary', async (t) => {
  const input = edgeCapture(true, false);
  const r = await replayBoth('firewall', 'xdp_firewall', input, input.length, {});
  const verdicts = Object.values(r.fastSummary.verdicts).reduce((a, n) => a + n, 0);
  t.is(verdicts, r.fastSummary.packetsRun);
  t.is(r.fastSummary.packetsRun + r.fastSummary.notRun, r.fastSummary.packetsIn);
  t.true(r.fastSummary.notRun >= 2, 'the runts are not run');
  t.true(Object.keys(r.fastSummary.exitLines).length >= 2);
});
