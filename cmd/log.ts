import { pino, type Logger } from 'pino';

/** Logs go to stderr (fd 2): stdout may carry pcapng. */
export function createLogger(level: string = process.env['XDPREPLAY_LOG'] ?? 'info'): Logger {
  return pino({ level, base: undefined, timestamp: false }, pino.destination({ fd: 2, sync: true }));
}

export type { Logger };
