import type { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';

let cached: string | undefined | null = null;

/**
 * Why the kernel oracle is unavailable here, or undefined when it is available
 * (root, bpftool on PATH, a working bpf() syscall and bpffs).
 */
export function kernelUnavailableReason(): string | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  if (process.getuid?.() !== 0) cached = 'not root';
  else {
    try {
      execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    } catch {
      cached = 'bpftool not found';
    }
  }
  return cached;
}

/**
 * Call at the top of a test that needs the kernel. Outside CI it skips with a visible reason;
 * with CI=true a missing kernel is a failure, never a silent skip.
 * Returns true when the test may proceed.
 */
export function requireKernel(t: ExecutionContext): boolean {
  const reason = kernelUnavailableReason();
  if (reason === undefined) return true;
  if (process.env['CI'] === 'true') {
    t.fail(`kernel oracle unavailable under CI=true: ${reason}`);
    return false;
  }
  t.log(`SKIPPED (kernel oracle unavailable: ${reason})`);
  t.pass();
  return false;
}
