import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ObjectSummary } from '../../lib/object/describe-object.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cmd/xdpreplay.ts', ...args], { cwd: root, encoding: 'utf8' });

test('xdpreplay progs --json lists programs, maps and global data', (t) => {
  const r = cli('progs', 'test/fixtures/object/loader.bpf.o', '--json');
  t.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as ObjectSummary;
  t.is(s.name, 'loader');
  t.true(s.btf);
  t.deepEqual(s.programs.find((p) => p.name === 'tc_prog'), { name: 'tc_prog', section: 'tc', progType: 'sched_cls', insns: 2, xdp: false, frags: false, functions: ['tc_prog'] });
  t.like(s.maps.find((m) => m.name === 'flows'), { type: 'hash', key: { size: 16, type: 'struct flow_key' }, value: { size: 32, type: 'struct flow_stats' }, maxEntries: 1024 });
  t.like(s.maps.find((m) => m.section === '.bss'), { name: 'loader.bss', globalData: true, readOnly: false });
});

test('xdpreplay progs prints a readable summary and fails cleanly on a bad object', (t) => {
  const r = cli('progs', 'test/fixtures/object/loader.bpf.o');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /tc_prog {2}section tc {2}sched_cls, not XDP {2}2 insns/);
  t.regex(r.stdout, /xdp_main {2}section xdp {2}xdp {2}46 insns, calls cb, add_hits/);
  const bad = cli('progs', 'test/fixtures/object/loader.c');
  t.is(bad.status, 1);
  t.regex(bad.stderr, /^xdpreplay: elf: byte 0 \(0x0\): expected ELF magic/);
});
