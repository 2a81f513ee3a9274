// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's RV32IMC variant (the ESP32-C3): the portable kernel's 64-bit SRDHM and rounding shift cost
 * about 24 instructions an element. RV32M's MULH gives the high word of a 32x32 product in one
 * instruction, and the product p of two offset int8 values is at most 256 * 256 in magnitude, so:
 *
 * - fast stage: t = MULH(p << S, m) keeps S - left - 1 bits below TFLite's SRDHM result h; one
 *   rounding shift v = (t + R) >> E (E = S + e - left - 1, e TFLite's right shift) then stands for
 *   SRDHM's rounding and the right shift's. Double rounding and single rounding differ only near
 *   ties, so the stage (the largest S, R rounding ties up or down) is taken only when it equals
 *   MultiplyByQuantizedMultiplier on all 65536 input pairs of the layer, checked here at compile time;
 * - exact stage, otherwise: SRDHM(p << left, m) = floor((A m + 2^31) / 2^32) with A = p << (left + 1).
 *   With g >= 1 guard bits to spare (A << g still within int32) it is (MULH(A << g, m) + 2^(g-1)) >> g
 *   (adding an integer commutes with the floor); with none, MULH(A, m) plus bit 31 of the low word
 *   (the carry of adding 2^31). TFLite's rounding right shift then adds 2^(e-1), less 1 for negative
 *   h (ties away from zero), before the arithmetic shift; the sign term is left out when rounding
 *   ties up gives the same output for every input pair of the layer.
 *
 * - wide stage, when p << (left + 1) can leave int32 (a left shift on a product range the fast and exact
 *   stages cannot double): TFLite computes A = p << left in int32 (wrapping where it overflows, as the
 *   reference does) and SRDHM(A, m) = floor((A * 2m + 2^31) / 2^32), with 2m < 2^32 unsigned: MULHSU's
 *   high word plus the low word's top bit (tf_rv32_srdhm2), exact for every A. A left shift means no
 *   right shift (e = 0), so the zero point and clamps follow directly.
 *
 * The output zero point joins the rounding addend when that stays within int32; clamps the layer's
 * products cannot reach are left out.
 */
import type { KernelVariant } from '../op.ts';
import { binaryEmitView } from '../common/families/elementwise.ts';
import { inPlaceOverlap, zeroPointsView } from '../common/families/binary_elementwise.ts';
import { clamp, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import type { MulParams } from './index.ts';
import { outputsByProduct } from './product_outputs.ts';

const TWO_31 = 2 ** 31;

/** The largest |q + offset| over int8 q. */

export interface MulRv32Stage {
  exact: boolean;
  /** the wide stage: SRDHM(wrap32(p << s), m) by MULHSU (s = left, no right shift) */
  wide?: boolean;
  /** p << S into MULH (exact: S = left + 1 + guard) */
  s: number;
  /** exact: the guard bits SRDHM's rounding drops (0: the low word's carry instead) */
  guard: number;
  /** exact: subtract 1 for negative h before the last shift (ties away from zero) */
  signFix: boolean;
  /** the arithmetic right shift of the last step (fast: E; exact: e) */
  rsh: number;
  /** fast: the rounding addend R; exact: 2^(e-1) (the sign term subtracted in C) */
  rnd: number;
  /** whether the zero point is folded into the addend (rnd + zp << rsh fits int32) */
  zpFolded: boolean;
  clampLow: boolean;
  clampHigh: boolean;
}

const mulh = (a: number, m: number) => Number((BigInt(a) * BigInt(m)) >> 32n);

/** What the C computes before the clamp, exactly (BigInt products). */
function stageValue(p: MulParams, st: MulRv32Stage, product: number): number {
  if (st.wide) {
    const full = BigInt(wrapInt32(product * 2 ** st.s)) * BigInt(2 * p.multiplier);
    return Number(full >> 32n) + Number((BigInt.asUintN(32, full) >> 31n) & 1n) + p.outputZeroPoint;
  }
  const a = product * 2 ** st.s;
  if (!st.exact) return Math.floor((mulh(a, p.multiplier) + st.rnd) / 2 ** st.rsh) + p.outputZeroPoint;
  const full = BigInt(a) * BigInt(p.multiplier);
  const h =
    st.guard > 0
      ? Math.floor((Number(full >> 32n) + 2 ** (st.guard - 1)) / 2 ** st.guard)
      : Number(full >> 32n) + Number((BigInt.asUintN(32, full) >> 31n) & 1n);
  if (st.rsh === 0) return h + p.outputZeroPoint;
  return Math.floor((h + st.rnd - (st.signFix && h < 0 ? 1 : 0)) / 2 ** st.rsh) + p.outputZeroPoint;
}

export function planMulRv32(p: MulParams): MulRv32Stage | undefined {
  const left = Math.max(p.shift, 0);
  const e = Math.max(-p.shift, 0);
  const outputs = outputsByProduct(p) ?? (e === 0 ? outputsByProduct(p, null) : undefined);
  if (!outputs) return undefined;
  const { expected, xMax } = outputs;
  const finish = (st: Omit<MulRv32Stage, 'zpFolded' | 'clampLow' | 'clampHigh'>): MulRv32Stage | undefined => {
    const full: MulRv32Stage = { ...st, zpFolded: false, clampLow: true, clampHigh: true };
    let lo = Infinity;
    let hi = -Infinity;
    for (const [x, want] of expected) {
      const v = stageValue(p, full, x);
      if (clamp(v, p.actMin, p.actMax) !== want) return undefined;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    // |MULH result| < 2^30 (both factors below 2^31); the folded addend must keep the sum in int32
    const folded = Math.abs(st.rnd + p.outputZeroPoint * 2 ** st.rsh);
    return { ...full, zpFolded: folded + 2 ** 30 + 1 < TWO_31, clampLow: lo < p.actMin, clampHigh: hi > p.actMax };
  };
  if (xMax * 2 ** (left + 1) >= TWO_31) {
    const wide = finish({ exact: true, wide: true, s: left, guard: 0, signFix: false, rsh: 0, rnd: 0 });
    if (!wide) throw new Error(`MUL RV32: the wide stage disagrees with the reference (multiplier ${p.multiplier}, shift ${p.shift})`);
    // the zero point is added after the clamps (the C clamps h itself, which may be near 2^31)
    return { ...wide, zpFolded: false };
  }
  // fast: the most guard bits the product leaves, the last shift within 31
  let sMax = left + 1;
  while (xMax * 2 ** (sMax + 1) < TWO_31) sMax++;
  for (let s = Math.min(sMax, left + 1 + 31 - e); s >= left + 1; s--) {
    const rsh = s + e - left - 1;
    for (const rnd of rsh === 0 ? [0] : [2 ** (rsh - 1), 2 ** (rsh - 1) - 1]) {
      const st = finish({ exact: false, s, guard: 0, signFix: false, rsh, rnd });
      if (st) return st;
    }
    // fewer guard bits only lose precision: the widest failing means the rest fail as often
    break;
  }
  const guard = sMax > left + 1 ? 1 : 0;
  const exactStage = (signFix: boolean) => finish({ exact: true, s: left + 1 + guard, guard, signFix, rsh: e, rnd: e === 0 ? 0 : 2 ** (e - 1) });
  const exact = (e > 0 ? exactStage(false) : undefined) ?? exactStage(true);
  if (!exact) throw new Error(`MUL RV32: the exact stage disagrees with the reference (multiplier ${p.multiplier}, shift ${p.shift})`);
  return exact;
}

export const mulRv32: KernelVariant<MulParams> = {
  name: 'rv32',
  family: 'rv32',
  applies: (p) => planMulRv32(p) !== undefined,
  // each element is read before it is written, as in the portable kernel
  overlap: inPlaceOverlap,
  emit(p, ctx) {
    const st = planMulRv32(p)!;
    const zp = p.outputZeroPoint;
    const addend = st.zpFolded ? st.rnd + zp * 2 ** st.rsh : st.rnd;
    return ctx.render('mul_rv32.c.hbs', {
      ...binaryEmitView(p, ctx),
      ...zeroPointsView(p),
      multiplier: p.multiplier,
      shift: p.shift,
      ...st,
      addend,
      zpAfter: st.zpFolded || zp === 0 ? '' : zp > 0 ? `+ ${zp}` : `- ${-zp}`,
      // x * 2^s, not x << s: a left shift of a negative value is undefined in C
      scale: 2 ** st.s,
      guardRound: st.guard > 0 ? 2 ** (st.guard - 1) : 0,
      multiplier2: 2 * p.multiplier,
      wideLow: p.actMin - zp,
      wideHigh: p.actMax - zp,
      how: st.wide
        ? `SRDHM of p << ${st.s} (int32, as TFLite) by MULHSU`
        : st.exact
          ? 'exact SRDHM from MULH and the low word'
          : `one MULH with ${st.s - Math.max(p.shift, 0) - 1} guard bits, checked on every input pair`,
      actMin: p.actMin,
      actMax: p.actMax,
    });
  },
};
