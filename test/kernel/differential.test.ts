import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../lib/object/load-object.ts';
import type { OracleSeed } from '../helpers/oracle.ts';
import { requireKernel } from '../helpers/kernel.ts';
import { MIXED_PCAP, readPackets, samplePath, SAMPLES } from '../xdp/capture-packets.ts';
import { assertSameAsKernel, diffWithKernel, type DiffPacket } from './compare-with-kernel.ts';

const PROGRAM: Record<string, string> = {
  firewall: 'xdp_firewall', ratelimit: 'xdp_ratelimit', l4lb: 'xdp_l4lb', decap: 'xdp_decap', tailcall: 'xdp_dispatch',
  redirect: 'xdp_redirect', globals: 'xdp_globals', subprog: 'xdp_sanity', printk: 'xdp_printk',
};

/** Timestamps differ between the kernel (now) and the VM (capture time): ignore them. */
const IGNORE: Record<string, Record<string, [number, number][]>> = {
  ratelimit: { buckets: [[0, 16]] },
};

/** The mixed capture, then frames of 14, 60, 1500, 3520 and 3521 bytes cut/padded from an IPv4 frame. */
function packetsFor(): DiffPacket[] {
  const mixed = readPackets(MIXED_PCAP);
  const ipv4 = mixed.find((p) => p.data.length >= 34 && p.data[12] === 0x08 && p.data[13] === 0x00)!.data;
  const sized = [14, 60, 1500, 3520, 3521].map((n) => {
    const b = new Uint8Array(n);
    b.set(ipv4.subarray(0, Math.min(n, ipv4.length)));
    return { data: b };
  });
  return [...mixed.map((p, i) => ({ data: p.data, tsNs: BigInt(i) * 1000n })), ...sized];
}

const packets = packetsFor();

/**
 * ratelimit refills by bpf_ktime_get_ns: the kernel's clock runs during the test, ours is the
 * capture's. With rate_pps = 1 (one packet of credit per second) neither clock can refill a
 * packet's worth during the run, so the verdicts no longer depend on timing.
 */
function ratelimitSeeds(): OracleSeed[] {
  const spec = loadObject(readFileSync(samplePath('ratelimit')), { name: 'ratelimit.bpf.o' });
  const ro = spec.maps.find((m) => m.section === '.rodata')!;
  const value = ro.initialValue!.slice();
  const dv = new DataView(value.buffer);
  for (let off = 0; off + 8 <= value.length; off += 8) if (dv.getBigUint64(off, true) === 1000n) dv.setBigUint64(off, 1n, true);
  return [{ map: ro.name, key: new Uint8Array(4), value }];
}
const SEEDS: Record<string, () => OracleSeed[]> = { ratelimit: ratelimitSeeds };

for (const sample of SAMPLES) for (const engine of ['interp', 'wasm'] as const) {
  test(`[${engine}] the ${sample} sample gives the kernel's verdicts, output bytes and map state over the mixed capture`, (t) => {
    if (!requireKernel(t)) return;
    const report = diffWithKernel(samplePath(sample), PROGRAM[sample]!, packets, { ignoreValueBytes: IGNORE[sample] ?? {}, seeds: SEEDS[sample]?.() ?? [], engine });
    t.log(`${sample}: ${report.packets} packets compared`);
    assertSameAsKernel(t, report, sample);
  });
}
