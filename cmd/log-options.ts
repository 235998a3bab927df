import type { Argv } from 'yargs';

/** The logging options of the streaming commands (no pino here: a command definition loads this at startup). */

export type LogFormat = 'json' | 'pretty';

export interface LogArgs {
  logLevel: string;
  logFormat: LogFormat | undefined;
}

/** `--log-level`, `--log-format`: shared by the streaming commands. */
export function logOptions<T>(y: Argv<T>): Argv<T & LogArgs> {
  return y
    .option('log-level', { type: 'string', default: 'info', describe: 'log level for stderr (trace, debug, info, warn, error, silent)', group: 'Logging:' })
    .option('log-format', { choices: ['json', 'pretty'] as const, describe: 'log lines as JSON (pino) or text (default: text on a terminal, JSON otherwise)', group: 'Logging:' }) as unknown as Argv<T & LogArgs>;
}
