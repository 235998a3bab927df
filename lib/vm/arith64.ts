/**
 * 64-bit arithmetic on registers held as two Int32Arrays (`L` = low 32 bits, `H` = high 32
 * bits), so the interpreter's hot path never allocates a BigInt. Each helper writes its result
 * into L[d], H[d]. Division and modulo (rare in XDP code) go through BigInt. Addition,
 * subtraction and the compares are written out in the interpreter's loop.
 */

/** Low 64 bits of the product, from 16-bit limbs (all partial products stay below 2^53). */
export function mul64(L: Int32Array, H: Int32Array, d: number, bLo: number, bHi: number): void {
  const aLo = L[d]!, aHi = H[d]!;
  const a0 = aLo & 0xffff, a1 = aLo >>> 16, b0 = bLo & 0xffff, b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + Math.floor(p00 / 65536);
  const lo = ((mid & 0xffff) * 65536 + (p00 & 0xffff)) | 0;
  const carry = Math.floor(mid / 65536) + a1 * b1;
  const hi = (carry + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
  L[d] = lo;
  H[d] = hi;
}

export function lsh64(L: Int32Array, H: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    H[d] = (H[d]! << n) | (L[d]! >>> (32 - n));
    L[d] = L[d]! << n;
  } else {
    H[d] = L[d]! << (n - 32);
    L[d] = 0;
  }
}

export function rsh64(L: Int32Array, H: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    L[d] = (L[d]! >>> n) | (H[d]! << (32 - n));
    H[d] = H[d]! >>> n;
  } else {
    L[d] = H[d]! >>> (n - 32);
    H[d] = 0;
  }
}

export function arsh64(L: Int32Array, H: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    L[d] = (L[d]! >>> n) | (H[d]! << (32 - n));
    H[d] = H[d]! >> n;
  } else {
    L[d] = H[d]! >> (n - 32);
    H[d] = H[d]! >> 31;
  }
}

export function toU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function toI64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, toU64(lo, hi));
}

export function setBig(L: Int32Array, H: Int32Array, d: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  L[d] = Number(u & 0xffffffffn) | 0;
  H[d] = Number(u >> 32n) | 0;
}

/** div/mod/sdiv/smod 64 with the BPF rules: x/0 = 0, x%0 = x, INT64_MIN/-1 wraps, INT64_MIN%-1 = 0. */
export function divmod64(L: Int32Array, H: Int32Array, d: number, bLo: number, bHi: number, mod: boolean, signed: boolean): void {
  if (bLo === 0 && bHi === 0) {
    if (!mod) L[d] = H[d] = 0;
    return;
  }
  if (signed) {
    const a = toI64(L[d]!, H[d]!), b = toI64(bLo, bHi);
    setBig(L, H, d, mod ? a % b : a / b);
  } else {
    if (H[d] === 0 && bHi === 0) {
      const a = L[d]! >>> 0, b = bLo >>> 0;
      L[d] = (mod ? a % b : Math.floor(a / b)) | 0;
      return;
    }
    const a = toU64(L[d]!, H[d]!), b = toU64(bLo, bHi);
    setBig(L, H, d, mod ? a % b : a / b);
  }
}

export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
