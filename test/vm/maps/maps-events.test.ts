import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { dumpMaps, seedMaps } from '../../../lib/state/map-state.ts';
import { RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT } from '../../../lib/vm/maps/ringbuf-map.ts';
import { loadXdpProgramFromElf, type XdpLoadOptions, type XdpProgram } from '../../../lib/xdp/xdp-program.ts';
import { pcapBytes } from '../../helpers/oracle.ts';
import { clangAvailable, compileProg } from '../../kernel/compile-prog.ts';
import { inputFrame } from '../../kernel/maps-compare.ts';

/**
 * What the kernel cannot show in a test run: ring buffer record contents and the consumer
 * between packets, perf event records, several CPUs, map state JSON of the new map kinds and
 * the replay options. Programs are the differential tests' (test/kernel/progs/maps-*.c).
 */

const ENGINES = ['interp', 'wasm'] as const;

function load(t: { pass(): void }, name: string, program: string, options: XdpLoadOptions): XdpProgram | undefined {
  if (!clangAvailable()) { t.pass(); return undefined; }
  const path = compileProg(name, 'v3');
  return loadXdpProgramFromElf(readFileSync(path), { name: basename(path), program, ...options });
}

/** maps-other.c frame: op | flags << 8 | prefixlen << 16 | key << 32, value. */
const other = (o: number, flags = 0, key = 0, value = 0n): Uint8Array => inputFrame(BigInt(o) | (BigInt(flags) << 8n) | (BigInt(key) << 32n), value);
/** maps-hash.c frame: op | map << 8 | flags << 16 | key << 32, value. */
const hashOp = (o: number, sel: number, key: number, value = 0n, flags = 0): Uint8Array => inputFrame(BigInt(o) | (BigInt(sel) << 8n) | (BigInt(flags) << 16n) | (BigInt(key) << 32n), value);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

for (const engine of ENGINES) {
  test(`[${engine}] ringbuf: submitted samples become events with their bytes, discarded ones do not, and the ring is read between packets`, (t) => {
    const p = load(t, 'maps-other', 'maps_other', { engine });
    if (p === undefined) return;
    const r1 = p.run(other(9, 0, 0, 0x0102030405060708n));
    t.is(r1.action, 0x1000_0010, 'record of 8 bytes = 16 with its header, ring of 4096');
    t.deepEqual(r1.events?.map((e) => [e.map, hex(e.data)]), [['rb', '0807060504030201']]);
    const r2 = p.run(other(9, 0, 1, 5n));
    t.is(r2.events, undefined, 'a discarded sample is no event');
    t.is(p.run(other(11, 0)).action, 0, 'nothing left unread after a packet');
    t.is(p.run(other(11, 3)).action, 32, 'the producer position keeps counting');
    const r3 = p.run(other(10, 0, 5, 0x1122334455667788n));
    t.deepEqual(r3.events?.map((e) => hex(e.data)), ['8877665544']);
    // A reservation as large as the ring can take, in every packet: the reader frees it each time.
    for (let i = 0; i < 3; i++) t.is(p.run(other(9, 3)).action >>> 0, 0x1000_0bc0);
  });

  test(`[${engine}] ringbuf record headers carry the length with the busy bit while reserved and the discard bit when discarded`, (t) => {
    const p = load(t, 'maps-other', 'maps_other', { engine, ringbufConsumer: 'none' });
    if (p === undefined) return;
    const region = p.vm.mem.regions.find((r) => r.name === 'rb')!;
    p.run(other(9, 1, 0, 1n));
    p.run(other(9, 1, 1, 2n));
    const view = p.vm.mem.view;
    t.is(view.getUint32(region.start, true), 100);
    t.is(view.getUint32(region.start + 112, true), (100 | RINGBUF_DISCARD_BIT) >>> 0);
    t.is(RINGBUF_BUSY_BIT >>> 0, 0x8000_0000);
    t.is(p.run(other(11, 0)).action, 224, 'without a reader the data stays available');
  });

  test(`[${engine}] perf_event_output records the data plus ctx_len packet bytes on the CPU's slot`, (t) => {
    const p = load(t, 'maps-other', 'maps_other', { engine, cpus: 2, cpu: 1 });
    if (p === undefined) return;
    const frame = other(12, 255, 30, 0xaabbn);
    const r = p.run(frame);
    t.is(r.action, 0);
    t.is(r.events?.length, 1);
    t.is(r.events![0]!.cpu, 1);
    t.is(hex(r.events![0]!.data), `bbaa000000000000${hex(frame)}`);
    t.is(p.run(other(12, 0, 4, 1n)).events?.[0]?.data.length, 12);
    p.maps.get('perf')!.delete(Uint8Array.of(0, 0, 0, 0));
    t.is(p.run(other(12, 0)).action | 0, -2, 'a closed slot → -ENOENT');
  });

  test(`[${engine}] per-CPU maps keep one value per modelled CPU and the program sees the CPU it runs on`, (t) => {
    const p = load(t, 'maps-hash', 'maps_hash', { engine, cpus: 4, cpu: 2 });
    if (p === undefined) return;
    t.is(p.run(hashOp(0, 11, 0)).action, 2, 'bpf_get_smp_processor_id');
    t.is(p.run(hashOp(0, 11, 0), { cpu: 3 }).action, 3, 'a run may pick another CPU');
    p.run(hashOp(0, 7, 1, 40n));
    p.run(hashOp(3, 7, 1, 2n), { cpu: 3 });
    p.run(hashOp(0, 6, 9, 7n));
    p.run(hashOp(0, 6, 9, 8n), { cpu: 0 });
    const arr = p.maps.get('pcarr')!.percpu!.entries().find(([k]) => k[0] === 1)![1];
    t.deepEqual(arr.map((v) => Number(Buffer.from(v).readBigUInt64LE())), [0, 0, 40, 2]);
    const hash = p.maps.get('pchash')!.percpu!.entries()[0]![1];
    t.deepEqual(hash.map((v) => Number(Buffer.from(v).readBigUInt64LE())), [8, 0, 7, 0], 'a new key zeroes the other CPUs');
    t.is(p.run(hashOp(0, 10, 1, 0n, 3)).action, 2, 'lookup_percpu_elem on CPU 3');
    t.is(p.run(hashOp(0, 10, 1, 0n, 4)).action >>> 0, 0xffffffff, 'CPU 4 is not modelled');
  });

  test(`[${engine}] map state JSON: per-CPU values per CPU, map-in-map values by name, queue contents in order — and the dump seeds the same state`, (t) => {
    const p = load(t, 'maps-inner', 'maps_inner', { engine, cpus: 2 });
    if (p === undefined) return;
    const dump = dumpMaps(p);
    t.deepEqual(dump['outer_arr']!.map((e) => e.value), ['in_a', 'in_b']);
    t.deepEqual(dump['outer_hash']!.map((e) => [e.key, e.value]), [['07000000', 'in_h']]);
    seedMaps(p, { outer_arr: [{ key: 1, value: 'in_h' }], dev_hash: [{ key: 3, value: 1 }] });
    t.is(p.run(inputFrame(0x1_0000_0000n | 0x0101n, 0n)).action >>> 0, 0xfffffffe, 'slot 1 now holds in_h (empty)');
    t.is(p.run(inputFrame(4n | (3n << 32n), 0n)).action, 4, 'redirect through the seeded DEVMAP_HASH key');

    const q = load(t, 'maps-other', 'maps_other', { engine });
    const h = load(t, 'maps-hash', 'maps_hash', { engine, cpus: 2 });
    if (q === undefined || h === undefined) return;
    for (const v of [5n, 6n, 7n]) q.run(other(3, 0, 0, v));
    t.deepEqual(dumpMaps(q)['fifo']!.map((e) => e.value), ['0500000000000000', '0600000000000000', '0700000000000000']);
    seedMaps(h, { pcarr: [{ key: 0, value: ['0100000000000000', '0200000000000000'] }], pchash: [{ key: 5, value: 9 }] });
    const d = dumpMaps(h);
    t.deepEqual(d['pcarr']![0]!.value, ['0100000000000000', '0200000000000000']);
    t.deepEqual(d['pchash']![0]!.value, ['0900000000000000', '0900000000000000']);
    t.is(h.run(hashOp(1, 7, 0)).action, 1);
    t.is(h.run(hashOp(1, 7, 0), { cpu: 1 }).action, 2);
    t.throws(() => seedMaps(h, { pcarr: [{ key: 0, value: ['01', '02', '03'] }] }), { message: /one per CPU/ });
  });
}

test('replay --events writes ring buffer records as JSON lines; --cpus/--cpu choose the CPU; a CPU outside --cpus is refused', (t) => {
  if (!clangAvailable()) { t.pass(); return; }
  const ROOT = new URL('../../../', import.meta.url).pathname;
  const CLI = join(ROOT, 'cmd/xdpreplay.ts');
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-events-'));
  try {
    const obj = compileProg('maps-other', 'v3');
    const pcap = join(dir, 'in.pcap');
    writeFileSync(pcap, pcapBytes([other(9, 0, 0, 0x41n), other(9, 0, 1, 0x42n), other(10, 0, 3, 0x434445n), other(12, 255, 0, 0x46n)]));
    const events = join(dir, 'events.jsonl');
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, pcap, obj, '--events', events, '--cpus', '2', '--cpu', '1', '-o', join(dir, 'out.pcapng'), '-q'], { cwd: ROOT, encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const lines = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    t.deepEqual(lines, [
      { packet: 1, map: 'rb', size: 8, data: '4100000000000000' },
      { packet: 3, map: 'rb', size: 3, data: '454443' },
      { packet: 4, map: 'perf', cpu: 1, size: 8, data: '4600000000000000' },
    ]);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', CLI, pcap, obj, '--cpus', '2', '--cpu', '2', '-o', '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
    t.not(bad.status, 0);
    t.regex(bad.stderr, /--cpu 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
