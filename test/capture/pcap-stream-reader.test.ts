import test from 'ava';
import type { InterfaceRecord, PacketRecord, SectionRecord } from '../../lib/capture/types.ts';
import { concat, pcapHeader, pcapRecord } from '../helpers/capture-bytes.ts';
import { parseChunks, pcapFixture, SOURCE_PACKETS, sourceTsNs } from './fixtures.ts';

for (const littleEndian of [true, false]) {
  for (const nanos of [false, true]) {
    const name = `${nanos ? 'ns' : 'µs'} ${littleEndian ? 'little' : 'big'}-endian`;
    test(`reads a ${name} classic pcap: header, link type and every packet`, (t) => {
      const { records, truncated } = parseChunks(pcapFixture({ littleEndian, nanos }));
      t.is(truncated, undefined);
      const [section, iface, ...packets] = records as [SectionRecord, InterfaceRecord, ...PacketRecord[]];
      t.like(section, { type: 'section', format: 'pcap', littleEndian, versionMajor: 2, versionMinor: 4 });
      t.like(iface, { type: 'interface', interfaceId: 0, linkType: 1, snaplen: 262144, tsresol: nanos ? 9 : 6 });
      t.is(packets.length, SOURCE_PACKETS.length);
      packets.forEach((p, i) => {
        const src = SOURCE_PACKETS[i]!;
        t.is(p.type, 'packet');
        t.deepEqual(p.data, src.data);
        t.is(p.origLen, src.data.length);
        t.is(p.tsNs, sourceTsNs(src) + (nanos ? 7n : 0n));
      });
    });
  }
}

test('accepts a zero-length packet record and keeps the original length', (t) => {
  const bytes = concat(pcapHeader(), pcapRecord({ sec: 1, frac: 2, data: [], origLen: 1500 }));
  const p = parseChunks(bytes).records[2] as PacketRecord;
  t.is(p.data.length, 0);
  t.is(p.origLen, 1500);
  t.is(p.tsNs, 1_000_002_000n);
});

test('keeps the low 16 bits of the link type field as the link type', (t) => {
  const iface = parseChunks(concat(pcapHeader({ linkType: 0x04000071 }))).records[1] as InterfaceRecord;
  t.is(iface.linkType, 113);
});

test('borrow mode hands out views that equal the copied bytes', (t) => {
  const bytes = pcapFixture();
  const copied = parseChunks(bytes).records;
  const borrowed = parseChunks(bytes, [bytes.length], { data: 'borrow' }).records;
  t.deepEqual(borrowed.map((r) => (r.type === 'packet' ? [...r.data] : r.type)), copied.map((r) => (r.type === 'packet' ? [...r.data] : r.type)));
});
