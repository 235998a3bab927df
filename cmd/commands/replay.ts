import type { Argv, CommandModule } from 'yargs';
import type { CapturePoint } from '../../lib/replay/replay.ts';
import { logOptions, type LogArgs } from '../log-options.ts';
import { DEFAULTS } from '../options.ts';

export interface ReplayArgs extends LogArgs {
  input: string;
  object: string;
  filter: string[] | undefined;
  output: string | undefined;
  prog: string | undefined;
  capture: CapturePoint;
  actions: string[] | undefined;
  filterOn: 'entry' | 'exit';
  count: number | undefined;
  ifindex: number | undefined;
  rxQueue: number | undefined;
  seed: number;
  limitInsns: number;
  engine: 'auto' | 'interp' | 'wasm';
  cpus: number;
  cpu: number;
  events: string | undefined;
  maxCaplen: number;
  jsonSummary: string | undefined;
  mapsIn: string | undefined;
  mapsOut: string | undefined;
  fibRoutes: string | undefined;
  failOnFault: boolean;
  coverage: string | undefined;
  coverageInsns: string | undefined;
  break: string | string[] | undefined;
  quiet: boolean;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: ['$0 <input> <object> [filter..]', 'replay <input> <object> [filter..]'],
  describe: 'run every packet of a capture through an XDP program; write annotated pcapng',
  builder: (y: Argv) =>
    logOptions(y)
      .positional('input', { type: 'string', demandOption: true, describe: 'pcap or pcapng file, or - for stdin', coerce: (v: string) => (v === '' ? '-' : v) })
      .positional('object', { type: 'string', demandOption: true, describe: 'BPF object file (clang -target bpf)' })
      .positional('filter', { type: 'string', array: true, describe: 'tcpdump filter expression selecting packets to write' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'pcapng file to write, or - for stdout (default: text lines on a terminal, pcapng on a pipe)', group: 'Output:' })
      .option('capture', { choices: ['entry', 'exit', 'both'] as const, default: 'exit' as CapturePoint, describe: 'which records to write: the packet as given, as left by the program, or both', group: 'Output:' })
      .option('actions', { type: 'string', array: true, describe: 'write only packets with these verdicts (drop,tx,…)', group: 'Selection:' })
      .option('filter-on', { choices: ['entry', 'exit'] as const, default: 'entry' as const, describe: 'apply the filter expression to the input or the output bytes', group: 'Selection:' })
      .option('count', { alias: 'c', type: 'number', requiresArg: true, describe: 'process only the first N packets', group: 'Selection:' })
      .option('prog', { alias: 'p', type: 'string', requiresArg: true, describe: 'program (function or section name) when the object has several', group: 'Program:' })
      .option('ifindex', { type: 'number', requiresArg: true, describe: 'ingress ifindex the program sees (default: input interface number + 1)', group: 'Program:' })
      .option('rx-queue', { type: 'number', requiresArg: true, describe: 'rx queue the program sees (default: epb_queue, else 0)', group: 'Program:' })
      .option('seed', { type: 'number', default: 1, describe: 'seed for bpf_get_prandom_u32', group: 'Program:' })
      .option('limit-insns', { type: 'number', default: 1_000_000, describe: 'instruction budget per packet (an endless loop becomes a fault)', group: 'Program:' })
      .option('engine', { choices: ['auto', 'interp', 'wasm'] as const, default: 'auto' as const, describe: 'VM engine: wasm (compiled), interp (reference interpreter), auto = wasm unless --break/--coverage need the interpreter', group: 'Program:' })
      .option('cpus', { type: 'number', default: 1, describe: 'CPUs modelled for per-CPU maps, LRU lists, perf event arrays and cpumaps', group: 'Program:' })
      .option('cpu', { type: 'number', default: 0, describe: 'CPU the program runs on (bpf_get_smp_processor_id, per-CPU values), 0 … cpus-1', group: 'Program:' })
      .option('events', { type: 'string', requiresArg: true, describe: 'write ring buffer and perf event records as JSON lines to FILE', group: 'Output:' })
      .option('max-caplen', { type: 'number', default: DEFAULTS.maxCaplen, describe: 'largest captured packet length accepted', group: 'Input:' })
      .option('maps-in', { type: 'string', requiresArg: true, describe: 'seed maps from this JSON file before the first packet', group: 'Program:' })
      .option('fib-routes', { type: 'string', requiresArg: true, describe: 'devices and routes bpf_fib_lookup answers from (JSON; default: loopback only, forwarding off)', group: 'Program:' })
      .option('maps-out', { type: 'string', requiresArg: true, describe: 'dump every map as JSON to this file after the last packet', group: 'Output:' })
      .option('json-summary', { type: 'string', requiresArg: true, describe: 'also write the summary as JSON to this file', group: 'Output:' })
      .option('coverage', { type: 'string', requiresArg: true, describe: 'write line/branch coverage of the replay as lcov to FILE (+ per-function summary on stderr)', group: 'Debugging:' })
      .option('coverage-insns', { type: 'string', requiresArg: true, describe: 'write instruction hit counts (and taken/not-taken per conditional jump) as an annotated listing to FILE', group: 'Debugging:' })
      .option('break', { alias: 'b', type: 'string', requiresArg: true, describe: "breakpoint 'LOC [if COND] [print ITEM, …] [skip N]' (stops printed on stderr); repeatable", group: 'Debugging:' })
      .option('fail-on-fault', { type: 'boolean', default: false, describe: 'exit 1 when the program faulted on any packet' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no summary or progress on stderr' }) as unknown as Argv<ReplayArgs>,
  // The implementation (and the VM behind it) loads only when the command runs.
  handler: async (argv) => {
    const { runReplay } = await import('./replay-run.ts');
    await runReplay(argv);
  },
};
