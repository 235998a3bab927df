import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIXED_PCAP, samplePath } from '../xdp/capture-packets.ts';

const CLI = new URL('../../cmd/xdpreplay.ts', import.meta.url).pathname;
const FIREWALL = samplePath('firewall');
const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-replay-cli-'));
const mixed = readFileSync(MIXED_PCAP);

function tcpdumpCount(file: string): number {
  return execFileSync('tcpdump', ['-nr', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((l) => /^\d\d:/.test(l)).length;
}

test('a reader that goes away (EPIPE) ends the replay quietly with exit 0', async (t) => {
  // A capture large enough to fill the pipe, read by `head -c`, which exits after 4 KiB.
  const big = join(dir, 'big.pcap');
  const records = mixed.subarray(24);
  writeFileSync(big, Buffer.concat([mixed.subarray(0, 24), ...Array<Buffer>(40).fill(records)]));
  const r = spawnSync('/bin/bash', ['-o', 'pipefail', '-c', `${process.execPath} --import tsx ${CLI} ${big} ${FIREWALL} -o - -q | head -c 4096 > /dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
  t.is(r.stdout.trim(), '0', r.stderr);
  t.notRegex(r.stderr, /EPIPE|Error/);
});

test('SIGINT leaves a valid pcapng of every packet completed and exits 130', async (t) => {
  const out = join(dir, 'sigint.pcapng');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '-', FIREWALL, '-o', out, '--log-level', 'debug'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  const status = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  await new Promise<void>((res) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('"loaded"') || stderr.includes('loaded')) res();
    });
    child.stdin.write(mixed.subarray(0, 12_000)); // the stream stays open: only SIGINT ends it
  });
  await new Promise((res) => setTimeout(res, 300));
  child.kill('SIGINT');
  t.is(await status, 130, stderr);
  t.regex(stderr, /interrupted/);
  t.true(tcpdumpCount(out) > 10);
});

test('a truncated last packet is a warning, everything before it is replayed', (t) => {
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, mixed.subarray(0, 2000));
  const out = join(dir, 'cut.pcapng');
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, cut, FIREWALL, '-o', out, '--log-format', 'pretty'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /WARN +input ended inside a record: the truncated last packet was skipped, 9 packets replayed/);
  t.regex(r.stderr, /warning: the input ended inside a record/);
  t.is(tcpdumpCount(out), 9);
});

test('--log-format json writes pino lines; an unknown level is a usage error', (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, MIXED_PCAP, FIREWALL, '-o', '/dev/null', '-q', '--log-level', 'debug', '--log-format', 'json'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const first = JSON.parse(r.stderr.split('\n')[0]!) as { level: number; msg: string; program: string };
  t.like(first, { level: 20, msg: 'loaded', program: 'xdp_firewall' });
  const bad = spawnSync(process.execPath, ['--import', 'tsx', CLI, MIXED_PCAP, FIREWALL, '-o', '/dev/null', '--log-level', 'verbose'], { encoding: 'utf8' });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--log-level: expected one of/);
});
