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

for (const sample of SAMPLES) {
  test(`both engines agree on where the ${sample} sample's verdicts were made`, (t) => {
    const load = (engine: 'interp' | 'wasm') =>
      loadXdpProgramFromElf(readFileSync(samplePath(sample)), { name: `${sample}.bpf.o`, engine, ...(sample === 'tailcall' ? { program: 'xdp_dispatch' } : {}) });
    const interp = load('interp'), wasm = load('wasm');
    let known = 0;
    for (const p of packets) {
      const a = interp.run(p.data, { tsNs: p.tsNs }), b = wasm.run(p.data, { tsNs: p.tsNs });
      t.is(a.verdictInsn, b.verdictInsn);
      t.deepEqual(a.verdictLine, b.verdictLine);
      if (a.verdictInsn !== undefined) known++;
    }
    t.true(known > 0);
  });
}

test('the verdict origin follows the returned value back to its return statement', (t) => {
  const prog = loadXdpProgramFromElf(readFileSync(samplePath('redirect')), { name: 'redirect.bpf.o', engine: 'interp' });
  const seen = new Map<number, Set<string>>();
  for (const p of packets) {
    const r = prog.run(p.data, { tsNs: p.tsNs });
    if (r.notRun !== undefined || r.verdictLine === undefined) continue;
    const lines = seen.get(r.action) ?? new Set<string>();
    lines.add(r.verdictLine.text.trim());
    seen.set(r.action, lines);
  }
  // XDP_REDIRECT comes from `return bpf_redirect(…)` or `return bpf_redirect_map(…)`, whose helper call made r0.
  t.true([...(seen.get(4) ?? [])].every((text) => /return bpf_redirect/.test(text)), JSON.stringify([...(seen.get(4) ?? [])]));
  t.true((seen.get(4)?.size ?? 0) > 0);
});

test('a borrowed output frame equals the copied one and is a view that the next run overwrites', (t) => {
  const load = () => loadXdpProgramFromElf(readFileSync(samplePath('decap')), { name: 'decap.bpf.o' });
  const copying = load(), borrowing = load();
  let compared = 0;
  for (const p of packets) {
    const a = copying.run(p.data, { tsNs: p.tsNs });
    const b = borrowing.run(p.data, { tsNs: p.tsNs, borrow: true });
    t.is(b.action, a.action);
    t.deepEqual([...b.packet], [...a.packet]);
    if (b.notRun === undefined && b.fragBytes === undefined) {
      t.is(b.packet.buffer, borrowing.vm.mem.u8.buffer, 'a view of the VM store, not a copy');
      compared++;
    }
  }
  t.true(compared > 100);
  const first = borrowing.run(packets.find((p) => p.data.length >= 60)!.data, { borrow: true }).packet;
  const kept = [...first];
  borrowing.run(new Uint8Array(60).fill(0xee), { borrow: true });
  t.notDeepEqual([...first], kept, 'valid only until the next run');
});
