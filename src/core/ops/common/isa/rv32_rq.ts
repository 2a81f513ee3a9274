// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro's MultiplyByQuantizedMultiplier as per-layer RV32IMC C, exact, the multiplier and
 * shift baked in. SRDHM(x, m) = floor((x m + 2^30) / 2^31) for m >= 0 (TFLite's nudge and truncating
 * division give this floor on both signs; it saturates only for m = INT32_MIN) = floor((x M + 2^31) /
 * 2^32) with M = 2m < 2^32 unsigned: the high word of the signed x unsigned product (MULHSU) plus the
 * low word's top bit (rv32.h's tf_rv32_srdhm2: MUL, MULHSU, SRLI, ADD). A power-of-two
 * multiplier 2^p needs no product: floor((x + 2^(30-p)) / 2^(31-p)) where the bound keeps the sum in
 * int32. The left shift wraps exactly as tf_mbqm's; TFLite's rounding right shift by r (round half
 * away from zero) is floor((q + 2^(r-1) - [q < 0]) / 2^r), written with the 2^(r-1) inside the shift
 * where the bound on |q| would let the sum overflow.
 */

export interface Rv32Requant {
  /** C statements computing int32 `q` from int32 `acc` */
  body: string;
  /** largest |q| (before the zero point and saturation), or Infinity */
  qBound: number;
}

/** `q` = MultiplyByQuantizedMultiplier(acc, multiplier, shift) for |acc| <= bound (Infinity: any int32). */
export function rv32Requant(multiplier: number, shift: number, bound: number): Rv32Requant {
  if (!(multiplier >= 0 && multiplier < 2 ** 31)) return { body: `int32_t q = tf_mbqm(acc, ${multiplier}, ${shift});`, qBound: Infinity };
  const left = Math.max(shift, 0);
  const right = Math.max(-shift, 0);
  const X = Math.min(bound * 2 ** left, 2 ** 31);
  const x = left > 0 ? `(int32_t)((uint32_t)acc << ${left})` : 'acc';
  const lines: string[] = [];
  const pow = Math.log2(multiplier);
  if (Number.isInteger(pow) && pow <= 30 && X + 2 ** (30 - pow) <= 2 ** 31 - 1) {
    lines.push(`int32_t q = (${x} + ${2 ** (30 - pow)}) >> ${31 - pow};`);
  } else {
    lines.push(`int32_t q = tf_rv32_srdhm2(${x}, ${2 * multiplier}u);`);
  }
  // |SRDHM| <= X m / 2^31 + 1 (and < 2^31 for any x since m < 2^31)
  const high = Math.min(Math.floor((X * multiplier) / 2 ** 31) + 1, 2 ** 31 - 1);
  if (right > 0) {
    if (high + 2 ** (right - 1) <= 2 ** 31 - 1) lines.push(`q = (q + ${2 ** (right - 1)} - (int32_t)((uint32_t)q >> 31)) >> ${right};`);
    else lines.push(`q = (((q + (q >> 31)) >> ${right - 1}) + 1) >> 1;`);
  }
  const qBound = high >= 2 ** 31 - 1 ? Infinity : Math.floor(high / 2 ** right) + 1;
  return { body: lines.join('\n  '), qBound };
}

/** What a family's requantization emitter (this file's, m0plus_requant.ts's) is asked for. */
export interface RequantFnOptions {
  /** the C function's name */
  name: string;
  multiplier: number;
  shift: number;
  /** the largest |acc| the function is called with */
  bound: number;
  /** the output zero point, and the clamp [lo, hi] */
  zp: number;
  lo: number;
  hi: number;
}

/** One family's exact requantization emitter: the C of a static inline function `int32_t name(int32_t acc)`. */
export type RequantFn = (options: RequantFnOptions) => string;

/**
 * A static inline C function `int32_t name(int32_t acc)`: the requantization for |acc| <= bound, + zp,
 * clamped to [lo, hi] unless the bound keeps it there.
 */
export function rv32RequantFn(options: RequantFnOptions): string {
  const { name, multiplier, shift, bound, zp, lo, hi } = options;
  const rq = rv32Requant(multiplier, shift, bound);
  const lines = [rq.body];
  if (zp !== 0) lines.push(`q += ${zp};`);
  const inside = rq.qBound !== Infinity && zp - rq.qBound >= lo && zp + rq.qBound <= hi;
  if (!inside) lines.push(`q = tf_clamp(q, ${lo}, ${hi});`);
  const why = `/* MultiplyByQuantizedMultiplier(acc, ${multiplier}, ${shift})${zp === 0 ? '' : ` + ${zp}`} for |acc| <= ${bound < 2 ** 31 ? bound : 'any int32'}${inside ? `: |q| <= ${rq.qBound}, no clamp` : ''} */\n`;
  return `${why}static inline int32_t ${name}(int32_t acc) {\n  ${lines.join('\n  ')}\n  return q;\n}\n`;
}
