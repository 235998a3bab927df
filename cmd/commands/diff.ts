import { writeFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UsageError, XdpReplayError } from '../../lib/errors.ts';
import { diff, type DiffCompare } from '../../lib/replay/diff.ts';
import { diffReportJson, formatDiffReport } from '../../lib/replay/diff-report.ts';
import { CommandExit } from '../cli-error.ts';
import { EXIT_INTERRUPTED } from '../io.ts';
import { loadProgramFile, seedMapsFromFile, type LoadedProgram } from '../load-program.ts';
import { createLogger, logOptions, type LogArgs } from '../log.ts';
import { DEFAULTS } from '../options.ts';
import { version } from '../parser.ts';
import { runPipeline } from '../pipeline.ts';

/** The execution engines a side can run on (XdpLoadOptions.engine): auto = wasm when it can compile the program. */
export const ENGINES = ['auto', 'interp', 'wasm'] as const;
export type Engine = (typeof ENGINES)[number];

export interface DiffArgs extends LogArgs {
  input: string;
  old: string;
  new: string;
  prog: string | undefined;
  oldProg: string | undefined;
  newProg: string | undefined;
  output: string | undefined;
  json: string | undefined;
  compare: DiffCompare;
  first: number;
  count: number | undefined;
  seed: number;
  limitInsns: number;
  engine: Engine;
  oldEngine: Engine | undefined;
  newEngine: Engine | undefined;
  maxCaplen: number;
  mapsIn: string | undefined;
  oldMapsIn: string | undefined;
  newMapsIn: string | undefined;
  quiet: boolean;
}

/** Exit status like diff(1): 0 identical, 1 differences, 2 trouble. */
export const DiffExit = { SAME: 0, DIFFERENT: 1, TROUBLE: 2, INTERRUPTED: EXIT_INTERRUPTED } as const;

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new UsageError(`--${name} expects an integer ≥ ${min}, found ${v}`);
}

/**
 * Interface labels: the object names (`firewall` / `firewall_v2`); for two programs of objects
 * with the same name, the program names are added (`firewall.xdp_a`). The @old/@new suffix of
 * the interface names keeps even identical labels apart.
 */
function labels(oldP: LoadedProgram, newP: LoadedProgram): [string, string] {
  const o = oldP.objectName, n = newP.objectName;
  const op = oldP.program.program.name, np = newP.program.program.name;
  if (o === n && op !== np) return [`${o}.${op}`, `${n}.${np}`];
  return [o, n];
}

function load(path: string, prog: string | undefined, engine: Engine, args: DiffArgs): LoadedProgram {
  return loadProgramFile(path, { ...(prog !== undefined ? { program: prog } : {}), seed: args.seed, budget: args.limitInsns, engine });
}

export async function runDiff(args: DiffArgs): Promise<void> {
  checkInt('count', args.count, 0);
  checkInt('first', args.first, 0);
  checkInt('limit-insns', args.limitInsns, 1);
  if (args.output === '-' && args.json === '-') throw new UsageError('-o - and --json - both want stdout; write one of them to a file');
  const log = createLogger(args.logLevel, args.logFormat);
  // One object on two engines (--old-engine interp --new-engine wasm) is the engine self-check.
  const oldP = load(args.old, args.oldProg ?? args.prog, args.oldEngine ?? args.engine, args);
  const newP = load(args.new, args.newProg ?? args.prog, args.newEngine ?? args.engine, args);
  log.debug({ old: oldP.program.engine, new: newP.program.engine }, 'engines');
  // Both sides are seeded before the first packet: --maps-in for both, --old/--new-maps-in per side.
  const oldSeed = args.oldMapsIn ?? args.mapsIn, newSeed = args.newMapsIn ?? args.mapsIn;
  if (oldSeed !== undefined) seedMapsFromFile(oldP.program, oldSeed);
  if (newSeed !== undefined) seedMapsFromFile(newP.program, newSeed);
  const [oldLabel, newLabel] = labels(oldP, newP);
  log.debug({ input: args.input, old: oldP.path, new: newP.path }, 'diff started');
  const { result: report, interrupted } = await runPipeline(
    { input: args.input, output: args.output, progress: !args.quiet },
    async ({ chunks, sink, progress, interrupted: stopped }) => {
      const r = await diff(oldP.program, newP.program, chunks, sink, {
        compare: args.compare,
        first: args.first,
        oldLabel,
        newLabel,
        ...(args.count !== undefined ? { count: args.count } : {}),
        maxCaplen: args.maxCaplen,
        userAppl: `xdpreplay ${version()}`,
        comments: [
          `diff old: program ${oldP.path} section ${oldP.program.program.section} function ${oldP.program.program.name} sha256 ${oldP.sha256}`,
          `diff new: program ${newP.path} section ${newP.program.program.section} function ${newP.program.program.name} sha256 ${newP.sha256}`,
        ],
        snaplen: args.maxCaplen,
        batchBytes: DEFAULTS.writeBatchBytes,
        ...(progress !== undefined ? { onBytes: (n: number) => progress.update(n) } : {}),
        stopped,
      });
      if (progress !== undefined) progress.packets = r.packetsIn;
      return r;
    },
  );
  if (report.truncated > 0) log.warn({ truncated: report.truncated }, `input ended inside a record: the truncated last packet was skipped, ${report.packetsIn} packets compared`);
  const text = `${formatDiffReport(report)}\n`;
  const data = diffReportJson(report);
  data['old'] = { ...report.old, object: oldP.path, sha256: oldP.sha256, engine: oldP.program.engine };
  data['new'] = { ...report.new, object: newP.path, sha256: newP.sha256, engine: newP.program.engine };
  const json = `${JSON.stringify(data, null, 2)}\n`;
  if (args.json !== undefined && args.json !== '-') {
    try {
      writeFileSync(args.json, json);
    } catch (err) {
      throw new XdpReplayError('OUTPUT', `cannot write "${args.json}": ${(err as Error).message}`, { cause: err });
    }
  }
  if (args.json === '-') process.stdout.write(json);
  // stdout carries data: the text report moves to stderr when stdout holds the pcapng or JSON.
  if (args.output === '-' || args.json === '-') {
    if (!args.quiet) process.stderr.write(text);
  } else process.stdout.write(text);
  if (interrupted) process.exitCode = DiffExit.INTERRUPTED;
  else process.exitCode = report.packetsDiffering > 0 ? DiffExit.DIFFERENT : DiffExit.SAME;
}

export const diffCommand: CommandModule<object, DiffArgs> = {
  command: 'diff <input> <old> <new>',
  describe: 'run two versions of an XDP program over the same capture; report the packets whose verdict or output changed (exit 0 same, 1 different, 2 trouble)',
  builder: (y: Argv) =>
    logOptions(y)
      // yargs turns a lone "-" positional into "": map it back to stdin.
      .positional('input', { type: 'string', demandOption: true, describe: 'pcap or pcapng file, or - for stdin', coerce: (v: string) => (v === '' ? '-' : v) })
      .positional('old', { type: 'string', demandOption: true, describe: 'BPF object of the old version' })
      .positional('new', { type: 'string', demandOption: true, describe: 'BPF object of the new version' })
      .option('prog', { alias: 'p', type: 'string', requiresArg: true, describe: 'program (function or section name) in both objects', group: 'Program:' })
      .option('old-prog', { type: 'string', requiresArg: true, describe: 'program in the old object', group: 'Program:' })
      .option('new-prog', { type: 'string', requiresArg: true, describe: 'program in the new object', group: 'Program:' })
      .conflicts('prog', ['old-prog', 'new-prog'])
      .option('maps-in', { type: 'string', requiresArg: true, describe: 'seed both versions\' maps from this map-state JSON file', group: 'Program:' })
      .option('old-maps-in', { type: 'string', requiresArg: true, describe: 'seed the old version\'s maps from this file instead', group: 'Program:' })
      .option('new-maps-in', { type: 'string', requiresArg: true, describe: 'seed the new version\'s maps from this file instead', group: 'Program:' })
      .option('seed', { type: 'number', default: 1, describe: 'seed for bpf_get_prandom_u32 (the same for both versions)', group: 'Program:' })
      .option('limit-insns', { type: 'number', default: 1_000_000, describe: 'instruction budget per packet (an endless loop becomes a fault)', group: 'Program:' })
      .option('engine', { choices: ENGINES, default: 'auto' as Engine, describe: 'engine for both sides: the interpreter, the WebAssembly compiler, or auto (wasm when it can); one object with --old-engine interp --new-engine wasm is an engine self-check', group: 'Program:' })
      .option('old-engine', { choices: ENGINES, describe: 'engine for the old side (default: --engine)', group: 'Program:' })
      .option('new-engine', { choices: ENGINES, describe: 'engine for the new side (default: --engine)', group: 'Program:' })
      .option('compare', { choices: ['verdict', 'bytes'] as const, default: 'bytes' as DiffCompare, describe: 'what makes a packet differ: the verdict only, or also the output bytes', group: 'Report:' })
      .option('first', { type: 'number', default: 10, describe: 'list the first N differing packets', group: 'Report:' })
      .option('json', { type: 'string', requiresArg: true, describe: 'also write the report as JSON to this file (- = stdout; the text report then goes to stderr)', group: 'Report:' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'pcapng of the differing packets: old and new exit record of each, same packet id (- = stdout)', group: 'Report:' })
      .option('count', { alias: 'c', type: 'number', requiresArg: true, describe: 'compare only the first N packets', group: 'Input:' })
      .option('max-caplen', { type: 'number', default: DEFAULTS.maxCaplen, describe: 'largest captured packet length accepted', group: 'Input:' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress on stderr (nor the text report when stdout carries the pcapng or JSON)' }) as unknown as Argv<DiffArgs>,
  handler: async (argv) => {
    try {
      await runDiff(argv);
    } catch (err) {
      // Like diff(1): trouble (an unreadable capture or object, a write error) exits 2, not 1.
      if (err instanceof XdpReplayError) throw new CommandExit(DiffExit.TROUBLE, err);
      throw err;
    }
  },
};
