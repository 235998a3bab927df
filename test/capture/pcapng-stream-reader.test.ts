import test from 'ava';
import type { CaptureRecord, InterfaceRecord, PacketRecord, SectionRecord, StatsRecord, UnknownRecord } from '../../lib/capture/types.ts';
import { multiSectionFixture, parseChunks, pcapngFixture, rareBlocksFixture, SOURCE_PACKETS, sourceTsNs } from './fixtures.ts';

const ofType = <T extends CaptureRecord['type']>(records: CaptureRecord[], type: T): Extract<CaptureRecord, { type: T }>[] =>
  records.filter((r): r is Extract<CaptureRecord, { type: T }> => r.type === type);

for (const littleEndian of [true, false]) {
  const order = littleEndian ? 'little' : 'big';
  test(`reads a ${order}-endian section: SHB options, IDB name/description/tsresol, EPB options`, (t) => {
    const { records, truncated } = parseChunks(pcapngFixture({ littleEndian }));
    t.is(truncated, undefined);
    const [section] = ofType(records, 'section') as [SectionRecord];
    t.like(section, { format: 'pcapng', littleEndian, versionMajor: 1, versionMinor: 0, userAppl: 'builder 1.0', os: 'Linux' });
    t.deepEqual(section.comments, ['section comment']);
    const [iface] = ofType(records, 'interface') as [InterfaceRecord];
    t.like(iface, { interfaceId: 0, linkType: 1, snaplen: 262144, name: 'eth0', description: 'first port', tsresol: 9, tsoffset: 0n });
    const packets = ofType(records, 'packet');
    t.is(packets.length, SOURCE_PACKETS.length);
    packets.forEach((p, i) => {
      t.deepEqual(p.data, SOURCE_PACKETS[i]!.data);
      t.is(p.tsNs, sourceTsNs(SOURCE_PACKETS[i]!));
      t.is(p.origLen, SOURCE_PACKETS[i]!.data.length + i);
      t.is(p.source, 'epb');
    });
    t.like(packets[0], { flags: undefined, packetId: undefined, queue: undefined });
    t.deepEqual(packets[0]!.comments, []);
    t.deepEqual(packets[0]!.verdicts, []);
    const third = packets[3]!;
    t.deepEqual(third.comments, ['pkt 3 ✓ ünïcødé']);
    t.is(third.flags, 1);
    t.is(third.packetId, 4n);
    t.is(third.queue, 3);
    t.is(third.verdicts.length, 1);
    t.is(third.verdicts[0]!.type, 2);
    t.is(third.verdicts[0]!.action, 3n);
  });
}

test('reads two sections of different byte order with stream-global interface ids and both tsresol kinds', (t) => {
  const { records } = parseChunks(multiSectionFixture());
  const sections = ofType(records, 'section');
  t.deepEqual(sections.map((s) => [s.sectionIndex, s.littleEndian]), [[0, true], [1, false]]);
  const ifaces = ofType(records, 'interface');
  t.deepEqual(ifaces.map((i) => [i.interfaceId, i.sectionInterfaceId, i.sectionIndex, i.name, i.tsresol, i.tsoffset]), [
    [0, 0, 0, 'usec0', 6, 0n],
    [1, 1, 0, 'pow2', 0x94, 10n],
    [2, 0, 1, 'msec', 3, 0n],
  ]);
  const packets = ofType(records, 'packet');
  t.deepEqual(packets.map((p) => p.interfaceId), [0, 1, 2]);
  t.is(packets[0]!.tsNs, sourceTsNs(SOURCE_PACKETS[0]!));
  // 5.5 s in 2^-20 ticks, plus if_tsoffset 10 s
  t.is(packets[1]!.tsNs, 15_500_000_000n);
  t.is(packets[2]!.tsNs, 1_700_000_000_123_000_000n);
  t.is(packets[2]!.verdicts[0]!.action, 1n);
  t.deepEqual(packets[2]!.data, SOURCE_PACKETS[2]!.data);
});

for (const littleEndian of [true, false]) {
  test(`reads SPB, the obsolete Packet Block, ISB and keeps NRB and custom blocks as unknown (${littleEndian ? 'LE' : 'BE'})`, (t) => {
    const { records, truncated } = parseChunks(rareBlocksFixture({ littleEndian }));
    t.is(truncated, undefined);
    const packets = ofType(records, 'packet') as PacketRecord[];
    t.deepEqual(packets.map((p) => [p.source, p.data.length, p.origLen]), [
      ['spb', 60, 60],
      ['spb', 64, 1514],
      ['pb', 60, 60],
    ]);
    t.deepEqual(packets[1]!.data, SOURCE_PACKETS[1]!.data.subarray(0, 64));
    t.like(packets[2], { flags: 2, tsNs: 1_000_001_000n });
    t.deepEqual(packets[2]!.comments, ['old block']);
    const [stats] = ofType(records, 'stats') as [StatsRecord];
    t.like(stats, { interfaceId: 0, tsNs: 2_000_000_000n, received: 5n, dropped: 1n });
    const unknown = ofType(records, 'unknown') as UnknownRecord[];
    t.deepEqual(unknown.map((u) => u.blockType), [4, 0x40000bad]);
    t.deepEqual([...unknown[1]!.body], [1, 2, 3, 4]);
  });
}
