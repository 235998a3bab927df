/**
 * pcapng option walking (§3.5): code u16, length u16, value padded to 4 bytes, ended by
 * opt_endofopt or the end of the block. Values are decoded by the block parsers.
 */
import { FormatError } from '../errors.ts';
import { CaptureErrorCode, OptionCode } from './constants.ts';
import type { Verdict } from './types.ts';

const utf8 = new TextDecoder('utf-8');

/** Where the option bytes of one block are: `bytes[from, to)`, `base` = absolute offset of bytes[0]. */
export interface OptionArea {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly littleEndian: boolean;
  readonly base: number;
}

/**
 * Call `visit(code, valueIndex, length)` for every option in `[from, to)` except opt_endofopt.
 * Throws BAD_OPTION when an option runs past `to`.
 */
export function walkOptions(area: OptionArea, from: number, to: number, visit: (code: number, at: number, length: number) => void): void {
  const { view, littleEndian } = area;
  let i = from;
  while (i + 4 <= to) {
    const code = view.getUint16(i, littleEndian);
    const length = view.getUint16(i + 2, littleEndian);
    if (code === OptionCode.ENDOFOPT) return;
    const end = i + 4 + length;
    if (end > to) {
      throw new FormatError('pcapng', CaptureErrorCode.BAD_OPTION, area.base + i,
        `option ${code} of length ${length} runs past the end of its block: expected at most ${to - i - 4} value bytes, found ${length}`);
    }
    visit(code, i + 4, length);
    i = end + ((4 - (length & 3)) & 3);
  }
}

/** A UTF-8 string option value; trailing NULs (written by some tools) are dropped. */
export function optionString(area: OptionArea, at: number, length: number): string {
  let end = at + length;
  while (end > at && area.bytes[end - 1] === 0) end--;
  return utf8.decode(area.bytes.subarray(at, end));
}

export function optionU32(area: OptionArea, code: number, at: number, length: number): number {
  expectLength(area, code, at, length, 4);
  return area.view.getUint32(at, area.littleEndian);
}

export function optionU64(area: OptionArea, code: number, at: number, length: number): bigint {
  expectLength(area, code, at, length, 8);
  return area.view.getBigUint64(at, area.littleEndian);
}

export function optionI64(area: OptionArea, code: number, at: number, length: number): bigint {
  expectLength(area, code, at, length, 8);
  return area.view.getBigInt64(at, area.littleEndian);
}

export function optionU8(area: OptionArea, code: number, at: number, length: number): number {
  expectLength(area, code, at, length, 1);
  return area.bytes[at]!;
}

/** epb_verdict: type byte, then type-specific data (u64 action for eBPF TC/XDP). */
export function optionVerdict(area: OptionArea, code: number, at: number, length: number): Verdict {
  if (length < 1) expectLength(area, code, at, length, 1);
  const type = area.bytes[at]!;
  const data = area.bytes.slice(at + 1, at + length);
  const action = (type === 1 || type === 2) && length === 9 ? area.view.getBigUint64(at + 1, area.littleEndian) : undefined;
  return { type, data, action };
}

function expectLength(area: OptionArea, code: number, at: number, length: number, want: number): void {
  if (length !== want) {
    throw new FormatError('pcapng', CaptureErrorCode.BAD_OPTION, area.base + at - 4,
      `option ${code}: expected a value of ${want} bytes, found ${length}`);
  }
}
