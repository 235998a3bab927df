import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const samplesDir = fileURLToPath(new URL('../../samples/', import.meta.url));
const SAMPLES = ['firewall', 'ratelimit', 'l4lb', 'decap', 'tailcall', 'redirect', 'globals', 'subprog', 'printk'];

function missingToolchain(): string | undefined {
  for (const tool of ['clang', 'make']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} not found`;
  }
  if (!existsSync('/usr/include/bpf/bpf_helpers.h')) return 'libbpf headers (libbpf-dev) not found';
  return undefined;
}

test('every sample has its source and a committed object', (t) => {
  const files = new Set(readdirSync(samplesDir));
  for (const name of SAMPLES) {
    t.true(files.has(`${name}.c`), `${name}.c`);
    t.true(files.has(`${name}.bpf.o`), `${name}.bpf.o`);
  }
});

test('the committed sample objects are what the Makefile builds today', (t) => {
  const reason = missingToolchain();
  if (reason !== undefined) {
    t.log(`SKIPPED (cannot rebuild samples: ${reason})`);
    t.pass();
    return;
  }
  const result = spawnSync('make', ['-s', '--no-print-directory', '-C', samplesDir, 'check'], { encoding: 'utf8' });
  t.is(result.status, 0, `${result.stdout}${result.stderr}`);
  const upToDate = result.stdout.split('\n').filter((line) => line.startsWith('up to date:'));
  t.is(upToDate.length, SAMPLES.length, result.stdout);
});

test('each sample object is an ELF file for BPF', (t) => {
  for (const name of SAMPLES) {
    const head = readFileSync(`${samplesDir}${name}.bpf.o`);
    t.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], name);
    t.is(head.readUInt16LE(18), 247, `${name}: e_machine EM_BPF`);
  }
});
