import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReader } from '../../lib/capture/read-capture.ts';
import type { PacketRecord } from '../../lib/capture/types.ts';
import { MIXED_PCAP, samplePath } from '../xdp/capture-packets.ts';

const CLI = new URL('../../cmd/xdpreplay.ts', import.meta.url).pathname;
const FIREWALL = samplePath('firewall');
const FIREWALL_V2 = new URL('../../samples/variants/firewall_v2.bpf.o', import.meta.url).pathname;
const L4LB = samplePath('l4lb');
const L4LB_V2 = new URL('../../samples/variants/l4lb_v2.bpf.o', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-diff-'));

function xdpreplay(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { maxBuffer: 1 << 26, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tshark(file: string, filter: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

interface JsonReport {
  packets_in: number;
  packets_differing: number;
  matrix: Record<string, Record<string, number>>;
  kinds: Record<string, number>;
  first: { packet_id: number; kind: string; old: { verdict: string; exit: string }; new: { verdict: string; exit: string }; byte_offset?: number; field?: string }[];
  old: { label: string; object: string; engine: string };
  new: { label: string; object: string; engine: string };
}

test('diff of a changed firewall rule exits 1, prints the matrix and writes verdict pairs tshark reads', (t) => {
  const out = join(dir, 'changed.pcapng');
  const json = join(dir, 'report.json');
  const r = xdpreplay(['diff', MIXED_PCAP, FIREWALL, FIREWALL_V2, '-o', out, '--json', json, '--first', '2']);
  t.is(r.status, 1, r.stderr);
  t.regex(r.stdout, /300 packets compared \(verdicts and output bytes\), 68 differ/);
  t.regex(r.stdout, /^old \\ new\s+XDP_DROP\s+XDP_PASS\s+not run$/m);
  t.regex(r.stdout, /^XDP_PASS\s+63\s+197\s+0$/m);
  t.regex(r.stdout, /#9 22:13:20\.008000 IP 10\.1\.154\.7\.27390 > 10\.0\.0\.3\.3389: tcp\n\s+verdict: XDP_DROP firewall\.c:\d+ → XDP_PASS firewall_v2\.c:\d+/);

  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
  t.like(report, { packets_in: 300, packets_differing: 68, kinds: { verdict: 68, bytes: 0 } });
  t.deepEqual(report.matrix['XDP_DROP'], { XDP_DROP: 33, XDP_PASS: 5 });
  t.deepEqual(report.first.map((p) => p.packet_id), [3, 9]);
  t.like(report.old, { label: 'firewall' });
  t.like(report.new, { label: 'firewall_v2' });
  t.true(['interp', 'wasm'].includes(report.old.engine));
  t.is(report.new.engine, report.old.engine, 'both sides on the same engine by default');

  // Two records per differing packet, same packet id, each with its own verdict and comment.
  const reader = new CaptureReader();
  reader.append(new Uint8Array(readFileSync(out)));
  const packets: PacketRecord[] = [];
  for (let rec = reader.next(); rec !== undefined; rec = reader.next()) if (rec.type === 'packet') packets.push(rec);
  t.is(packets.length, 2 * 68);
  const pair = tshark(out, 'frame.packet_id == 9', ['frame.packet_id', 'frame.verdict.ebpf_xdp', 'frame.interface_name', 'frame.comment']);
  t.is(pair.length, 2);
  t.deepEqual(pair.map((row) => row.slice(0, 3)), [['9', '1', 'if0:firewall@old'], ['9', '2', 'if0:firewall_v2@new']]);
  t.regex(pair[0]![3]!, /^XDP_DROP firewall\.c:\d+ insns=\d+/);
  t.regex(pair[1]![3]!, /^XDP_PASS firewall_v2\.c:\d+ insns=\d+/);
  // Wireshark's verdict filter sees the new drops on the @new interface only.
  const newDrops = tshark(out, 'frame.verdict.ebpf_xdp == "XDP_DROP" && frame.interface_name contains "@new"', ['frame.packet_id']);
  t.is(newDrops.length, 63);
});

test('diff of one object on the interpreter and the wasm engine exits 0 with nothing off the diagonal', (t) => {
  const json = join(dir, 'same.json');
  const r = xdpreplay(['diff', MIXED_PCAP, FIREWALL, FIREWALL, '--json', json, '--old-engine', 'interp', '--new-engine', 'wasm']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /300 packets compared \(verdicts and output bytes\), 0 differ/);
  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
  for (const [row, cols] of Object.entries(report.matrix)) t.deepEqual(Object.keys(cols), [row]);
  t.deepEqual(report.first, []);
  t.like(report.old, { label: 'firewall', engine: 'interp' });
  t.like(report.new, { label: 'firewall', engine: 'wasm' });
});

test('diff --compare verdict ignores a rewrite change that --compare bytes reports', (t) => {
  t.is(xdpreplay(['diff', MIXED_PCAP, L4LB, L4LB_V2, '--compare', 'verdict']).status, 0);
  const r = xdpreplay(['diff', MIXED_PCAP, L4LB, L4LB_V2, '--json', '-', '-q']);
  t.is(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  t.like(report, { kinds: { verdict: 0, bytes: 20 } });
  t.like(report.first[0], { kind: 'bytes', byte_offset: 5, field: 'eth.dst', old: { verdict: 'XDP_TX' }, new: { verdict: 'XDP_TX' } });
});

test('diff reads the capture from stdin and writes the changed pairs to stdout for tcpdump, the report on stderr', (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'diff', '-', FIREWALL, FIREWALL_V2, '-o', '-'], { input: readFileSync(MIXED_PCAP), maxBuffer: 1 << 26 });
  t.is(r.status, 1, r.stderr.toString());
  t.regex(r.stderr.toString(), /300 packets compared .*, 68 differ/);
  const copy = join(dir, 'stdout.pcapng');
  writeFileSync(copy, r.stdout);
  const lines = execFileSync('tcpdump', ['-nr', copy], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
  t.is(lines.length, 2 * 68);
  t.is(lines[0], lines[1]); // the old and new record of a verdict-only change carry the same bytes
});

test('diff -c stops before the first difference and then exits 0', (t) => {
  const r = xdpreplay(['diff', MIXED_PCAP, FIREWALL, FIREWALL_V2, '-c', '2']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /2 packets compared .*, 0 differ/);
});

test('diff exits 2 on trouble: missing capture, unreadable object, unknown program, usage errors', (t) => {
  const cases: [string, string[], RegExp][] = [
    ['missing capture', ['diff', join(dir, 'nope.pcap'), FIREWALL, FIREWALL_V2], /cannot open/],
    ['a capture given as object', ['diff', MIXED_PCAP, MIXED_PCAP, FIREWALL_V2], /elf/i],
    ['unknown program', ['diff', MIXED_PCAP, FIREWALL, FIREWALL_V2, '--prog', 'nope'], /nope/],
    ['--prog with --old-prog', ['diff', MIXED_PCAP, FIREWALL, FIREWALL_V2, '--prog', 'a', '--old-prog', 'b'], /mutually exclusive|conflict/i],
    ['bad --compare', ['diff', MIXED_PCAP, FIREWALL, FIREWALL_V2, '--compare', 'nope'], /compare/],
    ['an unknown engine', ['diff', MIXED_PCAP, FIREWALL, FIREWALL_V2, '--new-engine', 'jit'], /engine/],
  ];
  for (const [what, args, message] of cases) {
    const r = xdpreplay(args);
    t.is(r.status, 2, `${what}: ${r.stderr}`);
    t.regex(r.stderr, message, what);
    t.is(r.stdout, '', what);
  }
});

test('SIGINT ends the diff with a valid changed-packet pcapng, a report marked interrupted and exit 130', async (t) => {
  const out = join(dir, 'sigint.pcapng');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'diff', '-', FIREWALL, FIREWALL_V2, '-o', out, '--log-level', 'debug'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const status = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const mixed = readFileSync(MIXED_PCAP);
  await new Promise<void>((res) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('diff started')) res();
    });
    // The first 40 packets or so; the stream stays open, so only SIGINT ends the diff.
    child.stdin.write(mixed.subarray(0, 12_000));
  });
  child.kill('SIGINT');
  t.is(await status, 130, stderr);
  t.regex(stdout, /interrupted: the report covers the packets compared before the interrupt/);
  const lines = execFileSync('tcpdump', ['-nr', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
  t.is(lines.length % 2, 0);
});

test('--maps-in seeds both sides the same way; --new-maps-in only the new one', (t) => {
  const seed = join(dir, 'deny.json');
  writeFileSync(seed, JSON.stringify({ deny_v4: [{ key: '0a01f330', value: 0 }] }));
  const both = xdpreplay(['diff', MIXED_PCAP, FIREWALL, FIREWALL, '--maps-in', seed, '-q']);
  t.is(both.status, 0, both.stderr);
  const json = join(dir, 'seeded.json');
  const one = xdpreplay(['diff', MIXED_PCAP, FIREWALL, FIREWALL, '--new-maps-in', seed, '--json', json, '-q']);
  t.is(one.status, 1, one.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
  t.is(report.packets_differing, 1);
  t.like(report.first[0], { packet_id: 1, kind: 'verdict', old: { verdict: 'XDP_PASS' }, new: { verdict: 'XDP_DROP' } });
  const bad = xdpreplay(['diff', MIXED_PCAP, FIREWALL, FIREWALL, '--maps-in', join(dir, 'missing.json')]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--maps-in: cannot read/);
});
