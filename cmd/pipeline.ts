import { statSync } from 'node:fs';
import { closeInputOnSigint, openInput, openOutput, type OutputSink } from './io.ts';
import { Progress } from './progress.ts';

export interface PipelineIo {
  chunks: AsyncIterable<Uint8Array>;
  /** Undefined when the command writes no capture. */
  sink: OutputSink | undefined;
  /** Undefined unless stderr is a terminal and the input is a file. */
  progress: Progress | undefined;
  /** True once SIGINT arrived: stop between packets, leave whole blocks. */
  interrupted(): boolean;
}

export interface PipelineOutcome<T> {
  result: T;
  interrupted: boolean;
  brokenPipe: boolean;
}

/**
 * The I/O frame shared by the streaming commands (replay, diff): open the input (path or `-`)
 * and the output (path, `-`, or none), a progress line when it makes sense, SIGINT handling;
 * run `body`; then, whatever happened, flush and close the output so it stays a valid pcapng.
 * The first error (the body's, else one from closing the output) is rethrown.
 */
export async function runPipeline<T>(
  opts: { input: string; output: string | undefined; progress: boolean },
  body: (io: PipelineIo) => Promise<T>,
): Promise<PipelineOutcome<T>> {
  const sink = opts.output === undefined ? undefined : openOutput(opts.output);
  const input = openInput(opts.input);
  let size: number | undefined;
  try {
    size = opts.input === '-' ? undefined : statSync(opts.input).size;
  } catch {
    size = undefined;
  }
  const progress = opts.progress ? Progress.forInput(opts.input, size) : undefined;
  const interrupt = closeInputOnSigint(input);
  let failure: unknown;
  let result: T | undefined;
  try {
    result = await body({ chunks: input.chunks, sink, progress, interrupted: () => interrupt.interrupted });
  } catch (err) {
    failure = err;
  } finally {
    interrupt.dispose();
    progress?.done();
    if (sink !== undefined) {
      try {
        await sink.end();
      } catch (err) {
        failure ??= err;
      }
    }
  }
  if (failure !== undefined) throw failure;
  return { result: result as T, interrupted: interrupt.interrupted, brokenPipe: sink?.brokenPipe ?? false };
}
