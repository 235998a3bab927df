import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../lib/object/load-object.ts';
import { parseBreakSpec } from '../../lib/trace/breakpoints.ts';
import { traceRun, type BreakRecord, type TraceRunOptions } from '../../lib/trace/trace-run.ts';
import type { TraceEvent } from '../../lib/trace/tracer.ts';
import { loadXdpProgram, type XdpProgram, type XdpResult } from '../../lib/xdp/xdp-program.ts';
import { MIXED_PCAP, readPackets, samplePath } from '../xdp/capture-packets.ts';

const PCAP = readFileSync(MIXED_PCAP);

function load(name: string): XdpProgram {
  return loadXdpProgram(loadObject(readFileSync(samplePath(name)), { name }));
}

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield PCAP;
}

async function run(name: string, options: Omit<TraceRunOptions, 'onEvent'>): Promise<{ events: (TraceEvent | BreakRecord)[]; results: Map<number, XdpResult> }> {
  const events: (TraceEvent | BreakRecord)[] = [];
  const results = new Map<number, XdpResult>();
  await traceRun(load(name), chunks(), { ...options, onEvent: (e) => events.push(e), onPacket: (id, r) => results.set(id, r) });
  return { events, results };
}

/** Packet 3 of mixed.pcap: IPv4 UDP 10.1.92.241 → port 53, 170 bytes (passes the firewall). */
test('the trace of one firewall packet has one insn event per executed instruction, ending in r0 = the verdict', async (t) => {
  const { events, results } = await run('firewall', { packets: [{ from: 3, to: 3 }] });
  const r = results.get(3)!;
  const insns = events.filter((e): e is TraceEvent & { type: 'insn' } => e.type === 'insn');
  t.is(insns.length, r.insns);
  t.is(r.action, 2);
  const exit = events.at(-1)!;
  t.deepEqual(exit.type === 'exit' ? [exit.action, exit.insns, exit.exitInsn] : [], [2, r.insns, r.exitInsn]);
  t.is(insns.at(-1)!.insn, 'exit');
  // r0's last change before exit is the verdict.
  const lastR0 = insns.filter((e) => e.regs?.['r0'] !== undefined).at(-1)!;
  t.is(lastR0.regs!['r0']![1], '0x2');
  // Known instructions: slot 0 `r6 = r1` copies the context address; slot 5 adds 14 to data.
  t.deepEqual(insns[0]!.regs, { r6: ['0x0', '0x1000'] });
  t.is(insns[0]!.src, 'int xdp_firewall(struct xdp_md * ctx)'.replace(' * ', ' *'));
  const five = insns.find((e) => e.pc === 5)!;
  t.is(five.insn, 'r8 += 14');
  const [before, after] = five.regs!['r8']!;
  t.is(BigInt(after) - BigInt(before), 14n);
});

test('the executed lines of a passing UDP packet follow the hand-computed path through firewall.c', async (t) => {
  const { events } = await run('firewall', { packets: [{ from: 3, to: 3 }] });
  const lines = new Set(events.flatMap((e) => (e.type === 'insn' && e.line_num !== undefined ? [e.line_num] : [])));
  // xdp_firewall → classify: eth bounds, proto, no VLAN, IPv4 checks, source_denied (lookup
  // misses, not the built-in source), not a fragment → check_l4: UDP, ports → port_blocked
  // loop over the rule table → back: no drop, count the pass in action_stats, return.
  for (const l of [179, 182, 183, 130, 132, 139, 147, 151, 153, 154, 158, 79, 80, 82, 86, 161, 96, 101, 103, 71, 196, 197, 198, 199, 201]) t.true(lines.has(l), `line ${l} executed`);
  // Not on this path: VLAN tag parsing, the drop branch, ICMP, IPv6, the deny recording.
  // (Line 194 does appear: clang attributes the join's `r2 = r10` to it, slot 158.)
  for (const l of [141, 143, 191, 192, 193, 105, 108, 166, 169, 87]) t.false(lines.has(l), `line ${l} not executed`);
});

test('helper calls, map operations and stores appear with names, formatted keys and bytes', async (t) => {
  const { events } = await run('firewall', { packets: [{ from: 3, to: 3 }] });
  const calls = events.filter((e) => e.type === 'call');
  t.deepEqual(calls.map((c) => (c.type === 'call' ? c.helper : '')), ['bpf_map_lookup_elem', 'bpf_map_lookup_elem']);
  const maps = events.filter((e): e is TraceEvent & { type: 'map' } => e.type === 'map');
  t.deepEqual(maps.map((m) => [m.map, m.op]), [['deny_v4', 'lookup'], ['action_stats', 'lookup']]);
  t.is(maps[0]!.value, undefined); // not denied: no entry
  t.is(maps[0]!.ret, '0x0');
  t.is(maps[1]!.key, '2'); // XDP_PASS as a BTF-formatted __u32
  t.regex(maps[1]!.value!, /^\{"packets":\d+,"bytes":\d+\}$/);
  const stores = events.filter((e): e is TraceEvent & { type: 'store' } => e.type === 'store');
  const saddr = stores.find((s) => s.at === 'fp-4')!;
  t.is(saddr.region, 'stack[0]');
  t.is(saddr.size, 4);
  t.is(saddr.bytes, '0a015cf1'); // 10.1.92.241 in network order
  t.true(stores.some((s) => s.region === 'action_stats'));
});

test('--packet 17 sees the map state of the full replay (breakpoint map lookup on both)', async (t) => {
  const spec = parseBreakSpec('xdp_firewall:163 print map(action_stats, 2), map(action_stats, 1)');
  const only = await run('firewall', { packets: [{ from: 17, to: 17 }], instructions: false, breaks: [spec] });
  const full = await run('firewall', { instructions: false, breaks: [spec] });
  const at17 = (evs: (TraceEvent | BreakRecord)[]): unknown => evs.filter((e) => e.type === 'break' && e.packet === 17).map((e) => (e as BreakRecord).items);
  t.deepEqual(at17(only.events), at17(full.events));
  const items = (only.events.find((e) => e.type === 'break') as BreakRecord).items;
  // Packets 1..16 ran first, untraced: some passed, so the pass counter is non-zero.
  t.true(items[0]!.kind === 'value' && BigInt(items[0]!.value) > 0n);
  t.true(only.events.every((e) => e.type !== 'break' || e.packet === 17));
});

test('a line breakpoint with a packet-byte condition stops only on IPv6 frames and dumps the map', async (t) => {
  const packets = readPackets(MIXED_PCAP);
  const ipv6 = packets.flatMap((p, i) => (p.data.length >= 14 && p.data[12] === 0x86 && p.data[13] === 0xdd ? [i + 1] : []));
  t.true(ipv6.length > 0);
  const { events } = await run('l4lb', { instructions: false, breaks: [parseBreakSpec('l4lb.c:87 if pkt16[12] == 0x86dd print backend_packets')] });
  const hits = events.filter((e): e is BreakRecord => e.type === 'break');
  t.deepEqual(hits.map((h) => h.packet), ipv6);
  t.is(hits[0]!.line_num, 87);
  t.is(hits[0]!.items[0]!.kind, 'map');
});

test('func:insn breakpoints with conditions, prints and skip counts; a condition that never holds prints nothing', async (t) => {
  const spec = parseBreakSpec('xdp_firewall:47 if r0 == 0 print "lookup failed", *(u32 *)(r10 - 4)');
  const all = (await run('firewall', { instructions: false, breaks: [spec] })).events.filter((e): e is BreakRecord => e.type === 'break');
  t.true(all.length > 100);
  t.deepEqual(all[0]!.items[0], { kind: 'str', text: 'lookup failed' });
  t.is(all[0]!.func, 'xdp_firewall');
  t.is(all[0]!.insn, 47);
  t.is(all[0]!.line_num, 79);
  const skipped = (await run('firewall', { instructions: false, breaks: [parseBreakSpec(`${spec.text} skip 5`)] })).events.filter((e) => e.type === 'break');
  t.is(skipped.length, all.length - 5);
  t.deepEqual((skipped[0] as BreakRecord).packet, all[5]!.packet);
  const never = await run('firewall', { instructions: false, breaks: [parseBreakSpec('xdp_firewall:47 if r0 == 0 && r0 != 0 print regs')] });
  t.is(never.events.filter((e) => e.type === 'break').length, 0);
});

test('breakpoints in a bpf-to-bpf subprogram count insn from the function start', async (t) => {
  const { events } = await run('subprog', { packets: [{ from: 1, to: 20 }], instructions: false, breaks: [parseBreakSpec('csum_fold:0 print r1, regs')] });
  const hits = events.filter((e): e is BreakRecord => e.type === 'break');
  t.true(hits.length > 0);
  t.is(hits[0]!.func, 'csum_fold');
  t.is(hits[0]!.insn, 0);
  t.true(hits[0]!.pc > 0);
});

test('unknown functions, lines, maps and out-of-range slots are usage errors pointing at the spec', (t) => {
  const prog = load('firewall');
  const bind = (s: string): Promise<unknown> => traceRun(prog, chunks(), { instructions: false, breaks: [parseBreakSpec(s)], onEvent: () => undefined });
  return Promise.all([
    t.throwsAsync(bind('process_packet:1'), { message: /no function "process_packet" \(functions: xdp_firewall/ }),
    t.throwsAsync(bind('xdp_firewall:100000'), { message: /has \d+ instruction slots/ }),
    t.throwsAsync(bind('xdp_firewall:45'), { message: /second slot of an lddw/ }),
    t.throwsAsync(bind('firewall.c:2'), { message: /no instruction comes from firewall.c:2/ }),
    t.throwsAsync(bind('other.c:79'), { message: /no instruction comes from a file "other.c"/ }),
    t.throwsAsync(bind('firewall.c:79 print nosuchmap'), { message: /column 21: no map "nosuchmap"/ }),
  ]).then(() => undefined);
});

test('a trace follows tail calls and bpf-to-bpf calls, naming each function it enters', async (t) => {
  const evs: TraceEvent[] = [];
  const results: XdpResult[] = [];
  const prog = loadXdpProgram(loadObject(readFileSync(samplePath('tailcall')), { name: 'tailcall' }), { program: 'xdp_dispatch' });
  await traceRun(prog, chunks(), { packets: [{ from: 3, to: 3 }], onEvent: (e) => { if (e.type !== 'break') evs.push(e); }, onPacket: (_id, r) => results.push(r) });
  const insns = evs.filter((e): e is TraceEvent & { type: 'insn' } => e.type === 'insn');
  t.is(insns.length, results[0]!.insns);
  t.is(results[0]!.tailCalls, 1);
  const entered = insns.filter((e) => e.func !== undefined).map((e) => `${e.program}/${e.func}`);
  t.is(entered[0], 'xdp_dispatch/xdp_dispatch');
  t.is(entered.length, 2);
  t.not(insns.at(-1)!.program, 'xdp_dispatch');
  t.true(evs.some((e) => e.type === 'call' && e.helper === 'bpf_tail_call'));
  const sub = await run('subprog', { packets: [{ from: 3, to: 3 }] });
  const funcs = sub.events.flatMap((e) => (e.type === 'insn' && e.func !== undefined ? [e.func] : []));
  t.deepEqual(funcs.slice(0, 4), ['xdp_sanity', 'check_l3', 'ipv4_csum_ok', 'csum_fold']);
  t.true(sub.events.some((e) => e.type === 'insn' && e.insn === 'call check_l3'));
});

test('a frame the kernel would refuse is traced as not run, with no instructions', async (t) => {
  const runt = readPackets(MIXED_PCAP).findIndex((p) => p.data.length < 14) + 1;
  const { events } = await run('firewall', { packets: [{ from: runt, to: runt }] });
  t.deepEqual(events.map((e) => e.type), ['packet', 'exit']);
  const exit = events[1]!;
  t.regex(exit.type === 'exit' ? exit.notRun ?? '' : '', /shorter than the 14-byte Ethernet header/);
});
