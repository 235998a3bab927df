import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadObject } from '../../lib/object/load-object.ts';
import { CoverageCollector, formatInsnCoverage } from '../../lib/trace/coverage.ts';
import { Tracer, type TraceEvent } from '../../lib/trace/tracer.ts';
import { loadXdpProgram, type XdpProgram } from '../../lib/xdp/xdp-program.ts';
import { MIXED_PCAP, readPackets, samplePath } from '../xdp/capture-packets.ts';

const CLI = new URL('../../cmd/xdpreplay.ts', import.meta.url).pathname;
const SAMPLES_DIR = new URL('../../samples/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-coverage-'));
const packets = readPackets(MIXED_PCAP);

function load(name: string): XdpProgram {
  return loadXdpProgram(loadObject(readFileSync(samplePath(name)), { name }));
}

/** Run the CLI without blocking the test worker (other tests in this file run meanwhile). */
function xdpreplay(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

function tool(cmd: string, args: string[], cwd?: string): { status: number; out: string } | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...(cwd !== undefined ? { cwd } : {}) });
  if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function parseLcov(text: string): Map<string, Map<number, number>> {
  const files = new Map<string, Map<number, number>>();
  let cur: Map<number, number> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('SF:')) { cur = new Map(); files.set(line.slice(3), cur); }
    const m = /^DA:(\d+),(\d+)$/.exec(line);
    if (m !== null) cur!.set(Number(m[1]), Number(m[2]));
  }
  return files;
}

for (const [name, id] of [['firewall', 3], ['subprog', 5], ['l4lb', 40]] as const) {
  test(`the hit lines of a one-packet ${name} replay are exactly the lines of that packet's trace`, (t) => {
    const prog = load(name);
    const cov = new CoverageCollector(prog);
    const events: TraceEvent[] = [];
    const tracer = new Tracer(prog, (e) => events.push(e));
    for (let i = 1; i < id; i++) prog.run(packets[i - 1]!.data);
    tracer.begin(id, packets[id - 1]!.data.length);
    prog.trace = (pc, image, L, H) => { cov.hook(pc, image, L, H); tracer.hook(pc, image, L, H); };
    const r = prog.run(packets[id - 1]!.data);
    prog.trace = undefined;
    tracer.end(r);
    const traced = new Set<string>();
    for (const e of events) {
      if (e.type !== 'insn') continue;
      const l = [...prog.vm.images.values()].find((im) => im.name === e.program)!.lines[e.pc];
      if (l !== undefined && l.line !== 0) traced.add(`${l.file}:${l.line}`);
    }
    const hit = new Set<string>();
    for (const [file, lines] of parseLcov(cov.toLcov())) for (const [line, n] of lines) if (n > 0) hit.add(`${file}:${line}`);
    t.deepEqual([...hit].sort(), [...traced].sort());
    // Instruction hits sum to the instructions executed.
    let sum = 0;
    for (const image of new Set(prog.vm.images.values())) for (const n of cov.insnHits(image) ?? []) sum += n;
    t.is(sum, r.insns);
  });
}

test('coverage over the whole capture: instruction hits sum to the replay total and every executed line has a DA count', (t) => {
  const prog = load('firewall');
  const cov = new CoverageCollector(prog);
  const executed = new Set<number>();
  prog.trace = (pc, image, L, H) => { cov.hook(pc, image, L, H); const l = image.lines[pc]; if (l !== undefined && l.line !== 0) executed.add(l.line); };
  let insns = 0;
  for (const p of packets) { insns += prog.run(p.data).insns; cov.endPacket(); }
  prog.trace = undefined;
  let sum = 0;
  for (const n of cov.insnHits(prog.image)!) sum += n;
  t.is(sum, insns);
  const lines = parseLcov(cov.toLcov()).get('./firewall.c')!;
  for (const l of executed) t.true((lines.get(l) ?? 0) > 0, `line ${l}`);
  for (const [l, n] of lines) if (n > 0) t.true(executed.has(l), `line ${l}`);
  const fn = cov.functions()[0]!;
  t.is(fn.name, 'xdp_firewall');
  t.is(fn.calls, packets.filter((p) => p.data.length >= 14).length);
  t.true(fn.branchesHit > 0 && fn.branchesHit <= fn.branchesTotal);
});

test('replay --coverage writes lcov that genhtml renders and lcov --summary reads, with a per-function summary on stderr', async (t) => {
  const out = join(dir, 'subprog.lcov');
  const r = await xdpreplay([MIXED_PCAP, samplePath('subprog'), '-o', join(dir, 'out.pcapng'), '--coverage', out]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /coverage:\n\s+xdp_sanity\s+subprog\.c:134\s+calls\s+298\s+lines \d+\/\d+/);
  t.regex(r.stderr, /ipv6_skip_ext\s+subprog\.c:89/);
  const text = readFileSync(out, 'utf8');
  t.regex(text, /^TN:\nSF:\.\/subprog\.c\nFN:134,xdp_sanity\n/);
  t.regex(text, /\nBRDA:\d+,\d+,0,\d+\n/);
  t.regex(text, /\nend_of_record\n$/);
  const genhtml = tool('genhtml', ['--branch-coverage', '-q', '-o', join(dir, 'html'), out], SAMPLES_DIR);
  if (genhtml === undefined) {
    if (process.env['CI'] === 'true') t.fail('genhtml missing (apt-get install lcov)');
    else t.log('genhtml not installed: skipped');
    return;
  }
  t.is(genhtml.status, 0, genhtml.out);
  // genhtml resolved ./subprog.c against samples/ and rendered the annotated source.
  t.regex(readFileSync(join(dir, 'html', 'samples', 'subprog.c.gcov.html'), 'utf8'), /ipv6_skip_ext/);
  const summary = tool('lcov', ['--summary', out, '--rc', 'lcov_branch_coverage=1'])!;
  t.is(summary.status, 0, summary.out);
  t.regex(summary.out, /lines\.+: [\d.]+% \(\d+ of \d+ lines\)/);
  t.regex(summary.out, /functions\.+: 100\.0% \(6 of 6 functions\)/);
});

test('a plain replay and one with --coverage write the same pcapng', async (t) => {
  const a = join(dir, 'a.pcapng'), b = join(dir, 'b.pcapng');
  t.is((await xdpreplay([MIXED_PCAP, samplePath('firewall'), '-o', a, '-q'])).status, 0);
  t.is((await xdpreplay([MIXED_PCAP, samplePath('firewall'), '-o', b, '-q', '--coverage', join(dir, 'fw.lcov'), '--coverage-insns', join(dir, 'fw.txt'), '--break', 'firewall.c:201 if 0'])).status, 0);
  t.deepEqual(readFileSync(a), readFileSync(b));
  t.regex(readFileSync(join(dir, 'fw.txt'), 'utf8'), /^# program xdp_firewall\nxdp_firewall:\n; int xdp_firewall/);
});

test('the documented examples work: trace CLI breakpoints on firewall and l4lb, and replay --break on stderr', async (t) => {
  const one = await xdpreplay(['trace', MIXED_PCAP, samplePath('firewall'), '--break', 'xdp_firewall:47 if r0 == 0 print "lookup failed", *(u32 *)(r10 - 4)']);
  t.is(one.status, 0, one.stderr);
  t.regex(one.stdout, /^#1 break xdp_firewall:47 \(xdp_firewall insn 47\) firewall\.c:79\n  lookup failed\n  \*\(u32 \*\)\(r10 - 4\) = \d+ \(0x[0-9a-f]+\)\n/);
  const two = await xdpreplay(['trace', MIXED_PCAP, samplePath('l4lb'), '--break', 'l4lb.c:87 if pkt16[12] == 0x86dd print backend_packets']);
  t.is(two.status, 0, two.stderr);
  t.regex(two.stdout, /#\d+ break xdp_l4lb:7 \(xdp_l4lb insn 7\) l4lb\.c:87\n  map backend_packets: \d+ entries/);
  const replayed = await xdpreplay([MIXED_PCAP, samplePath('l4lb'), '-o', join(dir, 'l4.pcapng'), '-q', '--break', 'l4lb.c:87 if pkt16[12] == 0x86dd print backend_packets']);
  t.is(replayed.status, 0, replayed.stderr);
  t.is(replayed.stderr.split('\n')[0], two.stdout.split('\n')[0]);
});

test('trace --json writes one JSON object per event; a bad spec is exit 2 with a caret at the column', async (t) => {
  const r = await xdpreplay(['trace', MIXED_PCAP, samplePath('firewall'), '--packet', '3', '--json']);
  t.is(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; helper?: string });
  t.is(events[0]!.type, 'packet');
  t.is(events.at(-1)!.type, 'exit');
  t.true(events.some((e) => e.type === 'call' && e.helper === 'bpf_map_lookup_elem'));
  t.true(events.some((e) => e.type === 'store'));
  const bad = await xdpreplay(['trace', MIXED_PCAP, samplePath('firewall'), '--break', 'xdp_firewall:47 if r0 === 0']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /column 25: unexpected character "="\n  xdp_firewall:47 if r0 === 0\n {26}\^/);
  const none = await xdpreplay(['trace', MIXED_PCAP, samplePath('firewall')]);
  t.is(none.status, 2);
});

test('the instruction listing shows hit counts per slot and taken / not-taken counts per conditional jump', (t) => {
  const prog = load('firewall');
  const cov = new CoverageCollector(prog);
  prog.trace = cov.hook;
  for (const p of packets) { prog.run(p.data); cov.endPacket(); }
  prog.trace = undefined;
  const lines = formatInsnCoverage(cov, prog).split('\n');
  t.is(lines[0], '# program xdp_firewall');
  t.is(lines[1], 'xdp_firewall:');
  const runnable = packets.filter((p) => p.data.length >= 14).length;
  t.regex(lines.find((l) => / {4}0: r6 = r1$/.test(l))!, new RegExp(`^ +${runnable} +0: r6 = r1$`));
  const jump = lines.find((l) => / 6: if r8 > r7 goto/.test(l))!;
  const m = /^ +(\d+) +6: .* taken (\d+) \/ not taken (\d+)$/.exec(jump)!;
  t.is(Number(m[2]) + Number(m[3]), Number(m[1]));
  t.true(lines.some((l) => /^ +- +\d+: /.test(l)), 'some slots never ran');
});

test('trace selects by repeated --packet and a filter expression after it, and --no-insns keeps one line per packet end', async (t) => {
  const r = await xdpreplay(['trace', MIXED_PCAP, samplePath('firewall'), '--packet', '1-40', '--packet', '300', 'ip6', '--no-insns']);
  t.is(r.status, 0, r.stderr);
  const ids = r.stdout.split('\n').flatMap((l) => /^#(\d+) → /.exec(l)?.[1] ?? []).map(Number);
  const want = packets.flatMap((p, i) => (i < 40 || i === 299) && p.data.length >= 14 && p.data[12] === 0x86 && p.data[13] === 0xdd ? [i + 1] : []);
  t.deepEqual(ids, want);
});
