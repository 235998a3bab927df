import test from 'ava';
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The README's commands are run here, so they stay true: the newcomer's first command (without
 * `npm install`), the replay examples and the tshark recipes, on the bundled samples.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-readme-'));
const XDPREPLAY = `${process.execPath} --import ${import.meta.resolve('tsx')} ${join(ROOT, 'cmd/xdpreplay.ts')}`;

function shBlocks(): string[][] {
  return [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean));
}

function sh(cmd: string): string {
  return execSync(cmd, { cwd: dir, encoding: 'utf8', shell: '/bin/bash', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: process.env['PATH'] } });
}

function withSamples(cmd: string): string {
  return cmd
    .replace(/^npx xdpreplay|^xdpreplay|(?<=\| )xdpreplay/g, XDPREPLAY)
    .replace(/samples\//g, join(ROOT, 'samples/'))
    .replace(/\bin\.pcapng\b/g, join(dir, 'in.pcapng'))
    .replace(/\bin\.pcap\b/g, join(ROOT, 'samples/captures/mixed.pcap'))
    .replace(/\bprog\.o\b/g, join(ROOT, 'samples/firewall.bpf.o'));
}

test.serial('the first command of the README replays the samples into a pcapng', (t) => {
  const [first, second] = shBlocks()[0]!;
  t.regex(first!, /^npm install && npx xdpreplay /);
  t.is(second, 'npm test');
  sh(withSamples(first!.replace(/^npm install && /, '')));
  t.true(statSync(join(dir, 'firewall.pcapng')).size > 10_000);
});

test.serial('the replay examples run', (t) => {
  sh(`${XDPREPLAY} cat ${join(ROOT, 'samples/captures/mixed.pcap')} -o ${join(dir, 'in.pcapng')}`);
  const block = shBlocks().find((b) => b[0]!.startsWith('xdpreplay in.pcap prog.o -o out.pcapng'))!;
  t.truthy(block);
  for (const line of block) {
    const out = sh(`${withSamples(line)} 2>/dev/null`);
    if (line.includes('| t')) t.true(out.trim().split('\n').length > 0, line);
  }
});

test.serial('the tshark recipes select what they say', (t) => {
  const block = shBlocks().find((b) => b.some((l) => l.includes('frame.packet_id == 17')))!;
  t.truthy(block);
  sh(`${withSamples('xdpreplay in.pcap prog.o -o out.pcapng')} -q`);
  for (const line of block) {
    const rows = sh(line).trim().split('\n').filter(Boolean);
    t.true(rows.length > 0, `${line} printed nothing`);
    if (line.includes('packet_id == 17')) t.is(rows.length, 1);
  }
});

test('the README helper table has a row for every helper id the kernel allows for XDP', async (t) => {
  const { XDP_ALLOWED_HELPERS } = await import('../lib/vm/helpers/xdp-allowed.ts');
  const table = README.slice(README.indexOf('| id | helper | cap | status |'));
  const listed = new Set<number>();
  for (const row of table.split('\n').filter((l) => /^\| \d/.test(l))) {
    for (const n of row.split('|')[1]!.split(',')) listed.add(Number(n.trim()));
  }
  t.deepEqual([...XDP_ALLOWED_HELPERS].filter((id) => !listed.has(id)), [], 'allowed helpers missing from the table');
  t.deepEqual([...listed].filter((id) => !XDP_ALLOWED_HELPERS.has(id)), [], 'table rows for helpers XDP may not call');
});
