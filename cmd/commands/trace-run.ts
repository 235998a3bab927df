import { writeFileSync } from 'node:fs';
import { UsageError } from '../../lib/errors.ts';
import { Breakpoints, formatHit, parseBreakSpec } from '../../lib/trace/breakpoints.ts';
import { CoverageCollector, formatCoverageSummary, formatInsnCoverage } from '../../lib/trace/coverage.ts';
import { parsePacketRanges, traceRun, type BreakRecord } from '../../lib/trace/trace-run.ts';
import { formatTraceEvent, type TraceEvent } from '../../lib/trace/tracer.ts';
import type { XdpProgram } from '../../lib/xdp/xdp-program.ts';
import { compileFilter } from '../filter.ts';
import { openInput } from '../io.ts';
import { loadProgramFile } from '../load-program.ts';
import type { TraceArgs } from './trace.ts';

function listOf(v: string | readonly string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
}

/** JSON Lines form of an event: bigint-free, `hit` internals dropped. */
function jsonLine(e: TraceEvent | BreakRecord): string {
  if (e.type === 'break') {
    const { hit: _hit, ...rest } = e;
    return JSON.stringify(rest);
  }
  return JSON.stringify(e);
}

function textLine(e: TraceEvent | BreakRecord): string {
  if (e.type === 'break') return formatHit(e.packet, e.hit);
  return formatTraceEvent(e);
}

export async function runTrace(args: TraceArgs, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const ranges = args.packet === undefined ? undefined : parsePacketRanges(listOf(args.packet));
  const breaks = listOf(args.break).map((s) => parseBreakSpec(s));
  const expression = (args.filter ?? []).join(' ').trim();
  if (ranges === undefined && expression === '' && breaks.length === 0) {
    throw new UsageError('trace: select packets with --packet N / --packet N-M or a filter expression, or give --break (tracing every instruction of every packet is rarely what you want)');
  }
  const loaded = loadProgramFile(args.object, { ...(args.prog !== undefined ? { program: args.prog } : {}), seed: args.seed, budget: args.limitInsns });
  const input = openInput(args.input);
  let buffered: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (buffered.length > 0) out(`${buffered.join('\n')}\n`);
    buffered = [];
    size = 0;
  };
  const fmt = args.json ? jsonLine : textLine;
  await traceRun(loaded.program, input.chunks, {
    ...(ranges !== undefined ? { packets: ranges } : {}),
    ...(expression !== '' ? { filter: (linkType: number) => compileFilter(expression, linkType) } : {}),
    instructions: args.insns && (ranges !== undefined || expression !== ''),
    packetEvents: ranges !== undefined || expression !== '',
    breaks,
    ...(args.ifindex !== undefined ? { ifindex: args.ifindex } : {}),
    ...(args.rxQueue !== undefined ? { rxQueue: args.rxQueue } : {}),
    maxCaplen: args.maxCaplen,
    onEvent: (e) => {
      const line = fmt(e);
      buffered.push(line);
      size += line.length;
      if (size > 1 << 16) flush();
    },
  });
  flush();
}

/** What `--coverage FILE` / `--break SPEC` add to a plain replay; undefined when neither is given. */
export interface ReplayDebug {
  /** Call from ReplayOptions.onPacket: prints the packet's breakpoint stops on stderr. */
  onPacket(packetId: number): void;
  /** Call after the replay: writes the lcov file and the per-function summary (stderr). */
  finish(quiet: boolean): void;
}

/**
 * Install the coverage collector and/or breakpoints on `program.trace` for a replay. Returns
 * undefined (and installs nothing: the replay pays nothing) when neither option is given.
 * Breakpoint output goes to stderr because stdout may carry pcapng.
 */
export function replayDebug(program: XdpProgram, options: { coverage: string | undefined; coverageInsns?: string | undefined; breaks: string | readonly string[] | undefined }): ReplayDebug | undefined {
  const specs = listOf(options.breaks).map((s) => parseBreakSpec(s));
  if (options.coverage === undefined && options.coverageInsns === undefined && specs.length === 0) return undefined;
  const coverage = options.coverage === undefined && options.coverageInsns === undefined ? undefined : new CoverageCollector(program);
  const breaks = specs.length === 0 ? undefined : new Breakpoints(program, specs);
  if (coverage !== undefined && breaks !== undefined) {
    const c = coverage.hook, b = breaks.hook;
    program.trace = (pc, image, L, H) => { c(pc, image, L, H); b(pc, image, L, H); };
  } else program.trace = coverage?.hook ?? breaks?.hook;
  return {
    onPacket: (packetId) => {
      coverage?.endPacket();
      if (breaks === undefined) return;
      for (const hit of breaks.take()) process.stderr.write(`${formatHit(packetId, hit)}\n`);
    },
    finish: (quiet) => {
      program.trace = undefined;
      if (coverage === undefined) return;
      if (options.coverageInsns !== undefined) writeFileSync(options.coverageInsns, formatInsnCoverage(coverage, program));
      if (options.coverage !== undefined) writeFileSync(options.coverage, coverage.toLcov());
      if (!quiet) process.stderr.write(`${formatCoverageSummary(coverage.functions())}\n`);
    },
  };
}
