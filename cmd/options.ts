/**
 * Shared yargs option groups and the one DEFAULTS object. Commands compose the groups they
 * need (`countOption(outputOptions(inputOptions(y)))`); no defaults are written anywhere else.
 */
import type { Argv } from 'yargs';
import { DEFAULT_MAX_CAPLEN } from '../lib/capture/constants.ts';
import { UsageError } from '../lib/errors.ts';

export const DEFAULTS = {
  /** Largest captured length accepted from an input capture. */
  maxCaplen: DEFAULT_MAX_CAPLEN,
  /** Bytes per write to the output (whole pcapng blocks). */
  writeBatchBytes: 256 * 1024,
  /** Bytes per read from the input. */
  readChunkBytes: 1024 * 1024,
} as const;

export interface InputArgs {
  maxCaplen: number;
}

/** Options about reading captures. The input path itself is a positional of each command. */
export function inputOptions<T>(y: Argv<T>): Argv<T & InputArgs> {
  return y.option('max-caplen', {
    type: 'number',
    default: DEFAULTS.maxCaplen,
    describe: 'largest captured packet length accepted from the input',
    group: 'Input:',
  }) as unknown as Argv<T & InputArgs>;
}

export interface OutputArgs {
  output: string;
}

export function outputOptions<T>(y: Argv<T>): Argv<T & OutputArgs> {
  return y.option('output', {
    alias: 'o',
    type: 'string',
    demandOption: true,
    requiresArg: true,
    describe: 'pcapng file to write, or - for stdout',
    group: 'Output:',
  }) as unknown as Argv<T & OutputArgs>;
}

export interface CountArgs {
  count: number | undefined;
}

/** `-c N`: stop after N packets, like tcpdump. */
export function countOption<T>(y: Argv<T>): Argv<T & CountArgs> {
  return y.option('count', {
    alias: 'c',
    type: 'number',
    requiresArg: true,
    describe: 'stop after N packets (like tcpdump -c)',
    group: 'Input:',
  }) as unknown as Argv<T & CountArgs>;
}

/** A numeric option that must be an integer ≥ `min` when given; else a usage error naming it. */
export function checkIntegerOption(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new UsageError(`--${name} expects an integer ≥ ${min}, found ${v}`);
}
