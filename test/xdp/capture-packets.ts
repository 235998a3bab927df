import { readFileSync } from 'node:fs';
import { CaptureReader } from '../../lib/capture/read-capture.ts';

export interface TestPacket {
  data: Uint8Array;
  tsNs: bigint;
}

/** Every packet of a pcap/pcapng file, read synchronously (test helper). */
export function readPackets(path: string): TestPacket[] {
  const reader = new CaptureReader();
  reader.append(readFileSync(path));
  const out: TestPacket[] = [];
  for (let r = reader.next(); r !== undefined; r = reader.next()) if (r.type === 'packet') out.push({ data: r.data, tsNs: r.tsNs });
  reader.finish();
  return out;
}

export const SAMPLES = ['firewall', 'ratelimit', 'l4lb', 'decap', 'tailcall', 'redirect', 'globals', 'subprog', 'printk'] as const;

export function samplePath(name: string): string {
  return new URL(`../../samples/${name}.bpf.o`, import.meta.url).pathname;
}

export const MIXED_PCAP = new URL('../../samples/captures/mixed.pcap', import.meta.url).pathname;
