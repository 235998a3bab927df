import { signedLeb32, signedLeb64, unsignedLeb } from './leb128.ts';
import { BLOCK_EMPTY, ExternKind, Op, Section, type ValType } from './opcodes.ts';

/**
 * A small WebAssembly binary encoder (the shape of V8's wasm-module-builder, without its
 * 53-bit constant limit): function types, function imports, one imported memory, functions
 * with typed locals, exports and a `name` section (function and local names, so traps and
 * profiles name what they hit). Sections are written into a temporary array, then
 * length-prefixed (spec §5.5).
 */

export interface FuncType { params: readonly ValType[]; results: readonly ValType[] }

/** Byte sink for one function body, one method per instruction we use. */
export class Code {
  readonly bytes: number[] = [];

  op(code: number): this { this.bytes.push(code); return this; }
  u32(v: number): this { unsignedLeb(v, this.bytes); return this; }
  i32Const(v: number): this { this.bytes.push(Op.i32_const); signedLeb32(v, this.bytes); return this; }
  i64Const(v: bigint): this { this.bytes.push(Op.i64_const); signedLeb64(v, this.bytes); return this; }
  get(local: number): this { this.bytes.push(Op.local_get); unsignedLeb(local, this.bytes); return this; }
  set(local: number): this { this.bytes.push(Op.local_set); unsignedLeb(local, this.bytes); return this; }
  tee(local: number): this { this.bytes.push(Op.local_tee); unsignedLeb(local, this.bytes); return this; }
  block(): this { this.bytes.push(Op.block, BLOCK_EMPTY); return this; }
  loop(): this { this.bytes.push(Op.loop, BLOCK_EMPTY); return this; }
  if(): this { this.bytes.push(Op.if, BLOCK_EMPTY); return this; }
  else(): this { this.bytes.push(Op.else); return this; }
  end(): this { this.bytes.push(Op.end); return this; }
  br(depth: number): this { this.bytes.push(Op.br); unsignedLeb(depth, this.bytes); return this; }
  brIf(depth: number): this { this.bytes.push(Op.br_if); unsignedLeb(depth, this.bytes); return this; }
  brTable(depths: readonly number[], fallback: number): this {
    this.bytes.push(Op.br_table);
    unsignedLeb(depths.length, this.bytes);
    for (const d of depths) unsignedLeb(d, this.bytes);
    unsignedLeb(fallback, this.bytes);
    return this;
  }
  call(func: number): this { this.bytes.push(Op.call); unsignedLeb(func, this.bytes); return this; }
  /** Memory access with alignment hint 0 (bytes may be unaligned) and a constant offset. */
  mem(op: number, offset = 0): this { this.bytes.push(op, 0); unsignedLeb(offset, this.bytes); return this; }
}

interface FuncDef { name: string; type: number; locals: ValType[]; localNames: string[]; code: Code; exported: boolean }

export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly imports: { module: string; name: string; type: number }[] = [];
  private readonly funcs: FuncDef[] = [];
  private memoryImport: { module: string; name: string; pages: number } | undefined;

  /** Index of a function type, deduplicated. */
  type(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}->${results.join(',')}`;
    const i = this.types.findIndex((t) => `${t.params.join(',')}->${t.results.join(',')}` === key);
    if (i >= 0) return i;
    this.types.push({ params, results });
    return this.types.length - 1;
  }

  /** Import a function; imports must be added before any function is defined. Returns its index. */
  importFunc(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.funcs.length > 0) throw new Error('wasm builder: imports must precede function definitions');
    this.imports.push({ module, name, type: this.type(params, results) });
    return this.imports.length - 1;
  }

  importMemory(module: string, name: string, pages: number): void {
    this.memoryImport = { module, name, pages };
  }

  /** Declare a function; its index is fixed now, its body filled later through the returned Code. */
  func(name: string, params: readonly ValType[], results: readonly ValType[], options: { exported?: boolean; paramNames?: string[] } = {}): { index: number; code: Code; local(type: ValType, name: string): number } {
    const def: FuncDef = { name, type: this.type(params, results), locals: [], localNames: [...(options.paramNames ?? params.map((_, i) => `p${i}`))], code: new Code(), exported: options.exported ?? false };
    this.funcs.push(def);
    const index = this.imports.length + this.funcs.length - 1;
    const nParams = params.length;
    return {
      index,
      code: def.code,
      local: (type: ValType, localName: string): number => {
        def.locals.push(type);
        def.localNames.push(localName);
        return nParams + def.locals.length - 1;
      },
    };
  }

  /**
   * The module's bytes. Sections are kept as lists of byte arrays (a function's code is never
   * copied into an intermediate array) and copied once into the result: startup compiles every
   * program, and pushing each byte through three arrays cost ~18 ms on a 100 KB module.
   */
  finish(): Uint8Array {
    const parts: (readonly number[])[] = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]];
    const section = (id: number, body: readonly (readonly number[])[]): void => {
      const head = [id];
      unsignedLeb(byteLength(body), head);
      parts.push(head, ...body);
    };
    const name = (s: string, into: number[]): void => {
      const utf8 = new TextEncoder().encode(s);
      unsignedLeb(utf8.length, into);
      for (const b of utf8) into.push(b);
    };
    let b: number[] = [];
    unsignedLeb(this.types.length, b);
    for (const t of this.types) {
      b.push(0x60);
      unsignedLeb(t.params.length, b); b.push(...t.params);
      unsignedLeb(t.results.length, b); b.push(...t.results);
    }
    section(Section.type, [b]);

    b = [];
    unsignedLeb(this.imports.length + (this.memoryImport === undefined ? 0 : 1), b);
    for (const imp of this.imports) { name(imp.module, b); name(imp.name, b); b.push(ExternKind.func); unsignedLeb(imp.type, b); }
    if (this.memoryImport !== undefined) {
      const m = this.memoryImport;
      name(m.module, b); name(m.name, b); b.push(ExternKind.memory, 0x01); unsignedLeb(m.pages, b); unsignedLeb(m.pages, b);
    }
    section(Section.import, [b]);

    b = [];
    unsignedLeb(this.funcs.length, b);
    for (const f of this.funcs) unsignedLeb(f.type, b);
    section(Section.function, [b]);

    b = [];
    const exported = this.funcs.map((f, i) => [f, i] as const).filter(([f]) => f.exported);
    unsignedLeb(exported.length, b);
    for (const [f, i] of exported) { name(f.name, b); b.push(ExternKind.func); unsignedLeb(this.imports.length + i, b); }
    section(Section.export, [b]);

    const count: number[] = [];
    unsignedLeb(this.funcs.length, count);
    const code: (readonly number[])[] = [count];
    for (const f of this.funcs) {
      // Run-length encode the local declarations.
      const groups: [number, ValType][] = [];
      for (const t of f.locals) {
        const last = groups[groups.length - 1];
        if (last !== undefined && last[1] === t) last[0]++;
        else groups.push([1, t]);
      }
      const locals: number[] = [];
      unsignedLeb(groups.length, locals);
      for (const [n, t] of groups) { unsignedLeb(n, locals); locals.push(t); }
      const size: number[] = [];
      unsignedLeb(locals.length + f.code.bytes.length + 1, size);
      code.push(size, locals, f.code.bytes, END);
    }
    section(Section.code, code);

    // Custom "name" section: subsection 1 = function names, 2 = local names.
    b = [];
    name('name', b);
    const fnames: number[] = [];
    unsignedLeb(this.imports.length + this.funcs.length, fnames);
    this.imports.forEach((imp, i) => { unsignedLeb(i, fnames); name(`${imp.module}.${imp.name}`, fnames); });
    this.funcs.forEach((f, i) => { unsignedLeb(this.imports.length + i, fnames); name(f.name, fnames); });
    b.push(1); unsignedLeb(fnames.length, b);
    const lnames: number[] = [];
    unsignedLeb(this.funcs.length, lnames);
    this.funcs.forEach((f, i) => {
      unsignedLeb(this.imports.length + i, lnames);
      unsignedLeb(f.localNames.length, lnames);
      f.localNames.forEach((n, j) => { unsignedLeb(j, lnames); name(n, lnames); });
    });
    const lnamesHead = [2];
    unsignedLeb(lnames.length, lnamesHead);
    section(Section.custom, [b, fnames, lnamesHead, lnames]);

    const out = new Uint8Array(byteLength(parts));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

const END: readonly number[] = [Op.end];

function byteLength(parts: readonly (readonly number[])[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}
