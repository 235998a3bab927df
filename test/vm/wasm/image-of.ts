import { assembleText } from '../../../lib/isa/assemble-text.ts';
import type { ProgramImage } from '../../../lib/vm/verify.ts';

/**
 * The instruction fields of a ProgramImage (length, op, dst, src, off, imm) from assembled
 * text, for the compiler's analyses: no verifier and no prologue (r1 = ctx at pc 0).
 */
export function imageOf(text: string): ProgramImage {
  const insns = assembleText(text);
  return {
    length: insns.length,
    op: Uint8Array.from(insns, (i) => i.code), dst: Uint8Array.from(insns, (i) => i.dst), src: Uint8Array.from(insns, (i) => i.src),
    off: Int16Array.from(insns, (i) => i.off), imm: Int32Array.from(insns, (i) => i.imm),
  } as unknown as ProgramImage;
}
