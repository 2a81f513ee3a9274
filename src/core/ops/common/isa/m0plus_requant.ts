// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro's MultiplyByQuantizedMultiplier for Armv6-M, exact, as per-layer C with the multiplier
 * and shift baked in. Thumb-1 has no 32x32->64 multiply (libgcc's __aeabi_lmul costs ~50 cycles), so
 * SaturatingRoundingDoublingHighMul(x, m) = floor((x m + 2^30) / 2^31) is built from 32-bit products:
 *
 * - m = 2^p: floor((x + 2^(30-p)) / 2^(31-p)), one add and one shift.
 * - |x| <= X known at compile time (the accumulator bound): m sheds its trailing zeros (m = m' 2^z:
 *   floor((x m' + 2^(B-1)) / 2^B), B = 31 - z; written below for z = 0), then is cut into k-bit pieces
 *   p_i (m = sum p_i 2^(k i), 0 <= p_i < 2^k) with X 2^k < 2^31. From the lowest piece up s_i = x p_i + floor(s_(i-1)
 *   / 2^k), so x m = s_top 2^K + L with K = k (n - 1) and 0 <= L < 2^K; |s_i| <= X (2^k - 1) + X stays
 *   within int32. Then floor((s_top 2^K + L + 2^30) / 2^31) = floor((s_top + 2^(30-K)) / 2^(31-K)) since
 *   L / 2^K < 1 cannot carry past an integer numerator. Zero pieces cost nothing (pure shifts).
 * - otherwise common/isa/m0plus_rq.h's tf_m0_srdhm (four 16x16 products, any x).
 *
 * The rounding right shift is tf_m0_rshift; the saturation is dropped where the bound keeps the result
 * inside the type.
 */
import type { RequantFnOptions } from './rv32_rq.ts';

/** A block comment wrapped at 100 columns. */
function cComment(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length + 1 > 96) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return `/* ${lines.join('\n * ')} */\n`;
}

/** an int32 as a C literal */
function lit(v: number): string {
  return v === -(2 ** 31) ? '(-2147483647 - 1)' : String(v);
}

export interface M0Requant {
  /** C statements computing int32 `q` from int32 `acc` */
  body: string;
  /** largest |q| (before the saturation), or Infinity */
  qBound: number;
  /** what the constants of `body` are and the bound that makes it exact, for a comment in the C */
  why: string;
}

/**
 * Exact piece plan for |x| <= X, or undefined when none fits (X too large). The multiplier's trailing
 * zeros come off first: m = m' 2^z gives floor((x m' + 2^(B-1)) / 2^B) with B = 31 - z, so fewer pieces.
 */
export function piecePlan(m: number, X: number): { k: number; pieces: number[]; K: number; B: number } | undefined {
  if (!(X >= 1) || X >= 2 ** 30 || !(m >= 1)) return undefined;
  let B = 31;
  while (m % 2 === 0 && B > 1) {
    m /= 2;
    B--;
  }
  // the largest k with X 2^k <= 2^31 - 1
  let k = 0;
  while (X * 2 ** (k + 1) <= 2 ** 31 - 1) k++;
  if (k < 1) return undefined;
  k = Math.min(k, B);
  const n = Math.ceil(B / k);
  const pieces: number[] = [];
  for (let i = 0; i < n; i++) pieces.push(Math.floor(m / 2 ** (k * i)) % 2 ** k);
  const K = k * (n - 1);
  // the top piece holds m's top bit (m < 2^B, n k >= B > K): never zero
  const top = pieces[n - 1]!;
  if (top === 0 || K > B - 1) return undefined;
  // |s_top| <= X p_top + X, plus the rounding constant
  if (X * top + X + 2 ** (B - 1 - K) > 2 ** 31 - 1) return undefined;
  return { k, pieces, K, B };
}

/** The top piece sum s_top the C computes (checked against int32 at every step), for the tests. */
export function pieceTop(x: number, plan: { k: number; pieces: number[] }): number {
  let s: number | undefined;
  for (const p of plan.pieces) {
    s = s === undefined ? x * p : x * p + Math.floor(s / 2 ** plan.k);
    if (Math.abs(s) > 2 ** 31 - 1) throw new Error('piece sum overflows int32');
  }
  return s!;
}

/** What piecePlan's C computes, for the tests: floor((x m + 2^30) / 2^31) in exact integers. */
export function pieceSrdhm(x: number, plan: { k: number; pieces: number[]; K: number; B: number }): number {
  const v = pieceTop(x, plan) + 2 ** (plan.B - 1 - plan.K);
  if (Math.abs(v) > 2 ** 31 - 1) throw new Error('rounding sum overflows int32');
  return Math.floor(v / 2 ** (plan.B - plan.K));
}

/**
 * C statements computing `q` = MultiplyByQuantizedMultiplier(acc, multiplier, shift), for |acc| <=
 * `bound` (Infinity: any int32), multiplier >= 0.
 */
export function m0Requant(multiplier: number, shift: number, bound: number): M0Requant {
  const left = Math.max(shift, 0);
  const right = Math.max(-shift, 0);
  const X = bound * 2 ** left;
  const lines: string[] = [];
  const x = left > 0 ? `(int32_t)((uint32_t)acc << ${left})` : 'acc';
  // |srdhm| <= X m / 2^31 + 1
  let high = X < 2 ** 31 ? Math.floor((X * multiplier) / 2 ** 31) + 1 : 2 ** 31;
  const pow = Number.isInteger(Math.log2(multiplier)) ? Math.log2(multiplier) : -1;
  const head = `MultiplyByQuantizedMultiplier(acc, ${multiplier}, ${shift})${left > 0 ? ` (x = acc << ${left})` : ' (x = acc)'} for |x| <= ${X < 2 ** 31 ? X : 'any int32'}`;
  let why: string;
  if (multiplier === 0) {
    lines.push('int32_t q = 0;');
    high = 0;
    why = `${head}: the multiplier is 0`;
  } else if (pow >= 0 && pow <= 30 && X + 2 ** (30 - pow) <= 2 ** 31 - 1) {
    lines.push(`int32_t q = (${x} + ${2 ** (30 - pow)}) >> ${31 - pow};`);
    why =
      `${head}: the multiplier is 2^${pow}, so SRDHM = floor((x + 2^${30 - pow}) / 2^${31 - pow}), the sum within int32 as |x| + 2^${30 - pow} < 2^31` +
      (right > 0 ? `; then TFLite's rounding right shift by ${right} (tf_m0_rshift)` : '');
  } else {
    const plan = X < 2 ** 31 ? piecePlan(multiplier, X) : undefined;
    if (plan) {
      const a0 = plan.B - plan.K;
      why =
        `${head}: SRDHM = floor((x m + 2^30) / 2^31) with m = ${multiplier} = m' 2^${31 - plan.B} (m' < 2^${plan.B}) cut into ${plan.k}-bit pieces ` +
        `[${plan.pieces.join(', ')}] (lowest first); s_i = x p_i + floor(s_(i-1) / 2^${plan.k}) leaves x m' = s 2^${plan.K} + L with 0 <= L < 2^${plan.K}, ` +
        `so SRDHM = floor((s + 2^${a0 - 1}) / 2^${a0}) exactly (L / 2^${plan.K} < 1 cannot carry past an integer numerator); ` +
        `|s| <= ${X} * ${plan.pieces[plan.pieces.length - 1]!} + ${X} < 2^31 keeps every step within int32` +
        (right > 0 ? `; then TFLite's rounding right shift by ${right}` : '');
      lines.push(`const int32_t x = ${x};`);
      // tf_m0_k hides the piece from gcc, which would otherwise expand x * p into a chain of shifts and
      // adds (MULS is one cycle on the RP2040)
      const times = (p: number) => (p === 1 ? 'x' : `x * tf_m0_k(${p})`);
      let first = true;
      let pendingShift = 0;
      for (const p of plan.pieces) {
        if (first) {
          if (p === 0) continue;
          lines.push(`int32_t s = ${times(p)};`);
          first = false;
          continue;
        }
        pendingShift += plan.k;
        if (p === 0) continue; // the top piece never is (piecePlan)
        lines.push(`s = ${times(p)} + (s >> ${pendingShift});`);
        pendingShift = 0;
      }
      const a = plan.B - plan.K;
      const sBound = X * plan.pieces[plan.pieces.length - 1]! + X;
      if (right > 0 && sBound + 2 ** (a - 1) + 2 ** (a + right - 1) + 2 ** a <= 2 ** 31 - 1) {
        // Both roundings in one: q1 = floor((s + 2^(a-1)) / 2^a), then the rounding right shift
        // floor((q1 - [q1 < 0] + 2^(r-1)) / 2^r) = floor((s + 2^(a-1) + 2^(a+r-1) - [s + 2^(a-1) < 0] 2^a)
        // / 2^(a+r)) (nested floors of integers). [s < 0] may stand for [s + 2^(a-1) < 0]: where they
        // differ, -2^(a-1) <= s < 0, the numerator lies in [0, 2^(a+r)) either way (r >= 1): 0.
        lines.push(`int32_t q = (s + (int32_t)((uint32_t)(s >> 31) << ${a}) + ${2 ** (a - 1) + 2 ** (a + right - 1)}) >> ${a + right};`);
        const qBound = high >= 2 ** 31 ? Infinity : Math.floor(high / 2 ** right) + 1;
        why +=
          ` folded into the same shift: q = floor((s + 2^${a - 1} + 2^${a + right - 1} - [s < 0] 2^${a}) / 2^${a + right}) (nested floors; [s < 0] may stand ` +
          `for [s + 2^${a - 1} < 0], both giving 0 where they differ), the numerator within int32 as |s| + 2^${a - 1} + 2^${a + right - 1} + 2^${a} < 2^31`;
        return { body: lines.join('\n  '), qBound, why };
      }
      lines.push(`int32_t q = (s + ${2 ** (a - 1)}) >> ${a};`);
    } else {
      lines.push(`int32_t q = tf_m0_srdhm(${x}, tf_m0_k(${lit(multiplier)}));`);
      why =
        `${head}: no piece plan fits the bound, so m0plus_rq.h's tf_m0_srdhm (four 16x16 products, exact for any x)` +
        (right > 0 ? `, then TFLite's rounding right shift by ${right}` : '');
    }
  }
  if (right > 0) lines.push(`q = tf_m0_rshift(q, ${right});`);
  const qBound = high >= 2 ** 31 ? Infinity : Math.floor(high / 2 ** right) + 1;
  return { body: lines.join('\n  '), qBound, why };
}

/**
 * A static inline C function `int32_t name(int32_t acc)`: the requantization, + zp, clamped to [lo, hi]
 * unless the bound keeps it there.
 */
export function m0RequantFn({ name, multiplier, shift, bound, zp, lo, hi }: RequantFnOptions): string {
  const rq = m0Requant(multiplier, shift, bound);
  const lines = [rq.body];
  if (zp !== 0) lines.push(`q += ${zp};`);
  const inside = rq.qBound !== Infinity && zp - rq.qBound >= lo && zp + rq.qBound <= hi;
  if (!inside) {
    if (lo === -32768 && hi === 32767) lines.push('q = tf_m0_sat16(q);');
    else lines.push(`if (q < ${lo}) q = ${lo};`, `if (q > ${hi}) q = ${hi};`);
  }
  const clamp = inside ? `; |q| <= ${rq.qBound}, so q + ${zp} stays in [${lo}, ${hi}] without a clamp` : '';
  const comment = cComment(`${rq.why}${clamp}.`);
  return `${comment}static inline int32_t ${name}(int32_t acc) {\n  ${lines.join('\n  ')}\n  return q;\n}\n`;
}
