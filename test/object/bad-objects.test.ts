import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FormatError, ObjectError, XdpReplayError } from '../../lib/errors.ts';
import { BtfKind } from '../../lib/object/btf.ts';
import { ElfFile, ShType } from '../../lib/object/elf.ts';
import { loadObject } from '../../lib/object/load-object.ts';

const good = new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/object/loader.bpf.o', import.meta.url))));
const elf = new ElfFile(good);
const sec = (name: string) => elf.sections.find((s) => s.name === name)!;
const sym = (name: string) => elf.symbols.find((s) => s.name === name)!;
const btf = loadObject(good).btf!;

const mutate = (f: (b: Uint8Array, v: DataView) => void): Uint8Array => {
  const b = good.slice();
  f(b, new DataView(b.buffer));
  return b;
};

interface Case {
  name: string;
  bytes: () => Uint8Array;
  error: typeof FormatError;
  code: string;
  byteOffset?: number;
  message?: RegExp;
}

const btfOff = sec('.BTF').offset;
const typedef = btf.types.find((t) => t.kind === BtfKind.TYPEDEF && t.name === '__u32')!;
const relXdp = elf.sections.find((s) => s.type === ShType.REL && s.name === '.relxdp')!;

const cases: Case[] = [
  { name: 'truncated header', bytes: () => good.slice(0, 40), error: FormatError, code: 'TRUNCATED', byteOffset: 40 },
  { name: 'not ELF', bytes: () => mutate((b) => (b[1] = 0x58)), error: FormatError, code: 'BAD_MAGIC', byteOffset: 0 },
  { name: 'ELF32', bytes: () => mutate((b) => (b[4] = 1)), error: FormatError, code: 'BAD_CLASS', byteOffset: 4 },
  { name: 'big-endian', bytes: () => mutate((b) => (b[5] = 2)), error: FormatError, code: 'BIG_ENDIAN', byteOffset: 5, message: /big-endian BPF objects are not supported/ },
  { name: 'not EM_BPF', bytes: () => mutate((_b, v) => v.setUint16(18, 62, true)), error: FormatError, code: 'BAD_MACHINE', byteOffset: 18, message: /expected e_machine EM_BPF \(247\), found 62/ },
  { name: 'section header table out of file', bytes: () => mutate((_b, v) => v.setBigUint64(40, BigInt(good.length - 10), true)), error: FormatError, code: 'OUT_OF_BOUNDS' },
  {
    name: 'section out of file',
    bytes: () => mutate((_b, v) => v.setBigUint64(sec('xdp').headerOffset + 24, BigInt(good.length), true)),
    error: FormatError,
    code: 'SECTION_OUT_OF_FILE',
    byteOffset: sec('xdp').headerOffset + 24,
    message: /section "xdp"/,
  },
  {
    name: 'symbol out of section',
    bytes: () => mutate((_b, v) => v.setBigUint64(sym('xdp_main').fileOffset + 8, BigInt(sec('xdp').size), true)),
    error: FormatError,
    code: 'SYMBOL_OUT_OF_SECTION',
    byteOffset: sym('xdp_main').fileOffset + 8,
    message: /section "xdp": symbol "xdp_main"/,
  },
  {
    name: 'relocation to a missing symbol',
    bytes: () => mutate((_b, v) => v.setUint32(relXdp.offset + 12, 9999, true)),
    error: FormatError,
    code: 'BAD_RELOCATION_SYMBOL',
    byteOffset: relXdp.offset + 12,
    message: /section "\.relxdp": relocation 0 refers to symbol 9999/,
  },
  { name: 'bad BTF magic', bytes: () => mutate((b) => (b[btfOff] = 0)), error: FormatError, code: 'BAD_MAGIC', byteOffset: btfOff, message: /section "\.BTF": expected magic 0xeb9f/ },
  { name: 'bad BTF lengths', bytes: () => mutate((_b, v) => v.setUint32(btfOff + 12, 0x7fffffff, true)), error: FormatError, code: 'BAD_LENGTHS', byteOffset: btfOff + 8 },
  { name: 'BTF type loop', bytes: () => mutate((_b, v) => v.setUint32(typedef.fileOffset + 8, typedef.id, true)), error: FormatError, code: 'TYPE_LOOP', byteOffset: typedef.fileOffset },
  { name: 'BTF type id out of range', bytes: () => mutate((_b, v) => v.setUint32(typedef.fileOffset + 8, 100000, true)), error: FormatError, code: 'BAD_TYPE_ID', byteOffset: typedef.fileOffset },
];

test('the unmutated object loads', (t) => {
  t.is(loadObject(good).programs.length, 4);
});

for (const c of cases) {
  test(`a ${c.name} is a typed error with code ${c.code} and its byte offset`, (t) => {
    const err = t.throws(() => loadObject(c.bytes()), { instanceOf: c.error });
    t.is(err.code, c.code, err.message);
    if (c.byteOffset !== undefined) t.is((err as FormatError).byteOffset, c.byteOffset, err.message);
    if (c.message) t.regex(err.message, c.message);
  });
}

test('an extern (.kconfig) reference is refused naming the symbol', (t) => {
  // Point the first xdp relocation at an undefined symbol: symbol 0 is the null (UNDEF) symbol.
  const b = mutate((_b, v) => v.setUint32(relXdp.offset + 12, 0, true));
  t.throws(() => loadObject(b), { instanceOf: ObjectError, message: /extern symbol/ });
});

/** mulberry32: small seeded PRNG so the fuzz run is the same every time. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('a seeded mutation fuzz loop only ever returns a spec or throws XdpReplayError', (t) => {
  const rnd = prng(0x5eed);
  const bases = [good, new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/object/legacy.bpf.o', import.meta.url))))];
  // Bias mutations towards structure: ELF header, section headers, symbols, relocations, BTF.
  const hot = (b: Uint8Array): [number, number][] => {
    const e = new ElfFile(b);
    const shoff = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(40, true));
    const regions: [number, number][] = [[0, 64], [shoff, e.sections.length * 64]];
    for (const s of e.sections) if (s.type === ShType.SYMTAB || s.type === ShType.REL || s.name === '.BTF' || s.name === '.BTF.ext' || s.name === '.maps') regions.push([s.offset, s.size]);
    return regions;
  };
  const regions = bases.map(hot);
  let specs = 0;
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) {
    const k = Math.floor(rnd() * bases.length);
    const b = bases[k]!.slice();
    const n = 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < n; j++) {
      const [start, len] = rnd() < 0.8 ? regions[k]![Math.floor(rnd() * regions[k]!.length)]! : [0, b.length];
      const at = start + Math.floor(rnd() * len);
      const r = rnd();
      if (r < 0.5) b[at] = Math.floor(rnd() * 256);
      else if (r < 0.7) b[at] = b[at]! ^ (1 << Math.floor(rnd() * 8));
      else if (r < 0.85) b[at] = 0xff;
      else b[at] = 0;
    }
    const input = rnd() < 0.05 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
    try {
      loadObject(input);
      specs++;
    } catch (err) {
      if (!(err instanceof XdpReplayError)) {
        t.fail(`iteration ${i}: untyped ${(err as Error)?.stack ?? String(err)}`);
        return;
      }
      errors++;
    }
  }
  t.log(`${specs} specs, ${errors} typed errors in ${(performance.now() - t0).toFixed(0)} ms`);
  t.is(specs + errors, 2000);
});
