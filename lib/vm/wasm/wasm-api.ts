/**
 * The few WebAssembly JS-API types we use. The project compiles with `lib: ES2022` and
 * @types/node 20, neither of which declares the `WebAssembly` global, so it is typed here once
 * and reached through `globalThis` (no global augmentation leaks into other files).
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type WasmModule = object;

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

export const Wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const WASM_PAGE_SIZE = 65536;

/**
 * A non-growable memory of `byteLength` bytes (a multiple of 64 KiB). Fixed size means its
 * `buffer` never detaches, so typed arrays over it stay valid for the VM's lifetime.
 */
export function newFixedMemory(byteLength: number): WasmMemory {
  const pages = Math.ceil(byteLength / WASM_PAGE_SIZE);
  return new Wasm.Memory({ initial: pages, maximum: pages });
}
