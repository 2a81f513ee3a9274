// SPDX-License-Identifier: Apache-2.0
/**
 * Distances between float32 values in ULPs (units in the last place), on their bits: the number of
 * float32 values from one to the other. The bit patterns are mapped onto one ordered integer line
 * (negative values mirrored below zero), so +0 and -0 are 0 apart, the largest finite float is 1 from
 * infinity, and the distance across zero counts the subnormals on both sides. Two NaNs are 0 apart
 * (their payloads and signs differ between C libraries and FPUs); a NaN and a number are infinitely far.
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function bitsOf(x: number): number {
  F32[0] = x;
  return U32[0]!;
}

const isNaNBits = (u: number): boolean => (u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0;

/** The position of a float32 bit pattern on the ordered line (-0 and +0 both at 0). */
function ordered(u: number): number {
  return u & 0x80000000 ? -(u & 0x7fffffff) : u >>> 0;
}

/** ULP distance between two float32 bit patterns (uint32). */
export function ulpDistanceBits(a: number, b: number): number {
  const na = isNaNBits(a >>> 0);
  const nb = isNaNBits(b >>> 0);
  if (na || nb) return na && nb ? 0 : Infinity;
  return Math.abs(ordered(a >>> 0) - ordered(b >>> 0));
}

/**
 * ULP distance with a floor: where both values are below `floor` in magnitude, the distance counts
 * in ULPs of `floor` (|a - b| / ulp(floor), rounded up), else in their own ULPs. An error stated
 * relative to max(|y|, floor) (LOG_SOFTMAX's, whose outputs near 0 are differences of nearly equal
 * values) is then a bound in ULPs like any other. `floor` 0: the plain distance.
 */
export function ulpDistanceFloored(aBits: number, bBits: number, floor: number): number {
  const d = ulpDistanceBits(aBits, bBits);
  if (floor <= 0 || d === 0 || !Number.isFinite(d)) return d;
  const a = fromBits(aBits);
  const b = fromBits(bBits);
  if (Math.abs(a) >= floor || Math.abs(b) >= floor) return d;
  const ulpOfFloor = 2 ** (Math.floor(Math.log2(floor)) - 23);
  return Math.ceil(Math.abs(a - b) / ulpOfFloor);
}

function fromBits(u: number): number {
  U32[0] = u >>> 0;
  return F32[0]!;
}

/** ULP distance between two numbers, each rounded to float32 first. */
export function ulpDistance(a: number, b: number): number {
  return ulpDistanceBits(bitsOf(a), bitsOf(b));
}

/** The largest ULP distance between two float32 arrays of one length, and where it is. */
export function maxUlpDistance(a: Float32Array, b: Float32Array, floor = 0): { ulps: number; index: number } {
  if (a.length !== b.length) throw new Error(`maxUlpDistance: ${a.length} values against ${b.length}`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let ulps = 0;
  let index = -1;
  for (let i = 0; i < a.length; i++) {
    const d = ulpDistanceFloored(ua[i]!, ub[i]!, floor);
    if (d > ulps) {
      ulps = d;
      index = i;
    }
  }
  return { ulps, index };
}

/** Float32 bytes (little-endian, as tensors are stored) viewed as floats. */
export function floatsOfBytes(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.length - (bytes.length % 4));
  copy.set(bytes.subarray(0, copy.length));
  return new Float32Array(copy.buffer);
}
