import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, pcapHeader, pcapRecord } from '../helpers/capture-bytes.ts';
import { clangAvailable, compileProg } from './compile-prog.ts';

/** `replay --fib-routes FILE`: bpf_fib_lookup answers from the given devices and routes. */

const CLI = new URL('../../cmd/xdpreplay.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-fib-'));

function ipv4(dst: number[]): Uint8Array {
  const b = new Uint8Array(60);
  b.set([0x02, 0, 0, 0, 0, 0xee, 0x02, 0, 0, 0, 0, 0xff, 0x08, 0x00], 0);
  b.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 1, 1, ...dst], 14);
  return b;
}

function run(args: string[]): { status: number; stderr: string; summary: { verdicts: Record<string, number> } | undefined } {
  const summaryFile = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--json-summary', summaryFile, '-o', join(dir, 'out.pcapng')], { encoding: 'utf8' });
  let summary;
  try { summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { verdicts: Record<string, number> }; } catch { summary = undefined; }
  return { status: r.status ?? -1, stderr: r.stderr, summary };
}

test('replay --fib-routes makes bpf_fib_lookup forward, pass and drop by the routes file; without it lookups on loopback pass', (t) => {
  if (!clangAvailable()) { t.log('SKIPPED: clang not found'); t.pass(); return; }
  const obj = compileProg('helpers-fib', 'v3');
  const pcap = join(dir, 'in.pcap');
  const frames = [ipv4([10, 2, 3, 4]), ipv4([192, 168, 1, 1]), ipv4([8, 8, 8, 8])];
  writeFileSync(pcap, concat(pcapHeader(), ...frames.map((data, i) => pcapRecord({ sec: i, frac: 0, data }))));
  const routes = join(dir, 'routes.json');
  writeFileSync(routes, JSON.stringify({
    devices: [{ ifindex: 1, forwarding: true }, { ifindex: 2, mtu: 1500, mac: '02:00:00:00:00:02' }],
    routes: [{ dst: '10.0.0.0/8', ifindex: 2, dmac: '0a:00:00:00:00:01' }, { dst: '192.168.0.0/16', type: 'blackhole' }],
  }));
  const withRoutes = run([pcap, obj, '--ifindex', '1', '--fib-routes', routes]);
  t.is(withRoutes.status, 0, withRoutes.stderr);
  t.deepEqual(withRoutes.summary?.verdicts, { XDP_TX: 1, XDP_DROP: 1, XDP_PASS: 1 });
  const without = run([pcap, obj, '--ifindex', '1']);
  t.deepEqual(without.summary?.verdicts, { XDP_PASS: 3 });
  writeFileSync(join(dir, 'bad.json'), '{"routes": [{"dst": "10.0.0.0/40"}]}');
  const bad = run([pcap, obj, '--fib-routes', join(dir, 'bad.json')]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /prefix length/);
});
