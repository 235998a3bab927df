import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../lib/object/load-object.ts';
import { InputPacketReader } from '../../lib/replay/input-packets.ts';
import { replay, type ReplayOptions } from '../../lib/replay/replay.ts';
import type { ReplaySummary } from '../../lib/replay/summary.ts';
import { loadXdpProgram } from '../../lib/xdp/xdp-program.ts';
import { concat, epb, ethernetFrame, idb, option, pcapHeader, pcapRecord, prng, shb, stringOption, u32, u64 } from '../helpers/capture-bytes.ts';
import { MIXED_PCAP, readPackets, samplePath } from '../xdp/capture-packets.ts';

// replay() takes packets in runs (RunReplay: pcap records, pcapng EPBs without options) unless a
// packet callback, a filter or entry records need the general path. A no-op onPacket forces the
// general path: both must write the same bytes and count the same summary.

const PROGRAMS: [string, string][] = [['firewall', 'xdp_firewall'], ['ratelimit', 'xdp_ratelimit'], ['l4lb', 'xdp_l4lb'], ['decap', 'xdp_decap'],
  ['tailcall', 'xdp_dispatch'], ['redirect', 'xdp_redirect'], ['globals', 'xdp_globals'], ['subprog', 'xdp_sanity'], ['printk', 'xdp_printk']];

/** The mixed sample packets plus edge cases: runts, a jumbo frame with fragments, snapped records, second boundaries. */
function edgePackets(): { data: Uint8Array; origLen: number }[] {
  const rand = prng(7);
  const out: { data: Uint8Array; origLen: number }[] = [];
  const add = (data: Uint8Array, origLen = data.length): void => void out.push({ data, origLen });
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
  return out;
}

function edgeCapture(littleEndian: boolean, nanos: boolean): Uint8Array {
  // Seconds near 2^32 and fractions that cross second boundaries exercise the exact 64-bit split.
  const records = edgePackets().map(({ data, origLen }, i) =>
    pcapRecord({ sec: 0xfffffff0 + (i >> 2), frac: nanos ? 999_999_990 + (i % 10) : 999_990 + (i % 10), data, origLen, littleEndian }));
  return concat(pcapHeader({ littleEndian, nanos }), ...records);
}

/**
 * The same packets as pcapng: two interfaces (µs, ns); EPBs with epb_queue and comments, with
 * flags, packet ids and verdicts (as xdpreplay writes them), and one queue beyond 2^31 − 1.
 */
function edgePcapng(): Uint8Array {
  const blocks = edgePackets().map(({ data, origLen }, i) => epb({
    interfaceId: i % 2, ts: 1_700_000_000_999_990n + BigInt(i) * (i % 2 === 0 ? 1n : 1000n), data, origLen,
    options: i === 20 ? [option(6, u32(0x80000000))]
      : i % 9 === 4 ? [option(6, u32(i % 4)), stringOption(1, 'queued'), option(6, u32(i % 3))]
        : i % 7 === 2 ? [option(7, [2, ...u64(1n)]), stringOption(1, 'XDP_DROP x.c:1 insns=9'), option(2, u32(1)), option(5, u64(BigInt(i))), option(6, u32(2))]
          : [],
  }));
  return concat(shb(), idb({ options: [option(9, [6])] }), idb({ options: [option(9, [9])] }), ...blocks);
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
  test(`the run path writes and counts exactly what the general path does (${littleEndian ? 'little' : 'big'}-endian, ${nanos ? 'ns' : 'µs'})`, async (t) => {
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

test('the run path writes and counts pcapng input exactly as the general path does', async (t) => {
  const input = edgePcapng();
  // Replay runs take EPBs with options (keeping epb_queue), except the queue past int32.
  const reader = new InputPacketReader();
  reader.append(input);
  let inRuns = 0;
  for (;;) {
    const run = reader.takeRun(Infinity, 1 << 20);
    if (run !== undefined) inRuns += run.count;
    else if (reader.next() === undefined) break;
  }
  t.is(inRuns, edgePackets().length - 1);
  for (const [sample, program] of PROGRAMS) {
    for (const chunk of [input.length, 333]) {
      const r = await replayBoth(sample, program, input, chunk, {});
      t.true(Buffer.compare(r.fast, r.general) === 0, `${sample}, chunks of ${chunk}: output differs`);
      t.deepEqual(r.fastSummary, r.generalSummary, `${sample}, chunks of ${chunk}`);
    }
  }
});

test('the run path keeps --actions, the context overrides and -c like the general path', async (t) => {
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

test('the run path counts plain runs by exit and verdict in the summary', async (t) => {
  const input = edgeCapture(true, false);
  const r = await replayBoth('firewall', 'xdp_firewall', input, input.length, {});
  const verdicts = Object.values(r.fastSummary.verdicts).reduce((a, n) => a + n, 0);
  t.is(verdicts, r.fastSummary.packetsRun);
  t.is(r.fastSummary.packetsRun + r.fastSummary.notRun, r.fastSummary.packetsIn);
  t.true(r.fastSummary.notRun >= 2, 'the runts are not run');
  t.true(Object.keys(r.fastSummary.exitLines).length >= 2);
});

test('a record larger than the host area (here 900 kB) takes the general path inside a run', async (t) => {
  const big = concat(readPackets(MIXED_PCAP).find((p) => p.data.length > 54)!.data, ethernetFrame(900_000, 9));
  const small = readPackets(MIXED_PCAP).slice(0, 5);
  const input = concat(pcapHeader(), ...small.map((p, i) => pcapRecord({ sec: 1, frac: i, data: p.data })), pcapRecord({ sec: 2, frac: 0, data: big }),
    ...small.map((p, i) => pcapRecord({ sec: 3, frac: i, data: p.data })));
  const r = await replayBoth('firewall', 'xdp_firewall', input, input.length, { maxCaplen: 1 << 20 });
  t.true(Buffer.compare(r.fast, r.general) === 0, 'output differs');
  t.deepEqual(r.fastSummary, r.generalSummary);
  t.is(r.fastSummary.packetsIn, 11);
});
