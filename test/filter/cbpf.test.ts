import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCbpfListing, runCbpf, validateCbpf } from '../../lib/filter/cbpf.ts';
import { compileFilter } from '../../cmd/filter.ts';
import { UsageError } from '../../lib/errors.ts';

const mac = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
function ipv4(proto: number, src: number[], dst: number[], l4: number[]): number[] {
  const total = 20 + l4.length;
  return [0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, ...src, ...dst, ...l4];
}
const tcp = (sport: number, dport: number): number[] => [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
const udp = (sport: number, dport: number): number[] => [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 8, 0, 0];

const packets: { name: string; bytes: Uint8Array }[] = [
  { name: 'tcp 10.0.0.1:1234 > 10.0.0.2:80', bytes: Uint8Array.from([...mac, 8, 0, ...ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], tcp(1234, 80))]) },
  { name: 'tcp 10.0.0.1:1234 > 10.0.0.2:443', bytes: Uint8Array.from([...mac, 8, 0, ...ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], tcp(1234, 443))]) },
  { name: 'udp 192.168.1.9:53 > 10.0.0.2:5353', bytes: Uint8Array.from([...mac, 8, 0, ...ipv4(17, [192, 168, 1, 9], [10, 0, 0, 2], udp(53, 5353))]) },
  { name: 'vlan 7 tcp port 80', bytes: Uint8Array.from([...mac, 0x81, 0, 0, 7, 8, 0, ...ipv4(6, [10, 0, 0, 1], [10, 0, 0, 3], tcp(5, 80))]) },
  { name: 'arp', bytes: Uint8Array.from([...mac, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, ...Array<number>(20).fill(0)]) },
  { name: 'truncated ipv4', bytes: Uint8Array.from([...mac, 8, 0, 0x45, 0]) },
];
const expressions = ['tcp port 80', 'udp', 'host 10.0.0.2', 'net 192.168.0.0/16', 'arp', 'vlan 7 and tcp', 'tcp[13] & 2 != 0', 'len > 60', 'ip[9] == 6 and tcp dst portrange 400-500', 'not ip'];

/** tcpdump's own verdict for one packet: write a one-packet pcap and count what it prints. */
function tcpdumpMatches(dir: string, bytes: Uint8Array, expr: string): boolean {
  const file = join(dir, 'one.pcap');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6); hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(1, 20);
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(1, 0); rec.writeUInt32LE(bytes.length, 8); rec.writeUInt32LE(bytes.length, 12);
  writeFileSync(file, Buffer.concat([hdr, rec, bytes]));
  return execFileSync('tcpdump', ['-nr', file, expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().length > 0;
}

test('libpcap-compiled filters select exactly what tcpdump selects', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-cbpf-'));
  let compared = 0;
  for (const expr of expressions) {
    const prog = compileFilter(expr, 1);
    for (const p of packets) {
      t.is(runCbpf(prog, p.bytes) !== 0, tcpdumpMatches(dir, p.bytes, expr), `${expr} on ${p.name}`);
      compared++;
    }
  }
  t.is(compared, expressions.length * packets.length);
});

test('a load past the end of the packet rejects it', (t) => {
  const prog = parseCbpfListing('2\n48 0 0 100\n6 0 0 1\n'); // ldb [100]; ret #1
  t.is(runCbpf(prog, new Uint8Array(50)), 0);
  t.is(runCbpf(prog, new Uint8Array(101)), 1);
});

test('division by a zero register rejects the packet', (t) => {
  const prog = parseCbpfListing('3\n0 0 0 7\n60 0 0 0\n22 0 0 0\n'); // ld #7; div x; ret a
  t.is(runCbpf(prog, new Uint8Array(20)), 0);
});

test('a syntax error in the expression is a usage error naming it', (t) => {
  const err = t.throws(() => compileFilter('tcp port', 1), { instanceOf: UsageError });
  t.regex(err?.message ?? '', /syntax error.*"tcp port"/);
});

test('rejects jumps out of the program and programs without a final return', (t) => {
  t.throws(() => validateCbpf([{ code: 0x15, jt: 5, jf: 0, k: 1 }, { code: 0x06, jt: 0, jf: 0, k: 1 }]), { message: /leaves the program/ });
  t.throws(() => validateCbpf([{ code: 0x00, jt: 0, jf: 0, k: 1 }]), { message: /does not end with a return/ });
  t.throws(() => parseCbpfListing('3\n6 0 0 1\n'), { message: /announces 3/ });
});

test('a missing tcpdump binary is reported with what to install', (t) => {
  t.throws(() => compileFilter('tcp', 1, '/nonexistent/tcpdump'), { instanceOf: UsageError, message: /apt-get install tcpdump/ });
});
