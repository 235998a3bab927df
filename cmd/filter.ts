import { execFileSync } from 'node:child_process';
import { parseCbpfListing, type CbpfInsn } from '../lib/filter/cbpf.ts';
import { UsageError } from '../lib/errors.ts';

/** libpcap's names for the link types we may be asked to filter (pcap_datalink_val_to_name). */
const DLT_NAMES: Readonly<Record<number, string>> = { 0: 'NULL', 1: 'EN10MB', 101: 'RAW', 113: 'LINUX_SLL', 276: 'LINUX_SLL2' };

/**
 * Compile a tcpdump filter expression with libpcap (through `tcpdump -ddd -y <DLT>`), so the
 * expression means exactly what it means to tcpdump. The classic BPF runs in-process.
 */
export function compileFilter(expression: string, linkType: number, tcpdump = process.env['XDPREPLAY_TCPDUMP'] ?? 'tcpdump'): CbpfInsn[] {
  const dlt = DLT_NAMES[linkType];
  if (dlt === undefined) throw new UsageError(`filter: link type ${linkType} is not supported for filter expressions`);
  let out: string;
  try {
    out = execFileSync(tcpdump, ['-ddd', '-y', dlt, expression], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new UsageError(`filter: "${tcpdump}" not found; filter expressions are compiled by libpcap through tcpdump (apt-get install tcpdump)`);
    }
    const why = (e.stderr ?? '').trim().replace(/^tcpdump: /, '') || e.message;
    throw new UsageError(`filter: ${why}: "${expression}"`);
  }
  return parseCbpfListing(out);
}
