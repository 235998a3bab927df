import { encodeInstructions, type Instruction } from '../../lib/isa/instruction.ts';

/**
 * The smallest relocatable BPF ELF object libbpf loads: one program section `xdp` holding
 * `insns` with one global function symbol, and a GPL `license` section. No maps, no BTF
 * (test helper for the random-program fuzzer).
 */
export function instructionsToElf(insns: readonly Instruction[], name: string): Uint8Array {
  const code = encodeInstructions(insns);
  const license = new TextEncoder().encode('GPL\0');
  const shstr = '\0xdp\0license\0.symtab\0.strtab\0.shstrtab\0';
  const str = `\0${name}\0`;
  const names = { xdp: 1, license: 5, symtab: 13, strtab: 21, shstrtab: 29 };
  const sym = new Uint8Array(48);
  const sv = new DataView(sym.buffer);
  sv.setUint32(24, 1, true); // st_name
  sv.setUint8(28, 0x12); // STB_GLOBAL | STT_FUNC
  sv.setUint16(30, 1, true); // st_shndx = section 1 (xdp)
  sv.setBigUint64(40, BigInt(code.length), true); // st_size
  const blobs = [code, license, sym, new TextEncoder().encode(str), new TextEncoder().encode(shstr)];
  let off = 64;
  const offsets: number[] = [];
  for (const b of blobs) {
    off = (off + 7) & ~7;
    offsets.push(off);
    off += b.length;
  }
  const shoff = (off + 7) & ~7;
  const out = new Uint8Array(shoff + 6 * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 247, true); // EM_BPF
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 6, true);
  v.setUint16(62, 5, true); // shstrndx
  blobs.forEach((b, i) => out.set(b, offsets[i]!));
  const sh = (i: number, nameOff: number, type: number, flags: number, at: number, size: number, link: number, info: number, align: number, entsize: number): void => {
    const b = shoff + i * 64;
    v.setUint32(b, nameOff, true);
    v.setUint32(b + 4, type, true);
    v.setBigUint64(b + 8, BigInt(flags), true);
    v.setBigUint64(b + 24, BigInt(at), true);
    v.setBigUint64(b + 32, BigInt(size), true);
    v.setUint32(b + 40, link, true);
    v.setUint32(b + 44, info, true);
    v.setBigUint64(b + 48, BigInt(align), true);
    v.setBigUint64(b + 56, BigInt(entsize), true);
  };
  sh(1, names.xdp, 1, 0x6, offsets[0]!, code.length, 0, 0, 8, 0);
  sh(2, names.license, 1, 0x3, offsets[1]!, license.length, 0, 0, 1, 0);
  sh(3, names.symtab, 2, 0, offsets[2]!, sym.length, 4, 1, 8, 24);
  sh(4, names.strtab, 3, 0, offsets[3]!, blobs[3]!.length, 0, 0, 1, 0);
  sh(5, names.shstrtab, 3, 0, offsets[4]!, blobs[4]!.length, 0, 0, 1, 0);
  return out;
}
