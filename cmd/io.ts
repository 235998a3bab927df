/**
 * Process I/O for commands: inputs as AsyncIterable<Uint8Array> (a path or - for stdin) and an
 * output sink (a path or - for stdout) that respects backpressure and treats EPIPE (the reader
 * went away: `| head`, tcpdump quitting) as a quiet stop, not an error.
 */
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readSync, writeSync, type ReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { XdpReplayError } from '../lib/errors.ts';
import type { Sink } from '../lib/capture/pcapng-writer.ts';
import { DEFAULTS } from './options.ts';

export interface Input {
  readonly name: string;
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Stop reading (SIGINT); a pending read ends the iteration. */
  close(): void;
}

/**
 * Open a path or `-` (stdin). Open errors are XdpReplayError 'INPUT' (exit 1).
 * Regular files are read with synchronous reads of `chunkBytes` (no thread-pool round trip per
 * chunk; the page cache makes them cheap), yielding to the event loop between chunks so that
 * signals are seen. Pipes, FIFOs and stdin are read as streams.
 */
export function openInput(path: string, chunkBytes: number = DEFAULTS.readChunkBytes): Input {
  if (path === '-') return streamInput(process.stdin, 'stdin');
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new XdpReplayError('INPUT', `cannot open "${path}": ${(err as Error).message}`, { cause: err });
  }
  if (!fstatSync(fd).isFile()) return streamInput(createReadStream('', { fd, highWaterMark: chunkBytes }) as ReadStream, path);
  let closed = false;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        if (closed) return;
        const chunk = new Uint8Array(chunkBytes);
        let n: number;
        try {
          n = readSync(fd, chunk, 0, chunkBytes, null);
        } catch (err) {
          throw new XdpReplayError('INPUT', `cannot read "${path}": ${(err as Error).message}`, { cause: err });
        }
        if (n === 0) return;
        yield n === chunkBytes ? chunk : chunk.subarray(0, n);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      closeSync(fd);
    }
  }
  return { name: path, chunks: chunks(), close: () => (closed = true) };
}

function streamInput(stream: NodeJS.ReadableStream & { destroy(): void }, name: string): Input {
  let closed = false;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of stream) yield chunk as Uint8Array;
    } catch (err) {
      if (closed) return;
      throw new XdpReplayError('INPUT', `cannot read "${name}": ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    name,
    chunks: chunks(),
    close: () => {
      closed = true;
      stream.destroy();
    },
  };
}

export interface OutputSink extends Sink {
  /** True once the output cannot take more bytes (EPIPE or another write error). */
  readonly closed: boolean;
  /** True when the consumer closed the pipe: stop quietly, exit 0. */
  readonly brokenPipe: boolean;
  /** Wait until every byte given to write() has reached the OS; close files. Throws on write errors other than EPIPE. */
  end(): Promise<void>;
}

/**
 * Open a path or `-` (stdout) for writing. Open errors are XdpReplayError 'OUTPUT' (exit 1).
 * Regular files get synchronous writes (the writer hands over large batches); stdout and
 * other non-files get a stream sink with backpressure and quiet EPIPE.
 */
export function openOutput(path: string): OutputSink {
  if (path === '-') return new StreamSink(process.stdout, 'stdout', false);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    throw new XdpReplayError('OUTPUT', `cannot open "${path}" for writing: ${(err as Error).message}`, { cause: err });
  }
  if (fstatSync(fd).isFile()) return new FileSink(fd, path);
  return new StreamSink(createWriteStream('', { fd }), path, true);
}

class FileSink implements OutputSink {
  readonly consumesSynchronously = true;
  closed = false;
  readonly brokenPipe = false;
  private error: Error | undefined;

  constructor(private readonly fd: number, private readonly name: string) {}

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
    } catch (err) {
      this.error = err as Error;
      this.closed = true;
    }
  }

  end(): Promise<void> {
    try {
      closeSync(this.fd);
    } catch (err) {
      this.error ??= err as Error;
    }
    this.closed = true;
    if (this.error !== undefined) {
      return Promise.reject(new XdpReplayError('OUTPUT', `cannot write "${this.name}": ${this.error.message}`, { cause: this.error }));
    }
    return Promise.resolve();
  }
}

class StreamSink implements OutputSink {
  closed = false;
  brokenPipe = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly stream: Writable, private readonly name: string, private readonly owned: boolean) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.brokenPipe = true;
      else this.error ??= err;
      this.closed = true;
      this.wake?.();
    });
  }

  write(bytes: Uint8Array): void | Promise<void> {
    if (this.closed) return undefined;
    if (this.stream.write(bytes)) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.wake = undefined;
        this.stream.off('drain', done);
        resolve();
      };
      this.wake = done;
      this.stream.once('drain', done);
    });
  }

  async end(): Promise<void> {
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.owned) this.stream.end(() => resolve());
        else this.stream.write(new Uint8Array(0), () => resolve());
      });
      this.wake = undefined;
    }
    if (this.error !== undefined) {
      throw new XdpReplayError('OUTPUT', `cannot write "${this.name}": ${this.error.message}`, { cause: this.error });
    }
  }
}

/** Exit status after SIGINT, as shells report a SIGINT death. */
export const EXIT_INTERRUPTED = 130;

export interface Interrupt {
  /** True once SIGINT arrived (the input was closed; finish writing whole blocks, then exit 130). */
  readonly interrupted: boolean;
  /** Stop listening (call in `finally`). */
  dispose(): void;
}

/**
 * On the first SIGINT, close `input` so the read loop ends after the current chunk; the command
 * then flushes complete blocks and sets exit status EXIT_INTERRUPTED. A second SIGINT kills.
 */
export function closeInputOnSigint(input: Input): Interrupt {
  const state = { interrupted: false, dispose: (): void => void process.off('SIGINT', onSigint) };
  function onSigint(): void {
    state.interrupted = true;
    input.close();
  }
  process.once('SIGINT', onSigint);
  return state;
}
