#!/usr/bin/env node
// Runs ava with the TAP reporter, echoes its output, and ends with the plain line
// "N passed, N failed, N skipped" that CI reads. Exit status: ava's, or 1 if no test ran.
// Extra arguments go to ava (e.g. `npm test -- test/capture`).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const child = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const counts = { pass: 0, fail: 0, skip: 0, todo: 0 };
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  process.stdout.write(`${line}\n`);
  const m = /^# (pass|fail|skip|todo)\s+(\d+)/.exec(line);
  if (m) counts[m[1]] = Number(m[2]);
});
child.on('close', (code) => {
  process.stdout.write(`\n${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped\n`);
  if (counts.pass + counts.fail === 0) process.exit(1);
  process.exit(code ?? 1);
});
