import { ByteReader } from '../util/bytes.ts';
import { FormatError } from '../errors.ts';
import { Op } from './opcode.ts';

/**
 * One decoded instruction slot (RFC 9669 §3):
 *
 *   | opcode:8 | src:4 | dst:4 | offset:16 | imm:32 |     (little-endian: dst is the low nibble)
 *
 * Programs are arrays indexed by **slot** (`pc`), like the kernel's instruction index: an
 * `lddw` occupies two slots. Its first slot carries the whole 64-bit constant in `imm64`;
 * its second slot is kept as decoded (opcode 0) so that jump offsets and line-info indices
 * keep meaning what they mean in the kernel.
 */
export interface Instruction {
  /** Full 8-bit opcode. */
  code: number;
  /** Destination register 0..15 (valid programs use 0..10). */
  dst: number;
  /** Source register or pseudo source (lddw, call). */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
  /** For lddw (first slot): `imm` of this slot | `imm` of the next slot << 32, unsigned. 0n otherwise. */
  imm64: bigint;
}

export const INSN_SIZE = 8;

/** Decode one slot at `pos` (no lddw pairing). */
export function decodeSlot(r: ByteReader): Instruction {
  const code = r.u8();
  const regs = r.u8();
  const off = (r.u16() << 16) >> 16;
  const imm = r.i32();
  return { code, dst: regs & 0x0f, src: regs >> 4, off, imm, imm64: 0n };
}

/**
 * Decode a little-endian instruction stream into slots. `base` is the absolute file offset of
 * `bytes[0]` for error messages. A length that is not a multiple of 8 or an lddw cut in half is
 * a FormatError; semantic validation (jumps, registers, known opcodes) is the verifier's job.
 */
export function decodeInstructions(bytes: Uint8Array, base = 0): Instruction[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new FormatError('elf', 'BAD_INSN_STREAM', base, `instruction bytes ${bytes.length} is not a multiple of 8`);
  }
  const r = new ByteReader(bytes, { littleEndian: true, base });
  const out: Instruction[] = [];
  while (r.remaining > 0) {
    const insn = decodeSlot(r);
    if (insn.code === Op.LDDW) {
      if (r.remaining < INSN_SIZE) {
        throw new FormatError('elf', 'BAD_INSN_STREAM', r.absolute - INSN_SIZE, `lddw at insn ${out.length} has no second slot`);
      }
      const hi = decodeSlot(r);
      insn.imm64 = (BigInt(hi.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      out.push(insn, hi);
    } else {
      out.push(insn);
    }
  }
  return out;
}

/** Encode slots back to bytes (lddw high slot's imm is taken from `imm64`). */
export function encodeInstructions(insns: readonly Instruction[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const v = new DataView(out.buffer);
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const at = i * INSN_SIZE;
    v.setUint8(at, insn.code);
    v.setUint8(at + 1, ((insn.src & 0x0f) << 4) | (insn.dst & 0x0f));
    v.setInt16(at + 2, insn.off, true);
    v.setInt32(at + 4, insn.imm, true);
    if (insn.code === Op.LDDW && i + 1 < insns.length) {
      v.setInt32(at + 4, Number(BigInt.asIntN(32, insn.imm64)), true);
      const hi = insns[i + 1]!;
      const hiAt = at + INSN_SIZE;
      v.setUint8(hiAt, hi.code);
      v.setUint8(hiAt + 1, ((hi.src & 0x0f) << 4) | (hi.dst & 0x0f));
      v.setInt16(hiAt + 2, hi.off, true);
      v.setInt32(hiAt + 4, Number(BigInt.asIntN(32, insn.imm64 >> 32n)), true);
      i++;
    }
  }
  return out;
}
