import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { UsageError } from '../../lib/errors.ts';
import { decodePacket } from '../../lib/decode/decode-packet.ts';
import { actionName, exitLabel, parseActions } from '../../lib/replay/annotate.ts';
import type { InputPacket } from '../../lib/replay/input-packets.ts';
import { replay } from '../../lib/replay/replay.ts';
import { formatSummary } from '../../lib/replay/summary.ts';
import { dumpMaps, stringifyMapState } from '../../lib/state/map-state.ts';
import { parseFibConfig, setFibConfig, type FibConfig } from '../../lib/xdp/fib-lookup.ts';
import type { XdpResult } from '../../lib/xdp/xdp-program.ts';
import { compileFilter } from '../filter.ts';
import { EXIT_INTERRUPTED } from '../io.ts';
import { loadProgramFile, seedMapsFromFile } from '../load-program.ts';
import { LazyLog } from '../lazy-log.ts';
import { checkIntegerOption, DEFAULTS } from '../options.ts';
import { version } from '../parser.ts';
import { runPipeline } from '../pipeline.ts';
import type { ReplayArgs } from './replay.ts';
import { replayDebug } from './trace-run.ts';

/** tcpdump-style one-liner for terminal output: time, packet id, summary, verdict, exit line. */
export function packetLine(packet: InputPacket, r: XdpResult): string {
  const ts = packet.record.tsNs;
  const d = new Date(Number(ts / 1_000_000n));
  const time = `${d.toISOString().slice(11, 19)}.${String((ts / 1000n) % 1_000_000n).padStart(6, '0')}`;
  const verdict = r.notRun !== undefined ? `not run (${r.notRun})` : `${actionName(r.action)} ${exitLabel(r)}${r.fault ? ` fault: ${r.fault.message}` : ''}`;
  const printk = r.printk.map((p) => `\n    printk: ${p}`).join('');
  return `${time} #${packet.packetId} ${decodePacket(packet.record.data).summary} → ${verdict}${printk}`;
}

/** `--events` JSON lines: one per ring buffer / perf event record, data in hex. */
export function eventLines(packetId: number, r: XdpResult): string {
  return (r.events ?? []).map((e) => `${JSON.stringify({ packet: packetId, map: e.map, ...(e.cpu !== undefined ? { cpu: e.cpu } : {}), size: e.data.length, data: Buffer.from(e.data).toString('hex') })}\n`).join('');
}

/** The --fib-routes file (see lib/xdp/fib-lookup.ts parseFibConfig for its shape). */
function readFibRoutes(path: string): FibConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--fib-routes ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return parseFibConfig(json);
}

export async function runReplay(args: ReplayArgs): Promise<void> {
  checkIntegerOption('count', args.count, 0);
  checkIntegerOption('ifindex', args.ifindex, 0);
  checkIntegerOption('rx-queue', args.rxQueue, 0);
  checkIntegerOption('limit-insns', args.limitInsns, 1);
  checkIntegerOption('cpus', args.cpus, 1);
  checkIntegerOption('cpu', args.cpu, 0);
  if (args.cpu >= args.cpus) throw new UsageError(`--cpu ${args.cpu} is not one of the ${args.cpus} modelled CPUs (--cpus)`);
  const { actions, unknown } = parseActions(args.actions ?? []);
  if (unknown.length > 0) throw new UsageError(`--actions: unknown action ${unknown.map((u) => `"${u}"`).join(', ')} (use aborted, drop, pass, tx, redirect or a number)`);
  const expression = (args.filter ?? []).join(' ').trim();
  const log = new LazyLog(args.logLevel, args.logFormat);
  const debugLog = await log.debug();
  const loaded = loadProgramFile(args.object, { ...(args.prog !== undefined ? { program: args.prog } : {}), seed: args.seed, budget: args.limitInsns, engine: args.engine, cpus: args.cpus, cpu: args.cpu });
  const eventsFd = args.events === undefined ? undefined : openSync(args.events, 'w');
  const debug = replayDebug(loaded.program, { coverage: args.coverage, coverageInsns: args.coverageInsns, breaks: args.break });
  if (args.mapsIn !== undefined) {
    const entries = seedMapsFromFile(loaded.program, args.mapsIn);
    debugLog?.debug({ entries }, 'maps seeded');
  }
  if (args.fibRoutes !== undefined) setFibConfig(loaded.program.vm, readFibRoutes(args.fibRoutes));
  const textMode = args.output === undefined && process.stdout.isTTY === true;
  const prog = loaded.program.program;
  debugLog?.debug({ object: args.object, program: prog.name, section: prog.section }, 'loaded');
  const { result: summary, interrupted, brokenPipe } = await runPipeline(
    { input: args.input, output: textMode ? undefined : (args.output ?? '-'), progress: !args.quiet && !textMode },
    ({ chunks, sink, progress, interrupted: stopped }) => replay(loaded.program, chunks, sink, {
      label: prog.name,
      capture: args.capture,
      ...(actions.size > 0 ? { actions } : {}),
      ...(expression !== '' ? { filter: (linkType: number) => compileFilter(expression, linkType) } : {}),
      filterOn: args.filterOn,
      ...(args.count !== undefined ? { count: args.count } : {}),
      ...(args.ifindex !== undefined ? { ifindex: args.ifindex } : {}),
      ...(args.rxQueue !== undefined ? { rxQueue: args.rxQueue } : {}),
      maxCaplen: args.maxCaplen,
      userAppl: `xdpreplay ${version()}`,
      comments: [`program ${loaded.path} section ${prog.section} function ${prog.name} sha256 ${loaded.sha256}`],
      snaplen: args.maxCaplen,
      batchBytes: DEFAULTS.writeBatchBytes,
      // Only when asked for: without a packet callback packets take the faster run path (lib/replay/run-replay.ts).
      ...(textMode || debug !== undefined || eventsFd !== undefined ? {
        onPacket: (packet: InputPacket, result: XdpResult, selected: boolean) => {
          if (textMode && selected) process.stdout.write(`${packetLine(packet, result)}\n`);
          debug?.onPacket(packet.packetId);
          if (eventsFd !== undefined && result.events !== undefined) writeSync(eventsFd, eventLines(packet.packetId, result));
        },
      } : {}),
      ...(progress !== undefined ? { onBytes: (bytes: number, packets: number) => progress.update(bytes, packets) } : {}),
      stopped,
    }),
  );
  if (eventsFd !== undefined) closeSync(eventsFd);
  summary.brokenPipe = brokenPipe;
  if (summary.truncated > 0) (await log.get()).warn({ truncated: summary.truncated }, `input ended inside a record: the truncated last packet was skipped, ${summary.packetsIn} packets replayed`);
  if (!args.quiet) process.stderr.write(`${formatSummary(summary)}\n`);
  debug?.finish(args.quiet);
  if (args.mapsOut !== undefined) writeFileSync(args.mapsOut, `${stringifyMapState(dumpMaps(loaded.program))}\n`);
  if (args.jsonSummary !== undefined) writeFileSync(args.jsonSummary, `${JSON.stringify(summary, null, 2)}\n`);
  if (interrupted) process.exitCode = EXIT_INTERRUPTED;
  else if (args.failOnFault && Object.keys(summary.faults).length > 0) process.exitCode = 1;
}

