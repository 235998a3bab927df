import { UsageError, XdpReplayError } from '../lib/errors.ts';

/** Exit codes: 0 ok, 1 bad input / differences, 2 usage error or trouble, 3 bug. */
export const ExitCode = { OK: 0, INPUT: 1, USAGE: 2, BUG: 3 } as const;

/**
 * Wraps an error for a command whose trouble exit code differs from the default mapping
 * (diff exits 2 for unreadable inputs, like diff(1), where other commands exit 1).
 */
export class CommandExit extends Error {
  constructor(readonly exitCode: number, readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.name = 'CommandExit';
  }
}

/** Map an error escaping a command to an exit code and what to print on stderr. */
export function describeError(err: unknown): { exitCode: number; text: string } {
  if (err instanceof CommandExit) return { ...describeError(err.error), exitCode: err.exitCode };
  if (err instanceof UsageError) return { exitCode: ExitCode.USAGE, text: `xdpreplay: ${err.message}` };
  if (err instanceof XdpReplayError) return { exitCode: ExitCode.INPUT, text: `xdpreplay: ${err.message}` };
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { exitCode: ExitCode.BUG, text: `xdpreplay: internal error (please report):\n${stack}` };
}
