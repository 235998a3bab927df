import type { Argv, CommandModule } from 'yargs';
import { DEFAULTS } from '../options.ts';

export interface TraceArgs {
  input: string;
  object: string;
  filter: string[] | undefined;
  /** Repeatable options are not yargs arrays (an array option would swallow the filter words after it). */
  packet: string | string[] | undefined;
  break: string | string[] | undefined;
  json: boolean;
  insns: boolean;
  prog: string | undefined;
  ifindex: number | undefined;
  rxQueue: number | undefined;
  seed: number;
  limitInsns: number;
  maxCaplen: number;
}

/** `xdpreplay trace IN PROG.o --packet 17 [--packet 20-25] [FILTER…] [--break SPEC] [--json]`. */
export const traceCommand: CommandModule<object, TraceArgs> = {
  command: 'trace <input> <object> [filter..]',
  describe: 'trace selected packets instruction by instruction (registers, helper calls, map operations, stores) and stop at breakpoints',
  builder: (y: Argv) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'pcap or pcapng file, or - for stdin' })
      .positional('object', { type: 'string', demandOption: true, describe: 'BPF object file (clang -target bpf)' })
      .positional('filter', { type: 'string', array: true, describe: 'tcpdump filter expression selecting packets to trace' })
      .option('packet', { type: 'string', requiresArg: true, describe: 'packet id (1-based, like tshark frame.number) or range N-M / N- to trace; repeatable' })
      .option('break', { alias: 'b', type: 'string', requiresArg: true, describe: "breakpoint 'LOC [if COND] [print ITEM, …] [skip N]', LOC = func:insn or file.c:line; repeatable" })
      .option('insns', { type: 'boolean', default: true, describe: 'print every instruction of selected packets (--no-insns: breakpoints only)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per event (JSON Lines)' })
      .option('prog', { alias: 'p', type: 'string', requiresArg: true, describe: 'program (function or section name) when the object has several' })
      .option('ifindex', { type: 'number', requiresArg: true, describe: 'ingress ifindex the program sees' })
      .option('rx-queue', { type: 'number', requiresArg: true, describe: 'rx queue the program sees' })
      .option('seed', { type: 'number', default: 1, describe: 'seed for bpf_get_prandom_u32' })
      .option('limit-insns', { type: 'number', default: 1_000_000, describe: 'instruction budget per packet' })
      .option('max-caplen', { type: 'number', default: DEFAULTS.maxCaplen, describe: 'largest captured packet length accepted' }) as unknown as Argv<TraceArgs>,
  handler: async (argv) => {
    const { runTrace } = await import('./trace-run.ts');
    await runTrace(argv);
  },
};
