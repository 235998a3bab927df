import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter, xdpVerdict, type PacketOut } from '../../lib/capture/pcapng-writer.ts';
import type { PacketRecord } from '../../lib/capture/types.ts';
import { XdpReplayError } from '../../lib/errors.ts';
import { concat } from '../helpers/capture-bytes.ts';
import { parseChunks, SOURCE_PACKETS, sourceTsNs } from './fixtures.ts';

const XDP = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/** Packets 1..5: verdict = i % 5, comment names the action, packet id i+1, queue i, flags inbound. */
function samplePackets(): PacketOut[] {
  return SOURCE_PACKETS.map((p, i) => ({
    interfaceId: i % 2,
    tsNs: sourceTsNs(p) + 789n,
    data: p.data,
    verdicts: [xdpVerdict(i % 5)],
    comments: [`${XDP[i % 5]} firewall.c:${40 + i} insns=${87 + i} ✓`],
    flags: 1,
    packetId: BigInt(i + 1),
    queue: i,
  }));
}

/** Writes the sample to memory; returns every chunk given to the sink. */
async function writeSample(batchBytes?: number): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter({ write: (b) => { chunks.push(b); return Promise.resolve(); } }, {
    userAppl: 'xdpreplay test', comments: ['prog fw.o sec xdp'], batchBytes,
  });
  w.addInterface({ linkType: 1, name: 'eth0:fw@exit' });
  w.addInterface({ linkType: 1, name: 'eth1:fw@exit', description: 'second' });
  for (const p of samplePackets()) await w.writePacket(p);
  await w.flush();
  return chunks;
}

const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-writer-'));
let written: Promise<string> | undefined;
function sampleFile(): Promise<string> {
  written ??= writeSample().then((chunks) => {
    writeFileSync(join(dir, 'out.pcapng'), concat(...chunks));
    return join(dir, 'out.pcapng');
  });
  return written;
}

const tshark = (file: string, ...args: string[]): string =>
  execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

test('what the writer writes reads back with every field and option', async (t) => {
  const { records } = parseChunks(concat(...(await writeSample())));
  const section = records[0]!;
  t.like(section, { type: 'section', littleEndian: true, userAppl: 'xdpreplay test' });
  t.deepEqual(section.type === 'section' ? section.comments : [], ['prog fw.o sec xdp']);
  t.like(records[1], { type: 'interface', name: 'eth0:fw@exit', tsresol: 9, snaplen: 262144, linkType: 1 });
  t.like(records[2], { type: 'interface', name: 'eth1:fw@exit', description: 'second' });
  const packets = records.filter((r): r is PacketRecord => r.type === 'packet');
  const want = samplePackets();
  t.is(packets.length, want.length);
  packets.forEach((p, i) => {
    const w = want[i]!;
    t.like(p, { interfaceId: w.interfaceId, tsNs: w.tsNs, origLen: w.data.length, flags: 1, packetId: w.packetId, queue: w.queue });
    t.deepEqual(p.data, w.data);
    t.deepEqual(p.comments, w.comments);
    t.deepEqual(p.verdicts.map((v) => [v.type, v.action, v.data.length]), [[2, BigInt(i % 5), 8]]);
  });
});

test('EPB options come in the order verdict, comment, flags, packetid, queue, and the verdict is 9 bytes', async (t) => {
  const bytes = concat(...(await writeSample()));
  const v = new DataView(bytes.buffer);
  let at = v.getUint32(4, true);
  at += v.getUint32(at + 4, true) + v.getUint32(at + v.getUint32(at + 4, true) + 4, true); // skip two IDBs
  t.is(v.getUint32(at, true), 6);
  const caplen = v.getUint32(at + 20, true);
  let o = at + 28 + ((caplen + 3) & ~3);
  const seen: [number, number][] = [];
  for (;;) {
    const code = v.getUint16(o, true);
    const len = v.getUint16(o + 2, true);
    seen.push([code, len]);
    if (code === 0) break;
    o += 4 + ((len + 3) & ~3);
  }
  const text = samplePackets()[0]!.comments![0]! as string;
  const comment = new TextEncoder().encode(text);
  t.deepEqual(seen, [[7, 9], [1, comment.length], [2, 4], [5, 8], [6, 4], [0, 0]]);
  t.true(comment.length > text.length, 'the comment length counts UTF-8 bytes');
});

test('batches are whole blocks, never a block split across two writes', async (t) => {
  const chunks = await writeSample(700);
  t.true(chunks.length > 3);
  for (const c of chunks) {
    const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
    let at = 0;
    while (at < c.length) {
      const len = v.getUint32(at + 4, true);
      t.is(v.getUint32(at + len - 4, true), len);
      at += len;
    }
    t.is(at, c.length);
  }
});

test('comments given as UTF-8 bytes or as a head and a number read back as the same text as strings', async (t) => {
  const head = new TextEncoder().encode('XDP_PASS fw.c:7 insns=');
  const values = [0, 7, 10, 99, 12345, 2 ** 53 - 1];
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter({ write: (b) => { chunks.push(b.slice()); } });
  w.addInterface({ linkType: 1 });
  for (const value of values) {
    void w.writePacket({ interfaceId: 0, tsNs: 1n, data: new Uint8Array(60), comments: [{ head, value }, new TextEncoder().encode('é bytes'), 'string ✓'], verdicts: [xdpVerdict(value % 5)] });
  }
  void w.flush();
  const packets = parseChunks(concat(...chunks)).records.filter((r): r is PacketRecord => r.type === 'packet');
  t.deepEqual(packets.map((p) => p.comments), values.map((v) => [`XDP_PASS fw.c:7 insns=${v}`, 'é bytes', 'string ✓']));
  t.deepEqual(packets.map((p) => p.verdicts[0]!.action), values.map((v) => BigInt(v % 5)));
});

test('refuses an interface whose link type differs from the first one', (t) => {
  const w = new PcapngWriter({ write: () => undefined });
  w.addInterface({ linkType: 1 });
  t.throws(() => w.addInterface({ linkType: 101 }), { instanceOf: XdpReplayError, message: /link type 101.*tcpdump/ });
});

test('real tcpdump reads the output: exit 0, same packet count and bytes', async (t) => {
  const file = await sampleFile();
  const copy = join(dir, 'tcpdump-copy.pcap');
  execFileSync('tcpdump', ['-r', file, '-w', copy], { stdio: 'ignore' });
  const packets = parseChunks(new Uint8Array(readFileSync(copy))).records.filter((r): r is PacketRecord => r.type === 'packet');
  t.deepEqual(packets.map((p) => [...p.data]), SOURCE_PACKETS.map((p) => [...p.data]));
  t.deepEqual(packets.map((p) => p.tsNs / 1000n), samplePackets().map((p) => p.tsNs / 1000n));
});

test('real tshark selects XDP_DROP by frame.verdict.ebpf_xdp and reads comments, packet ids and queues', async (t) => {
  const file = await sampleFile();
  t.is(tshark(file, '-Y', 'frame.verdict.ebpf_xdp == 1', '-T', 'fields', '-e', 'frame.number').trim(), '2');
  t.is(tshark(file, '-Y', 'frame.comment contains "firewall.c:43"', '-T', 'fields', '-e', 'frame.number').trim(), '4');
  const rows = tshark(file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.packet_id', '-e', 'frame.interface_queue', '-e', 'frame.interface_name', '-e', 'frame.comment')
    .trim().split('\n');
  t.deepEqual(rows, samplePackets().map((p, i) => `${p.packetId}|${p.queue}|eth${i % 2}:fw@exit|${p.comments![0]}`));
});

test('real capinfos counts the packets and sees both interfaces', async (t) => {
  const out = execFileSync('capinfos', ['-c', '-I', await sampleFile()], { encoding: 'utf8' });
  t.regex(out, /Number of packets:\s+5\b/);
  t.regex(out, /Number of interfaces in file: 2/);
});
