/** Timestamp units → bigint nanoseconds (pcapng §4.2 if_tsresol / if_tsoffset). */

/** ns = ticks * mul / div + offsetNs. */
export interface TimeScale {
  readonly mul: bigint;
  readonly div: bigint;
  readonly offsetNs: bigint;
}

const NS_PER_S = 1_000_000_000n;

/** The scale for a raw if_tsresol byte (MSB 0: 10^-n s, MSB 1: 2^-n s) and an if_tsoffset in seconds. */
export function timeScale(tsresol: number, tsoffsetS = 0n): TimeScale {
  const n = tsresol & 0x7f;
  const offsetNs = tsoffsetS * NS_PER_S;
  if (tsresol & 0x80) return { mul: NS_PER_S, div: 1n << BigInt(n), offsetNs };
  if (n <= 9) return { mul: 10n ** BigInt(9 - n), div: 1n, offsetNs };
  return { mul: 1n, div: 10n ** BigInt(n - 9), offsetNs };
}

/** A 64-bit tick count given as high and low u32 halves, scaled to ns. */
export function ticksToNs(scale: TimeScale, hi: number, lo: number): bigint {
  // hi * 2^32 + lo is exact in a double while hi < 2^21; one BigInt() instead of a shift and an or.
  const ticks = hi < 0x200000 ? BigInt(hi * 4294967296 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
  const scaled = scale.div === 1n ? ticks * scale.mul : (ticks * scale.mul) / scale.div;
  return scale.offsetNs === 0n ? scaled : scaled + scale.offsetNs;
}
