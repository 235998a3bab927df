/** xdpreplay library: the public API. No process I/O here. */
export * from './errors.ts';
export * from './isa/instruction.ts';
export * from './isa/opcode.ts';
export type * from './object/types.ts';
export { MapType } from './object/types.ts';
export * from './capture/index.ts';
