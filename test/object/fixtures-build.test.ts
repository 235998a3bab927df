import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/object/', import.meta.url)).replace(/\/$/, '');
const clang = process.env['CLANG'] ?? 'clang-14';
const hasClang = ((): boolean => {
  try {
    execFileSync(clang, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('the committed loader fixtures are what test/fixtures/object/Makefile builds', (t) => {
  if (!hasClang) {
    t.log(`SKIPPED (${clang} not found; the committed objects are used as they are)`);
    t.pass();
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'xdpreplay-fixtures-'));
  try {
    const arch = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
    for (const c of readdirSync(dir).filter((f) => f.endsWith('.c'))) {
      const obj = c.replace(/\.c$/, '.bpf.o');
      // Same flags as the Makefile; the prefix map makes the output independent of the checkout path.
      execFileSync(clang, ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpfel', '-mcpu=v3', `-I/usr/include/${arch}-linux-gnu`, `-fdebug-prefix-map=${dir}=.`, '-c', c, '-o', join(out, obj)], { cwd: dir });
      t.true(Buffer.compare(readFileSync(join(out, obj)), readFileSync(join(dir, obj))) === 0, `${obj} is up to date (run make -C test/fixtures/object)`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
