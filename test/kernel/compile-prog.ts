import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROGS_DIR = fileURLToPath(new URL('./progs/', import.meta.url));
export const CLANG = process.env['CLANG'] ?? 'clang-14';

/** Compile test/kernel/progs/<name>.c at `-mcpu=<cpu>` once per source hash; returns the .o path. */
export function compileProg(name: string, cpu: 'v1' | 'v2' | 'v3' | 'v4'): string {
  const src = join(PROGS_DIR, `${name}.c`);
  const hash = createHash('sha256').update(readFileSync(src)).update(readFileSync(join(PROGS_DIR, 'progs.h'))).update(CLANG).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `xdpreplay-progs-${hash}`);
  const out = join(dir, `${name}-${cpu}.o`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const partial = `${out}.${process.pid}.tmp`;
  execFileSync(CLANG, ['-O2', '-g', '-Wall', '-target', 'bpf', `-mcpu=${cpu}`, `-I/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '-c', src, '-o', partial], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(partial, out);
  return out;
}

export function clangAvailable(): boolean {
  try {
    execFileSync(CLANG, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
