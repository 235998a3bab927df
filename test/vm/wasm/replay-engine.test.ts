import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CLI = join(ROOT, 'cmd/xdpreplay.ts');

test('replay --engine interp and --engine wasm write the same pcapng and summary counts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-engine-'));
  try {
    const outputs = (['interp', 'wasm'] as const).map((engine) => {
      const out = join(dir, `${engine}.pcapng`), sum = join(dir, `${engine}.json`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'samples/captures/mixed.pcap', 'samples/l4lb.bpf.o', '--engine', engine, '-o', out, '--json-summary', sum, '-q'], { cwd: ROOT, encoding: 'utf8' });
      t.is(r.status, 0, r.stderr);
      const summary = JSON.parse(readFileSync(sum, 'utf8')) as Record<string, unknown>;
      delete summary['elapsedMs'];
      return { bytes: readFileSync(out), summary };
    });
    t.true(outputs[0]!.bytes.length > 0);
    t.true(outputs[0]!.bytes.equals(outputs[1]!.bytes));
    t.deepEqual(outputs[1]!.summary, outputs[0]!.summary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replay refuses an unknown engine name', (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'samples/captures/mixed.pcap', 'samples/l4lb.bpf.o', '--engine', 'jit', '-o', '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
  t.not(r.status, 0);
  t.regex(r.stderr, /engine/);
});
