import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReader } from '../../lib/capture/read-capture.ts';
import type { PacketRecord } from '../../lib/capture/types.ts';
import { loadObject } from '../../lib/object/load-object.ts';
import { replay } from '../../lib/replay/replay.ts';
import type { ReplaySummary } from '../../lib/replay/summary.ts';
import { loadXdpProgram } from '../../lib/xdp/xdp-program.ts';
import { requireKernel } from '../helpers/kernel.ts';
import { runOracle } from '../helpers/oracle.ts';
import { MIXED_PCAP, readPackets, samplePath } from '../xdp/capture-packets.ts';

const CLI = new URL('../../cmd/xdpreplay.ts', import.meta.url).pathname;
const FIREWALL = samplePath('firewall');
const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-replay-'));

function xdpreplay(args: string[], input?: Uint8Array): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { input, maxBuffer: 1 << 28 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

function tshark(file: string, filter: string, fields: string[] = ['frame.number']): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

function records(bytes: Uint8Array): { packets: PacketRecord[]; ifaceNames: (string | undefined)[] } {
  const reader = new CaptureReader();
  reader.append(bytes);
  const packets: PacketRecord[] = [];
  const ifaceNames: (string | undefined)[] = [];
  for (let r = reader.next(); r !== undefined; r = reader.next()) {
    if (r.type === 'packet') packets.push(r);
    else if (r.type === 'interface') ifaceNames.push(r.name);
  }
  return { packets, ifaceNames };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function replayToBytes(sample: string, program: string, input: Uint8Array): Promise<{ out: Uint8Array; summary: ReplaySummary }> {
  const spec = loadObject(readFileSync(samplePath(sample)), { name: sample });
  const prog = loadXdpProgram(spec, { program });
  const chunks: Uint8Array[] = [];
  const summary = await replay(prog, once(input), { write: (b) => void chunks.push(b.slice()) });
  return { out: Buffer.concat(chunks), summary };
}

test('every exit record carries the verdict and bytes the kernel gives for that packet in sequence', async (t) => {
  if (!requireKernel(t)) return;
  const samples: [string, string][] = [['firewall', 'xdp_firewall'], ['l4lb', 'xdp_l4lb'], ['decap', 'xdp_decap'], ['tailcall', 'xdp_dispatch'],
    ['redirect', 'xdp_redirect'], ['globals', 'xdp_globals'], ['subprog', 'xdp_sanity'], ['printk', 'xdp_printk']];
  const input = readFileSync(MIXED_PCAP);
  const inputPackets = readPackets(MIXED_PCAP);
  for (const [sample, program] of samples) {
    const { out } = await replayToBytes(sample, program, input);
    const kernel = runOracle({ object: samplePath(sample), program, packets: MIXED_PCAP });
    const { packets } = records(out);
    t.is(packets.length, inputPackets.length, sample);
    for (let i = 0; i < packets.length; i++) {
      const rec = packets[i]!;
      const k = kernel.results[i]!;
      t.is(rec.packetId, BigInt(i + 1));
      if (k.errno !== 0) {
        t.is(rec.verdicts.length, 0, `${sample} packet ${i + 1}: a frame the kernel refuses has no verdict`);
        t.regex(rec.comments[0] ?? '', /^not run: /);
        continue;
      }
      t.is(rec.verdicts[0]?.action, BigInt(k.ret), `${sample} packet ${i + 1} verdict`);
      // The kernel's data_out starts at data_meta; our record holds data..data_end and shows meta in the comment.
      const meta = /meta=([0-9a-f]+)/.exec(rec.comments[0] ?? '')?.[1] ?? '';
      t.is(meta + Buffer.from(rec.data).toString('hex'), Buffer.from(k.out).toString('hex'), `${sample} packet ${i + 1} bytes`);
    }
  }
});

test('tcpdump reads the output from a pipe and tshark selects exactly the packets counted as dropped', (t) => {
  const summaryFile = join(dir, 'summary.json');
  const r = xdpreplay([MIXED_PCAP, FIREWALL, '-o', '-', '--json-summary', summaryFile]);
  t.is(r.status, 0, r.stderr);
  const td = spawnSync('tcpdump', ['-nr', '-'], { input: r.stdout });
  t.is(td.status, 0);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as ReplaySummary;
  t.is(td.stdout.toString().split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l)).length, summary.packetsIn);
  const out = join(dir, 'fw.pcapng');
  writeFileSync(out, r.stdout);
  const drops = tshark(out, 'frame.verdict.ebpf_xdp == "XDP_DROP"');
  t.true(drops.length > 0);
  t.is(drops.length, summary.verdicts['XDP_DROP']);
  t.is(tshark(out, 'frame.verdict.ebpf_xdp == 1').length, drops.length);
  t.regex(r.stderr, /XDP_DROP/);
});

test('frame.comment selects the packets that exited at a source line', (t) => {
  const summaryFile = join(dir, 'summary-lines.json');
  const out = join(dir, 'lines.pcapng');
  const r = xdpreplay([MIXED_PCAP, FIREWALL, '-o', out, '--json-summary', summaryFile, '-q']);
  t.is(r.status, 0, r.stderr);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as ReplaySummary;
  for (const [verdict, lines] of Object.entries(summary.exitLines)) {
    for (const [where, count] of Object.entries(lines)) {
      const got = tshark(out, `frame.comment contains "${verdict} ${where} "`);
      t.is(got.length, count, `${verdict} at ${where}`);
    }
  }
});

test('--capture both writes an entry and an exit record per packet with the same packet id', (t) => {
  const out = join(dir, 'both.pcapng');
  const r = xdpreplay([MIXED_PCAP, FIREWALL, '-o', out, '--capture', 'both', '-c', '20', '-q']);
  t.is(r.status, 0, r.stderr);
  const rows = tshark(out, 'frame', ['frame.packet_id', 'frame.interface_name', 'frame.verdict.ebpf_xdp']);
  t.is(rows.length, 40);
  for (let i = 0; i < 20; i++) {
    const [entry, exit] = [rows[2 * i]!, rows[2 * i + 1]!];
    t.is(entry[0], String(i + 1));
    t.is(exit[0], String(i + 1));
    t.regex(entry[1]!, /@entry$/);
    t.regex(exit[1]!, /@exit$/);
    t.is(entry[2] ?? '', '', 'entry records carry no verdict');
  }
  t.is(execFileSync('capinfos', ['-c', '-M', out], { encoding: 'utf8' }).match(/Number of packets:\s+(\d+)/)?.[1], '40');
});

test('--actions and a filter expression select what is written, not what runs', (t) => {
  const all = join(dir, 'all.json');
  const sel = join(dir, 'sel.json');
  t.is(xdpreplay([MIXED_PCAP, FIREWALL, '-o', join(dir, 'a.pcapng'), '--json-summary', all, '-q']).status, 0);
  const r = xdpreplay([MIXED_PCAP, FIREWALL, '-o', '-', '--actions', 'drop', '--json-summary', sel, '-q', 'tcp']);
  t.is(r.status, 0, r.stderr);
  const a = JSON.parse(readFileSync(all, 'utf8')) as ReplaySummary;
  const s = JSON.parse(readFileSync(sel, 'utf8')) as ReplaySummary;
  t.deepEqual(s.verdicts, a.verdicts, 'every packet still ran');
  const { packets } = records(r.stdout);
  t.is(packets.length, s.packetsSelected);
  t.true(packets.length > 0 && packets.length < (a.verdicts['XDP_DROP'] ?? 0) + 1);
  for (const p of packets) t.is(p.verdicts[0]?.action, 1n);
  const file = join(dir, 'sel.pcapng');
  writeFileSync(file, r.stdout);
  t.is(execFileSync('tcpdump', ['-nr', file, 'not tcp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), '', 'libpcap agrees every written packet is tcp');
});

test('two runs with the same inputs give byte-identical output', (t) => {
  const a = xdpreplay([MIXED_PCAP, samplePath('l4lb'), '-o', '-', '-q', '--seed', '7']);
  const b = xdpreplay([MIXED_PCAP, samplePath('l4lb'), '-o', '-', '-q', '--seed', '7']);
  t.is(a.status, 0, a.stderr);
  t.true(a.stdout.length > 1000);
  t.true(Buffer.compare(a.stdout, b.stdout) === 0);
});

test('a corrupt block mid-stream keeps everything before it, names the byte offset and exits 1', (t) => {
  const good = xdpreplay(['cat', MIXED_PCAP, '-o', '-']).stdout;
  // Find the 11th block and break its length field (not a multiple of 4).
  let at = 0;
  for (let i = 0; i < 12; i++) at += good.readUInt32LE(at + 4);
  const bad = Buffer.from(good);
  bad.writeUInt32LE(13, at + 4);
  const r = xdpreplay(['-', FIREWALL, '-o', '-'], bad);
  t.is(r.status, 1);
  t.regex(r.stderr, new RegExp(`byte ${at + 4}\\b.*found 13`), "names the offset of the bad length field");
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  const td = spawnSync('tcpdump', ['-nr', '-'], { input: r.stdout });
  t.is(td.status, 0, td.stderr.toString());
  t.true(td.stdout.toString().trim().split('\n').length >= 8);
});

test('a frame shorter than 14 bytes is written without a verdict and with the reason', (t) => {
  const r = xdpreplay([MIXED_PCAP, FIREWALL, '-o', '-', '-q']);
  const runts = records(r.stdout).packets.filter((p) => p.data.length < 14);
  t.true(runts.length > 0);
  for (const p of runts) {
    t.is(p.verdicts.length, 0);
    t.regex(p.comments[0]!, /not run: frame of \d+ bytes is shorter than the 14-byte Ethernet header/);
  }
});

test('usage errors exit 2, unknown programs list the available ones and exit 1', (t) => {
  const bad = xdpreplay([MIXED_PCAP, FIREWALL, '--actions', 'explode', '-o', '-']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /unknown action "explode"/);
  const missing = xdpreplay([MIXED_PCAP, FIREWALL, '--prog', 'nope', '-o', '-']);
  t.is(missing.status, 1);
  t.regex(missing.stderr, /xdp_firewall/);
  const nonEthernet = xdpreplay([MIXED_PCAP, FIREWALL, '-o', '-', 'tcp port']);
  t.is(nonEthernet.status, 2);
  t.regex(nonEthernet.stderr, /syntax error/);
});

test('the summary counts calls per helper and map operations, the same on both engines', async (t) => {
  const input = readFileSync(MIXED_PCAP);
  const counts = [];
  for (const engine of ['interp', 'wasm'] as const) {
    const prog = loadXdpProgram(loadObject(readFileSync(samplePath('firewall')), { name: 'firewall' }), { engine });
    const s = await replay(prog, once(input), undefined);
    const calls = Object.values(s.helperCallsByName).reduce((a, b) => a + b, 0);
    t.is(calls, s.helperCalls, `${engine}: per-helper counts add up to the total`);
    t.true((s.mapOperations['lookup'] ?? 0) > 0);
    t.is(s.mapOperations['lookup'], s.helperCallsByName['bpf_map_lookup_elem']);
    counts.push(s.helperCallsByName);
  }
  t.deepEqual(counts[0], counts[1]);
});

test('comments and the summary name the return that decided the verdict, not the shared epilogue', async (t) => {
  const { out, summary } = await replayToBytes('redirect', 'xdp_redirect', readFileSync(MIXED_PCAP));
  t.deepEqual(Object.keys(summary.exitLines['XDP_REDIRECT'] ?? {}), ['redirect.c:65']);
  t.true(Object.keys(summary.exitLines['XDP_PASS'] ?? {}).length > 1, 'PASS verdicts come from more than one place');
  const redirected = records(out).packets.filter((p) => p.verdicts[0]?.action === 4n);
  t.true(redirected.length > 0);
  for (const p of redirected) t.regex(p.comments[0]!, /^XDP_REDIRECT redirect\.c:65 insns=\d+/);
});
