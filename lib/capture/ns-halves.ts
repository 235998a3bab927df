/**
 * A pcap timestamp (seconds + nanoseconds) as the two u32 halves of a 64-bit nanosecond count,
 * the form an EPB stores, computed exactly with doubles: no BigInt per packet.
 */

const TWO_32 = 4294967296;
const NS_PER_S = 1e9;

export class NsHalves {
  /** The halves of the last set() value. */
  high = 0;
  low = 0;
  /** The second whose nanosecond count secHigh:secLow holds (−1: none yet). */
  private lastSec = -1;
  private secHigh = 0;
  private secLow = 0;

  /** high:low = sec·10⁹ + ns, for sec < 2^32 and ns < 2^43 (a pcap fraction in µs or ns). */
  set(sec: number, ns: number): void {
    if (sec !== this.lastSec) this.second(sec);
    // sec·10⁹ + ns < 2^64; the low half plus ns (< 2^43) stays exact.
    const low = this.secLow + ns;
    const carry = Math.floor(low / TWO_32);
    this.high = this.secHigh + carry;
    this.low = low - carry * TWO_32;
  }

  /** secHigh:secLow = sec·10⁹ exactly: (sh·2^16 + sl)·10⁹ with every partial product below 2^53. */
  private second(sec: number): void {
    const a = (sec >>> 16) * NS_PER_S; // ·2^16 still to apply
    const aHigh = Math.floor(a / 65536);
    const c = (a - aHigh * 65536) * 65536 + (sec & 0xffff) * NS_PER_S;
    const cHigh = Math.floor(c / TWO_32);
    this.secHigh = aHigh + cHigh;
    this.secLow = c - cHigh * TWO_32;
    this.lastSec = sec;
  }
}
