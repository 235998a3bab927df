import test from 'ava';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../lib/errors.ts';
import { loadObject } from '../../lib/object/load-object.ts';
import { dumpMaps, seedMaps, stringifyMapState } from '../../lib/state/map-state.ts';
import { loadXdpProgram, type XdpProgram } from '../../lib/xdp/xdp-program.ts';
import { requireKernel } from '../helpers/kernel.ts';
import { runOracle } from '../helpers/oracle.ts';
import { MIXED_PCAP, readPackets, samplePath } from '../xdp/capture-packets.ts';

const packets = readPackets(MIXED_PCAP);

function load(sample: string, program?: string): XdpProgram {
  return loadXdpProgram(loadObject(readFileSync(samplePath(sample)), { name: sample }), program === undefined ? {} : { program });
}

function runAll(p: XdpProgram): number[] {
  return packets.map((pkt) => p.run(pkt.data, { tsNs: pkt.tsNs }).action);
}

const RODATA_SEED = { '.rodata': [{ key: 0, value: { '.rodata': [{ blocked_ports: [22, 80] }, { builtin_denied_src: 0 }] } }] };

test('a dump seeds a fresh program into the same state, and dumps the same again', (t) => {
  const a = load('firewall');
  seedMaps(a, { deny_v4: [{ key: '0a01f330', value: 5 }] });
  runAll(a);
  const dumped = dumpMaps(a);
  t.true(dumped['deny_v4']!.some((e) => e.key === '0a01f330'));
  const b = load('firewall');
  const n = seedMaps(b, JSON.parse(stringifyMapState(dumped)) as unknown);
  t.true(n > 10);
  t.deepEqual(dumpMaps(b), dumped);
});

test('BTF-formatted .rodata seeds change verdicts exactly as the same bytes do in the kernel', (t) => {
  const p = load('firewall');
  seedMaps(p, RODATA_SEED);
  const ours = runAll(p);
  const before = runAll(load('firewall'));
  t.notDeepEqual(ours, before, 'the new port rules change some verdicts');
  if (!requireKernel(t)) return;
  const rodata = p.object.maps.find((m) => m.section === '.rodata')!;
  const value = Uint8Array.from(Buffer.from(dumpMaps(p)['.rodata']![0]!.value as string, 'hex'));
  const kernel = runOracle({ object: samplePath('firewall'), program: 'xdp_firewall', packets: MIXED_PCAP, seeds: [{ map: rodata.name, key: new Uint8Array(4), value }] });
  kernel.results.forEach((k, i) => {
    if (k.errno === 0) t.is(ours[i], k.ret, `packet ${i + 1}`);
  });
});

test('keys and values are accepted as hex, integers, bpftool byte arrays and BTF objects', (t) => {
  const p = load('firewall');
  seedMaps(p, {
    deny_v4: [
      { key: 'c6336442', value: 1 },
      { key: ['0x0a', '0x00', '0x00', '0x01'], value: '0200000000000000' },
      { key: 0x0300000a, value: ['0x03', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00'] },
    ],
    action_stats: [{ key: 2, value: [{ packets: 7, bytes: 700 }] }],
  });
  const d = dumpMaps(p);
  t.deepEqual(d['deny_v4']!.map((e) => [e.key, e.value]), [['0a000001', '0200000000000000'], ['0a000003', '0300000000000000'], ['c6336442', '0100000000000000']]);
  t.deepEqual(d['action_stats']![2]!.formatted?.value, [{ packets: 7, bytes: 700 }]);
});

test('PROG_ARRAY slots are seeded and dumped by program name', (t) => {
  const p = load('tailcall', 'xdp_dispatch');
  const initial = dumpMaps(p)['jmp_table']!;
  t.true(initial.every((e) => typeof e.value === 'string' && e.value.startsWith('xdp_')));
  seedMaps(p, { jmp_table: [{ key: 2, value: 'xdp_chain' }] });
  t.true(dumpMaps(p)['jmp_table']!.some((e) => e.key === '02000000' && e.value === 'xdp_chain'));
  t.throws(() => seedMaps(p, { jmp_table: [{ key: 1, value: 'nope' }] }), { instanceOf: UsageError, message: /program name \(one of .*xdp_dispatch/ });
});

test('mistakes are usage errors that say which map, entry and member', (t) => {
  const p = load('firewall');
  t.throws(() => seedMaps(p, { nosuch: [] }), { instanceOf: UsageError, message: /no map "nosuch".*deny_v4/ });
  t.throws(() => seedMaps(p, { deny_v4: [{ key: 'abcd', value: 1 }] }), { instanceOf: UsageError, message: /deny_v4\[0\]\.key: hex string of 2 bytes, expected 4 bytes/ });
  t.throws(() => seedMaps(p, { action_stats: [{ key: 0, value: [{ pakets: 1 }] }] }), { instanceOf: UsageError, message: /action_stats\[0\]\.value: .*no member "pakets"/ });
  t.throws(() => seedMaps(p, { drop_reasons: [{ key: 99, value: 1 }] }), { instanceOf: UsageError, message: /drop_reasons\[0\]: the map refused/ });
  t.throws(() => seedMaps(p, [] as unknown), { instanceOf: UsageError });
});
