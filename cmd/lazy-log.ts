import { UsageError } from '../lib/errors.ts';
import type { Logger } from './log.ts';
import type { LogFormat } from './log-options.ts';

/** pino's levels by severity (pino.levels.values), for checking --log-level without loading pino. */
const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * The commands' logger, loaded when first needed: importing pino costs ~25 ms at every start, and
 * a plain run logs nothing (or one warning at the end). The level is checked at once.
 */
export class LazyLog {
  private readonly level: string;
  private readonly format: LogFormat | undefined;
  private logger: Logger | undefined;

  constructor(level: string = process.env['XDPREPLAY_LOG'] ?? 'info', format?: LogFormat) {
    if (!Object.hasOwn(LEVELS, level)) {
      throw new UsageError(`--log-level: expected one of ${Object.keys(LEVELS).join(', ')}, found "${level}"`);
    }
    this.level = level;
    this.format = format;
  }

  /** Whether messages at `level` are written. */
  enabled(level: 'debug' | 'info' | 'warn'): boolean {
    return LEVELS[level]! >= LEVELS[this.level]!;
  }

  async get(): Promise<Logger> {
    this.logger ??= (await import('./log.ts')).createLogger(this.level, this.format);
    return this.logger;
  }

  /** The logger when debug messages are written, else undefined (pino stays unloaded). */
  async debug(): Promise<Logger | undefined> {
    return this.enabled('debug') ? this.get() : undefined;
  }
}
