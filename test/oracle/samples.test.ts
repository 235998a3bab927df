// What each sample does in the kernel on the committed mixed capture: the behaviour described
// in samples/README.md, checked path by path. The VM's differential tests compare against the
// kernel packet by packet; this file pins the meaning of the samples themselves.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { requireKernel } from '../helpers/kernel.ts';
import { runOracle, type OracleResult } from '../helpers/oracle.ts';
import { MIXED_PCAP, generatePackets } from '../../samples/gen-captures.ts';

const XDP = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
const mixed = [...generatePackets()];
const indexOf = (label: string): number => mixed.findIndex((p) => p.label === label);
const sample = (name: string): string => fileURLToPath(new URL(`../../samples/${name}.bpf.o`, import.meta.url));

function expectVerdicts(name: string, program: string, expected: Record<string, number>): void {
  test(`${name}.bpf.o (${program}) gives the documented verdicts on mixed.pcap`, (t) => {
    if (!requireKernel(t)) return;
    const run: OracleResult = runOracle({ object: sample(name), program, packets: MIXED_PCAP });
    t.is(run.results.length, mixed.length);
    for (const [label, ret] of Object.entries(expected)) {
      const i = indexOf(label);
      t.true(i >= 0, `packet ${label} exists`);
      t.like(run.results[i], { errno: 0, ret }, label);
    }
    run.results.forEach((r, i) => {
      if (mixed[i]!.data.length < 14) t.is(r.errno, 22, `${mixed[i]!.label} is refused`);
      else t.is(r.errno, 0, mixed[i]!.label);
    });
  });
}

expectVerdicts('ratelimit', 'xdp_ratelimit', {
  'burst-10.9.9.9-0': XDP.PASS, 'burst-10.9.9.9-7': XDP.PASS, 'burst-10.9.9.9-8': XDP.DROP, 'burst-10.9.9.9-11': XDP.DROP,
  'vlan-tcp-80': XDP.PASS, 'ipv6-tcp-22': XDP.PASS, 'frame-14-ipv4': XDP.PASS,
});
expectVerdicts('l4lb', 'xdp_l4lb', {
  'vip-tcp-80-flow-0': XDP.TX, 'vip-udp-53': XDP.TX, 'vip-tcp-options': XDP.TX, 'vip-icmp': XDP.PASS,
  'vip-fragment': XDP.PASS, 'vip-truncated-l4': XDP.DROP, 'tcp-syn-80': XDP.PASS, 'arp-request': XDP.PASS,
});
expectVerdicts('decap', 'xdp_decap', {
  'ipip-tcp': XDP.PASS, 'ip6ip-tcp': XDP.PASS, 'gue-ipv4': XDP.PASS, 'gue-ipv6-hlen2': XDP.PASS,
  'gue-control': XDP.DROP, 'gue-unknown-inner': XDP.DROP, 'ipip-truncated-inner': XDP.DROP, 'udp-6080-no-gue': XDP.PASS,
});
expectVerdicts('tailcall', 'xdp_dispatch', {
  'tcp-syn-80': XDP.PASS, 'ipv4-ttl-1': XDP.DROP, 'ipv4-ttl-0': XDP.DROP, 'ipv6-hop-limit-1': XDP.DROP,
  'arp-request': XDP.PASS, 'local-experimental-88b5': XDP.PASS, 'lldp': XDP.PASS, 'ipv4-truncated-header': XDP.DROP,
});
expectVerdicts('redirect', 'xdp_redirect', {
  'redirect-key-1': XDP.PASS, 'redirect-key-200': XDP.PASS, 'ipv6-tcp-22': XDP.REDIRECT, 'arp-request': XDP.PASS,
  'ipv4-truncated-header': XDP.DROP,
});
expectVerdicts('globals', 'xdp_globals', {
  'frame-1514': XDP.PASS, 'frame-1515': XDP.DROP, 'frame-9000': XDP.DROP, 'ipv4-ttl-1': XDP.DROP, 'to-host-mac': XDP.PASS,
  'ipv6-tcp-22': XDP.PASS,
});
expectVerdicts('subprog', 'xdp_sanity', {
  'tcp-syn-80': XDP.PASS, 'ipv4-bad-checksum': XDP.DROP, 'ipv4-options-ihl15': XDP.PASS, 'vlan-tcp-80': XDP.PASS,
  'ipv6-ext-hop-dst': XDP.PASS, 'ipv6-ext-frag-ah': XDP.PASS, 'ipv6-ext-srh': XDP.PASS, 'ipv6-ext-rh0': XDP.DROP,
  'ipv6-ext-nine': XDP.DROP, 'ipv6-ext-truncated': XDP.DROP, 'arp-request': XDP.PASS,
});
expectVerdicts('printk', 'xdp_printk', { 'tcp-syn-80': XDP.PASS, 'frame-14-arp': XDP.PASS, 'frame-9000': XDP.PASS });
