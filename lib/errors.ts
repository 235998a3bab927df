/**
 * Typed errors. `lib/` throws only these for bad input; anything else escaping is a bug.
 * Faults of the program under test are *values* on the run result (see vm/fault.ts), not errors.
 */

export class XdpReplayError extends Error {
  /** Stable machine-readable code, e.g. 'TRUNCATED', 'BAD_MAGIC'. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export type InputFormat = 'pcap' | 'pcapng' | 'elf' | 'btf' | 'btf.ext' | 'json';

/** Bad bytes in an input file: says what, where (absolute byte offset) and expected vs found. */
export class FormatError extends XdpReplayError {
  readonly format: InputFormat;
  readonly byteOffset: number;

  constructor(format: InputFormat, code: string, byteOffset: number, detail: string, options?: { cause?: unknown }) {
    super(code, `${format}: byte ${byteOffset} (0x${byteOffset.toString(16)}): ${detail}`, options);
    this.format = format;
    this.byteOffset = byteOffset;
  }
}

/** A well-formed object that we cannot (yet) run, or a selection that does not exist. */
export class ObjectError extends XdpReplayError {
  readonly program: string | undefined;
  readonly section: string | undefined;

  constructor(code: string, message: string, where: { program?: string; section?: string } = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.program = where.program;
    this.section = where.section;
  }
}

/** A mistake in how the tool or API was called (bad option, bad spec). CLI exit status 2. */
export class UsageError extends XdpReplayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
}

/** Exhaustiveness check for `switch` over unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
