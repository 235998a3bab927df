/** Decimal digits of non-negative integers written as ASCII into a byte buffer (pcapng comments). */

/** Digits of a non-negative integer below 2^53 in decimal. */
export function decimalDigits(v: number): number {
  if (v < 10) return 1;
  if (v < 100) return 2;
  if (v < 1000) return 3;
  let n = 4;
  for (let limit = 10000; v >= limit; limit *= 10) n++;
  return n;
}

/** Write the `digits` (= decimalDigits(value)) decimal digits of `value` at buf[at…]; returns digits. */
export function writeDecimal(buf: Uint8Array, at: number, value: number, digits: number): number {
  if (value < 0x80000000) {
    // int32 division: TurboFan turns /10 into a multiply.
    for (let k = at + digits - 1, v = value | 0; k >= at; k--) { const q = (v / 10) | 0; buf[k] = 48 + v - q * 10; v = q; }
  } else {
    for (let k = at + digits - 1, v = value; k >= at; k--) { buf[k] = 48 + (v % 10); v = Math.floor(v / 10); }
  }
  return digits;
}
