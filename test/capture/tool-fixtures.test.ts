import test from 'ava';
import type { CaptureRecord, PacketRecord } from '../../lib/capture/types.ts';
import { parseChunks, SOURCE_PACKETS, sourceTsNs, toolFixtures } from './fixtures.ts';

const packets = (records: CaptureRecord[]): PacketRecord[] => records.filter((r): r is PacketRecord => r.type === 'packet');

const expectations: Record<string, { format: 'pcap' | 'pcapng'; tsresol: number }> = {
  'tcpdump.pcap': { format: 'pcap', tsresol: 6 },
  'editcap.pcapng': { format: 'pcapng', tsresol: 6 },
  'editcap-nsec.pcap': { format: 'pcap', tsresol: 9 },
  'editcap.pcap': { format: 'pcap', tsresol: 6 },
  'editcap-comments.pcapng': { format: 'pcapng', tsresol: 6 },
  'tshark.pcapng': { format: 'pcapng', tsresol: 6 },
  'tshark.pcap': { format: 'pcap', tsresol: 6 },
};

for (const [name, want] of Object.entries(expectations)) {
  test(`reads ${name} written by the real tool with the source packets' bytes and timestamps`, (t) => {
    const { records, truncated } = parseChunks(toolFixtures()[name]!);
    t.is(truncated, undefined);
    const section = records.find((r) => r.type === 'section');
    t.is(section?.type === 'section' ? section.format : undefined, want.format);
    const iface = records.find((r) => r.type === 'interface');
    t.like(iface, { linkType: 1, tsresol: want.tsresol });
    const got = packets(records);
    t.is(got.length, SOURCE_PACKETS.length);
    got.forEach((p, i) => {
      t.deepEqual(p.data, SOURCE_PACKETS[i]!.data);
      t.is(p.tsNs, sourceTsNs(SOURCE_PACKETS[i]!));
      t.is(p.interfaceId, 0);
    });
  });
}

test('reads comments that editcap -a and --capture-comment wrote', (t) => {
  const { records } = parseChunks(toolFixtures()['editcap-comments.pcapng']!);
  const section = records.find((r) => r.type === 'section');
  t.deepEqual(section?.type === 'section' ? section.comments : [], ['made by editcap']);
  t.deepEqual(packets(records).map((p) => p.comments), [[], ['second ✓ frame'], [], ['fourth'], []]);
});
