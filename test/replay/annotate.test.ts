import test from 'ava';
import { readFileSync } from 'node:fs';
import { exitRecord, resultComment } from '../../lib/replay/annotate.ts';
import { loadXdpProgramFromElf } from '../../lib/xdp/xdp-program.ts';
import { MIXED_PCAP, readPackets, samplePath, SAMPLES } from '../xdp/capture-packets.ts';

const packets = readPackets(MIXED_PCAP);
const text = new TextDecoder();

test('the exit record\'s comment is resultComment() byte for byte, whether built from cached bytes or as a string', (t) => {
  let encoded = 0, strings = 0;
  for (const sample of SAMPLES) {
    const prog = loadXdpProgramFromElf(readFileSync(samplePath(sample)), { name: `${sample}.bpf.o`, ...(sample === 'tailcall' ? { program: 'xdp_dispatch' } : {}) });
    for (const [i, p] of packets.entries()) {
      const r = prog.run(p.data, { tsNs: p.tsNs });
      const c = exitRecord(r, p.data, p.data.length, { interfaceId: 0, tsNs: p.tsNs, packetId: i + 1, queue: 0 }).comments![0]!;
      if (typeof c === 'string') { strings++; t.is(c, resultComment(r)); } else { encoded++; t.is(c instanceof Uint8Array ? text.decode(c) : `${text.decode(c.head)}${c.value}`, resultComment(r)); }
    }
  }
  t.true(encoded > 1000, 'plain runs use the pre-encoded comment');
  t.true(strings > 10, 'printk, redirects, tail calls and short frames keep the string');
});
