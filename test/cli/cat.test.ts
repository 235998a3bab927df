import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InterfaceRecord, PacketRecord } from '../../lib/capture/types.ts';
import { concat, ethernetFrame, pcapHeader, pcapRecord } from '../helpers/capture-bytes.ts';
import { multiSectionFixture, parseChunks, pcapFixture, pcapngFixture, SOURCE_PACKETS } from '../capture/fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = ['--import', 'tsx', join(ROOT, 'cmd/xdpreplay.ts')];
const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-cat-'));
const file = (name: string, bytes?: Uint8Array): string => {
  const path = join(dir, name);
  if (bytes !== undefined) writeFileSync(path, bytes);
  return path;
};

function xdpreplay(args: string[], input?: Uint8Array): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, input, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const readPackets = (path: string): PacketRecord[] =>
  parseChunks(new Uint8Array(readFileSync(path))).records.filter((r): r is PacketRecord => r.type === 'packet');

/** `tcpdump -r path -w copy` must exit 0; returns the packets tcpdump wrote back. */
function throughTcpdump(path: string): PacketRecord[] {
  const copy = `${path}.tcpdump.pcap`;
  execFileSync('tcpdump', ['-r', path, '-w', copy], { stdio: 'ignore' });
  return readPackets(copy);
}

const bytesOf = (ps: { data: Uint8Array }[]): number[][] => ps.map((p) => [...p.data]);

test('cat re-encodes a classic pcap that tcpdump and capinfos then read with the same packets', (t) => {
  const out = file('a.pcapng');
  const r = xdpreplay(['cat', file('a.pcap', pcapFixture({ littleEndian: false, nanos: true })), '-o', out]);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(bytesOf(throughTcpdump(out)), bytesOf(SOURCE_PACKETS));
  t.regex(execFileSync('capinfos', ['-c', out], { encoding: 'utf8' }), /Number of packets:\s+5\b/);
  t.is(readPackets(out)[0]!.tsNs, 1_700_000_000_123_456_007n);
});

test('cat keeps interfaces across sections, timestamps, comments and EPB options', (t) => {
  const out = file('multi.pcapng');
  t.is(xdpreplay(['cat', file('multi-in.pcapng', multiSectionFixture()), '-o', out]).status, 0);
  const { records } = parseChunks(new Uint8Array(readFileSync(out)));
  const ifaces = records.filter((r): r is InterfaceRecord => r.type === 'interface');
  t.deepEqual(ifaces.map((i) => [i.interfaceId, i.name, i.tsresol]), [[0, 'usec0', 9], [1, 'pow2', 9], [2, 'msec', 9]]);
  const packets = records.filter((r): r is PacketRecord => r.type === 'packet');
  t.deepEqual(packets.map((p) => [p.interfaceId, p.tsNs]), [[0, 1_700_000_000_123_456_000n], [1, 15_500_000_000n], [2, 1_700_000_000_123_000_000n]]);
  t.is(packets[2]!.verdicts[0]!.action, 1n);

  const out2 = file('opts.pcapng');
  t.is(xdpreplay(['cat', file('opts-in.pcapng', pcapngFixture({ littleEndian: false })), '-o', out2]).status, 0);
  const p = readPackets(out2)[3]!;
  t.like(p, { flags: 1, packetId: 4n, queue: 3 });
  t.deepEqual(p.comments, ['pkt 3 ✓ ünïcødé']);
  const fields = execFileSync('tshark', ['-r', out2, '-Y', 'frame.verdict.ebpf_xdp == 3', '-T', 'fields', '-e', 'frame.packet_id'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  t.is(fields.trim(), '4');
});

test('cat -c N stops after N packets like tcpdump', (t) => {
  const out = file('c2.pcapng');
  t.is(xdpreplay(['cat', file('c.pcap', pcapFixture()), '-c', '2', '-o', out]).status, 0);
  t.is(throughTcpdump(out).length, 2);
});

test('cat reads stdin and writes stdout, which tcpdump -r - reads in a pipe', (t) => {
  const r = xdpreplay(['cat', '-', '-o', '-'], pcapngFixture());
  t.is(r.status, 0, r.stderr);
  const viaStdout = file('stdout.pcapng', new Uint8Array(r.stdout));
  t.deepEqual(bytesOf(readPackets(viaStdout)), bytesOf(SOURCE_PACKETS));
  const pipe = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${CLI.join(' ')} cat "$1" -o - | tcpdump -r - -w "$2"`, 'sh', file('p.pcap', pcapFixture()), file('pipe.pcap')], { cwd: ROOT });
  t.is(pipe.status, 0, pipe.stderr.toString());
  t.deepEqual(bytesOf(readPackets(file('pipe.pcap'))), bytesOf(SOURCE_PACKETS));
});

test('a truncated last packet is a warning with a count, exit 0, and every packet before it is written', (t) => {
  const bytes = pcapFixture();
  const out = file('trunc.pcapng');
  const r = xdpreplay(['cat', file('trunc.pcap', bytes.subarray(0, bytes.length - 5)), '-o', out]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /1 truncated packet/);
  t.deepEqual(bytesOf(throughTcpdump(out)), bytesOf(SOURCE_PACKETS.slice(0, 4)));
});

test('bad input exits 1 with one line naming the byte offset, and the output so far is a valid pcapng', (t) => {
  const good = pcapFixture();
  const bad = good.slice();
  const second = 24 + 16 + 60;
  new DataView(bad.buffer).setUint32(second + 8, 400_000, true);
  const out = file('bad.pcapng');
  const r = xdpreplay(['cat', file('bad.pcap', bad), '-o', out]);
  t.is(r.status, 1);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, new RegExp(`^xdpreplay: pcap: byte ${second + 8} .*262144.*400000`));
  t.deepEqual(bytesOf(throughTcpdump(out)), bytesOf(SOURCE_PACKETS.slice(0, 1)));
});

test('usage errors exit 2, a missing input exits 1 with one line and no stack', (t) => {
  t.is(xdpreplay(['cat', 'x.pcap']).status, 2, 'missing -o');
  t.is(xdpreplay(['cat', 'x.pcap', '-o', '-', '--bogus']).status, 2, 'unknown option');
  const r = xdpreplay(['cat', join(dir, 'nope.pcap'), '-o', file('nope.pcapng')]);
  t.is(r.status, 1);
  t.regex(r.stderr, /^xdpreplay: cannot open ".*nope\.pcap": ENOENT[^\n]*\n$/);
  const empty = xdpreplay(['cat', file('empty.pcap', new Uint8Array(0)), '-o', file('empty.pcapng')]);
  t.is(empty.status, 1);
  t.regex(empty.stderr, /^xdpreplay: pcap: byte 0 \(0x0\): .*empty input\n$/);
});

test('a reader that goes away (EPIPE) ends cat quietly with exit 0', (t) => {
  const frames = Array.from({ length: 3000 }, (_, i) => pcapRecord({ sec: i, frac: 0, data: ethernetFrame(1000, i) }));
  const big = file('big.pcap', concat(pcapHeader(), ...frames));
  const r = spawnSync('bash', ['-c', `node ${CLI.join(' ')} cat "$1" -o - | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`, 'sh', big], { cwd: ROOT });
  t.is(r.stdout.toString().trim(), '0', r.stderr.toString());
  t.notRegex(r.stderr.toString(), /EPIPE|Error/);
});

test('SIGINT flushes the complete blocks and exits 130', async (t) => {
  const out = file('sigint.pcapng');
  const child = spawn(process.execPath, [...CLI, 'cat', '-', '-o', out], { cwd: ROOT, env: { ...process.env, XDPREPLAY_LOG: 'debug' }, stdio: ['pipe', 'ignore', 'pipe'] });
  const bytes = pcapFixture();
  let stderr = '';
  const status = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  await new Promise<void>((res) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('"interface"')) res();
    });
    // Header, one whole packet, and half of the next: the stream stays open.
    child.stdin.write(bytes.subarray(0, 24 + 16 + 60 + 30));
  });
  child.kill('SIGINT');
  t.is(await status, 130, stderr);
  t.deepEqual(bytesOf(throughTcpdump(out)), bytesOf(SOURCE_PACKETS.slice(0, 1)));
});
