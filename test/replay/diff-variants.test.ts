import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../lib/object/load-object.ts';

const variantsDir = fileURLToPath(new URL('../../samples/variants/', import.meta.url));
const VARIANTS = ['firewall_v2', 'l4lb_v2'];

test('each variant has its source and a committed object that loads with the same program and maps as its original', (t) => {
  for (const name of VARIANTS) {
    t.true(existsSync(`${variantsDir}${name}.c`), `${name}.c`);
    const variant = loadObject(readFileSync(`${variantsDir}${name}.bpf.o`), { name });
    const base = name.replace(/_v2$/, '');
    const original = loadObject(readFileSync(fileURLToPath(new URL(`../../samples/${base}.bpf.o`, import.meta.url))), { name: base });
    t.deepEqual(variant.programs.map((p) => p.name), original.programs.map((p) => p.name), name);
    t.deepEqual(variant.maps.map((m) => m.name).filter((n) => !n.includes('.')), original.maps.map((m) => m.name).filter((n) => !n.includes('.')), name);
  }
});

test('the committed variant objects are what samples/variants/Makefile builds today', (t) => {
  for (const tool of ['clang', 'make']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0 || !existsSync('/usr/include/bpf/bpf_helpers.h')) {
      t.log(`SKIPPED (cannot rebuild variants: ${tool} or libbpf headers missing)`);
      t.pass();
      return;
    }
  }
  const result = spawnSync('make', ['-s', '--no-print-directory', '-C', variantsDir, 'check'], { encoding: 'utf8' });
  t.is(result.status, 0, `${result.stdout}${result.stderr}`);
  t.is(result.stdout.split('\n').filter((l) => l.startsWith('up to date:')).length, VARIANTS.length, result.stdout);
});
