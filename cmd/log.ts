import { pino, type Logger } from 'pino';
import type { LogFormat } from './log-options.ts';

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** pino JSON line → `WARN  message  key=value …` for people reading a terminal. */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, msg, ...rest } = rec;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [`${(LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}`, ...fields].join('  ');
}

/**
 * Logs go to stderr (fd 2): stdout may carry pcapng. Pretty by default on a terminal, JSON lines
 * otherwise. `level` must be one of pino's (LazyLog, which commands use, checks it first).
 */
export function createLogger(
  level: string = process.env['XDPREPLAY_LOG'] ?? 'info',
  format: LogFormat = process.stderr.isTTY ? 'pretty' : 'json',
): Logger {
  const options = { level, base: undefined, timestamp: false };
  if (format === 'json') return pino(options, pino.destination({ fd: 2, sync: true }));
  return pino(options, { write: (line: string) => void process.stderr.write(`${prettyLine(line.trimEnd())}\n`) });
}

export type { Logger };
