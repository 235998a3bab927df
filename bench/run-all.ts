/**
 * Every benchmark in turn (`npm run bench`): capture I/O, replay, diff, the interpreter and the
 * engines. Each prints its own baseline and ratios; this only builds first and runs them one
 * after another (never in parallel: they time wall clock on a shared machine).
 *
 *   npm run bench [-- --count N]     (--count is passed to the capture, replay and diff benchmarks)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { arg, ROOT } from './lib.ts';

const count = arg('--count', 1_000_000);
const sized = ['--count', String(count)];
const runs: [string, string[]][] = [
  ['capture.ts', sized],
  ['replay.ts', sized],
  ['diff.ts', sized],
  ['vm.ts', []],
  ['engines.ts', []],
];

const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const [script, args] of runs) {
  process.stdout.write(`\n== bench/${script} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), ...args], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench/${script} exited with ${r.status ?? r.signal}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
