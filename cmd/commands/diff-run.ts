import { writeFileSync } from 'node:fs';
import { UsageError, XdpReplayError } from '../../lib/errors.ts';
import { diff } from '../../lib/replay/diff.ts';
import { diffReportJson, formatDiffReport } from '../../lib/replay/diff-report.ts';
import { loadProgramFile, seedMapsFromFile, type LoadedProgram } from '../load-program.ts';
import { LazyLog } from '../lazy-log.ts';
import { checkIntegerOption, DEFAULTS } from '../options.ts';
import { version } from '../parser.ts';
import { runPipeline } from '../pipeline.ts';
import { DiffExit, type DiffArgs, type Engine } from './diff.ts';

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
  checkIntegerOption('count', args.count, 0);
  checkIntegerOption('first', args.first, 0);
  checkIntegerOption('limit-insns', args.limitInsns, 1);
  if (args.output === '-' && args.json === '-') throw new UsageError('-o - and --json - both want stdout; write one of them to a file');
  const log = new LazyLog(args.logLevel, args.logFormat);
  const debugLog = await log.debug();
  // One object on two engines (--old-engine interp --new-engine wasm) is the engine self-check.
  const oldP = load(args.old, args.oldProg ?? args.prog, args.oldEngine ?? args.engine, args);
  const newP = load(args.new, args.newProg ?? args.prog, args.newEngine ?? args.engine, args);
  debugLog?.debug({ old: oldP.program.engine, new: newP.program.engine }, 'engines');
  // Both sides are seeded before the first packet: --maps-in for both, --old/--new-maps-in per side.
  const oldSeed = args.oldMapsIn ?? args.mapsIn, newSeed = args.newMapsIn ?? args.mapsIn;
  if (oldSeed !== undefined) seedMapsFromFile(oldP.program, oldSeed);
  if (newSeed !== undefined) seedMapsFromFile(newP.program, newSeed);
  const [oldLabel, newLabel] = labels(oldP, newP);
  debugLog?.debug({ input: args.input, old: oldP.path, new: newP.path }, 'diff started');
  const { result: report, interrupted } = await runPipeline(
    { input: args.input, output: args.output, progress: !args.quiet },
    ({ chunks, sink, progress, interrupted: stopped }) =>
      diff(oldP.program, newP.program, chunks, sink, {
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
        ...(progress !== undefined ? { onBytes: (bytes: number, packets: number) => progress.update(bytes, packets) } : {}),
        stopped,
      }),
  );
  if (report.truncated > 0) (await log.get()).warn({ truncated: report.truncated }, `input ended inside a record: the truncated last packet was skipped, ${report.packetsIn} packets compared`);
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

