import { UsageError, XdpReplayError } from '../lib/errors.ts';

/** Exit codes: 0 ok, 1 bad input / differences, 2 usage error or trouble, 3 bug. */
export const ExitCode = { OK: 0, INPUT: 1, USAGE: 2, BUG: 3 } as const;

/** Map an error escaping a command to an exit code and what to print on stderr. */
export function describeError(err: unknown): { exitCode: number; text: string } {
  if (err instanceof UsageError) return { exitCode: ExitCode.USAGE, text: `xdpreplay: ${err.message}` };
  if (err instanceof XdpReplayError) return { exitCode: ExitCode.INPUT, text: `xdpreplay: ${err.message}` };
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { exitCode: ExitCode.BUG, text: `xdpreplay: internal error (please report):\n${stack}` };
}
