import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError, XdpReplayError } from '../lib/errors.ts';
import { seedMaps } from '../lib/state/map-state.ts';
import { loadObject } from '../lib/object/load-object.ts';
import { loadXdpProgram, type XdpLoadOptions, type XdpProgram } from '../lib/xdp/xdp-program.ts';

export interface LoadedProgram {
  program: XdpProgram;
  path: string;
  sha256: string;
  /** Object name the way libbpf derives it (basename without .o / .bpf.o). */
  objectName: string;
}

/** Read an object file and load one of its XDP programs. Read errors are XdpReplayError (exit 1). */
export function loadProgramFile(path: string, options: XdpLoadOptions = {}): LoadedProgram {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new XdpReplayError('INPUT', `cannot read "${path}": ${(err as Error).message}`, { cause: err });
  }
  const objectName = basename(path).replace(/(\.bpf)?\.o$/, '');
  const program = loadXdpProgram(loadObject(bytes, { name: objectName }), options);
  return { program, path, objectName, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** `--maps-in FILE`: seed the program's maps from map-state JSON (design.md "Map state JSON"). */
export function seedMapsFromFile(program: XdpProgram, file: string): number {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--maps-in: cannot read "${file}": ${(err as Error).message}`);
  }
  return seedMaps(program, json, file);
}
