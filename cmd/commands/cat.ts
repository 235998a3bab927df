import type { Argv, CommandModule } from 'yargs';
import { RunEpbEncoder } from '../../lib/capture/run-epb-encoder.ts';
import { CaptureReader } from '../../lib/capture/read-capture.ts';
import { PcapngWriter } from '../../lib/capture/pcapng-writer.ts';
import { assertNever, UsageError } from '../../lib/errors.ts';
import { closeInputOnSigint, EXIT_INTERRUPTED, openInput, openOutput } from '../io.ts';
import { LazyLog } from '../lazy-log.ts';
import { countOption, DEFAULTS, inputOptions, outputOptions, type CountArgs, type InputArgs, type OutputArgs } from '../options.ts';

export interface CatArgs extends InputArgs, OutputArgs, CountArgs {
  input: string;
}

/** What a cat run did (also for tests). */
export interface CatSummary {
  packets: number;
  interfaces: number;
  truncated: number;
  interrupted: boolean;
  brokenPipe: boolean;
}

/**
 * `xdpreplay cat IN -o OUT|-`: re-encode any pcap/pcapng as one little-endian pcapng section.
 * Keeps every interface (names; one IDB per input interface across sections), nanosecond
 * timestamps, comments and EPB options. Output is always a valid pcapng of whole blocks, also
 * after bad input (exit 1), EPIPE (exit 0) or SIGINT (exit 130).
 */
export async function runCat(args: CatArgs): Promise<CatSummary> {
  if (args.count !== undefined && (!Number.isInteger(args.count) || args.count < 0)) {
    throw new UsageError(`cat: -c expects a non-negative integer, found ${args.count}`);
  }
  if (!Number.isInteger(args.maxCaplen) || args.maxCaplen <= 0) {
    throw new UsageError(`cat: --max-caplen expects a positive integer, found ${args.maxCaplen}`);
  }
  // Imported here, not at the top: parser.ts imports every command (an import cycle at load time).
  const { version } = await import('../parser.ts');
  // pino is loaded only when something is logged (a warning, or XDPREPLAY_LOG=debug).
  const log = new LazyLog();
  const debug = await log.debug();
  const input = openInput(args.input);
  const sink = openOutput(args.output);
  const reader = new CaptureReader({ maxCaplen: args.maxCaplen, data: 'borrow' });
  const limit = args.count ?? Infinity;
  const summary: CatSummary = { packets: 0, interfaces: 0, truncated: 0, interrupted: false, brokenPipe: false };
  let writer: PcapngWriter | undefined;
  const open = (comments: readonly string[] = []): PcapngWriter =>
    (writer ??= new PcapngWriter(sink, {
      userAppl: `xdpreplay ${version()}`, comments, snaplen: args.maxCaplen, batchBytes: DEFAULTS.writeBatchBytes,
    }));
  const sigint = closeInputOnSigint(input);
  // Pcap records and plain EPBs skip the record objects: whole runs become EPBs in place.
  const bulk = new RunEpbEncoder();
  let failure: unknown;
  try {
    let done = limit === 0;
    for await (const chunk of input.chunks) {
      if (done) break;
      reader.append(chunk);
      for (;;) {
        const run = reader.takeRun(limit - summary.packets, DEFAULTS.writeBatchBytes);
        if (run !== undefined) {
          const wait = open().writeBlocks(bulk.use(run));
          if (wait !== undefined) await wait;
          done = (summary.packets += run.count) >= limit;
          if (done || sink.closed) break;
          continue;
        }
        const r = reader.next();
        if (r === undefined) break;
        switch (r.type) {
          case 'section':
            open(r.sectionIndex === 0 ? r.comments : []);
            break;
          case 'interface':
            // Output ids are assigned in input order, so they equal the reader's stream-global ids.
            open().addInterface({ linkType: r.linkType, name: r.name, description: r.description, comments: r.comments });
            summary.interfaces++;
            debug?.debug({ interfaceId: r.interfaceId, linkType: r.linkType, name: r.name }, 'interface');
            break;
          case 'packet': {
            const wait = open().writePacket(r);
            if (wait !== undefined) await wait;
            done = ++summary.packets >= limit;
            break;
          }
          case 'stats':
          case 'unknown':
            break;
          default:
            assertNever(r, 'capture record');
        }
        if (done || sink.closed) break;
      }
      if (done || sink.closed || sigint.interrupted) break;
    }
    if (!done && !sink.closed && !sigint.interrupted) {
      const truncated = reader.finish();
      if (truncated !== undefined) {
        summary.truncated = 1;
        (await log.get()).warn({ truncated: 1, byteOffset: truncated.byteOffset },
          `input ended inside a record: 1 truncated packet skipped, ${summary.packets} written (${truncated.message})`);
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    sigint.dispose();
    summary.interrupted = sigint.interrupted;
    const w = open();
    await w.flush();
    try {
      await sink.end();
    } catch (err) {
      failure ??= err;
    }
  }
  summary.brokenPipe = sink.brokenPipe;
  if (failure !== undefined) throw failure;
  if (summary.interrupted) process.exitCode = EXIT_INTERRUPTED;
  debug?.debug(summary, 'cat done');
  return summary;
}

export const cat: CommandModule<object, CatArgs> = {
  command: 'cat <input>',
  describe: 're-encode a pcap or pcapng capture (path or - for stdin) as pcapng',
  builder: (y: Argv) =>
    countOption(outputOptions(inputOptions(
      // yargs turns a lone "-" positional into "": map it back to stdin.
      y.positional('input', { type: 'string', demandOption: true, describe: 'pcap or pcapng file, or - for stdin', coerce: (v: string) => (v === '' ? '-' : v) }),
    ))) as unknown as Argv<CatArgs>,
  handler: async (argv) => {
    await runCat(argv);
  },
};
