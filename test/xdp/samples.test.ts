import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadXdpProgramFromElf } from '../../lib/xdp/xdp-program.ts';
import { MIXED_PCAP, readPackets, samplePath, SAMPLES } from './capture-packets.ts';

const packets = readPackets(MIXED_PCAP);

for (const sample of SAMPLES) {
  test(`the ${sample} sample runs the whole mixed capture without a fault`, (t) => {
    const prog = loadXdpProgramFromElf(readFileSync(samplePath(sample)), { name: `${sample}.bpf.o`, ...(sample === 'tailcall' ? { program: 'xdp_dispatch' } : {}) });
    let run = 0;
    for (const p of packets) {
      const r = prog.run(p.data, { tsNs: p.tsNs });
      t.is(r.fault, undefined, r.fault?.message);
      if (r.notRun === undefined) run++;
      else t.true(p.data.length < 14);
    }
    t.true(run > 0);
  });
}
