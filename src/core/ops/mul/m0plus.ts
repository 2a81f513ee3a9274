// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's Armv6-M variant (Cortex-M0/M0+, the RP2040): Thumb-1 has no 32x32->64 multiply, and the
 * portable kernel's int64 SRDHM becomes a libgcc __aeabi_lmul call. The product x of two
 * offset int8 values is at most 255 * 256 in magnitude, so SRDHM(x << left, m) = floor((x * m' +
 * 2^30) / 2^31) (m' = m * 2^left) splits exactly into three 32-bit products, taking m' 8, 8 and
 * the remaining bits at a time; the layer's bounds on |x| prove every partial sum fits int32 (else
 * the portable kernel runs). The formula is also checked against the reference on all 65536 input
 * pairs when the layer is compiled.
 */
import type { KernelVariant } from '../op.ts';
import { binaryEmitView } from '../common/families/elementwise.ts';
import { inPlaceOverlap, zeroPointsView } from '../common/families/binary_elementwise.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import type { MulParams } from './index.ts';
import { maxAbsOffset } from './product_outputs.ts';

const TWO_31 = 2 ** 31;

export interface MulSplit {
  /** m' = mh * 2^16 + mlh * 2^8 + mll */
  mh: number;
  mlh: number;
  mll: number;
  left: number;
  right: number;
  xMax: number;
}

/** The largest |q + offset| over int8 q. */

/** What the C computes, in exact integer steps (every intermediate below 2^31 by the bounds). */
function splitOutput(p: MulParams, s: MulSplit, x: number): number {
  const u0 = x * s.mll + 2 ** 30;
  const u1 = x * s.mlh + Math.floor(u0 / 256);
  const h = Math.floor((x * s.mh + Math.floor(u1 / 256)) / 32768);
  const v = s.right > 0 ? Math.floor((Math.floor((h + (h < 0 ? -1 : 0)) / 2 ** (s.right - 1)) + 1 + 2 * p.outputZeroPoint) / 2) : h + p.outputZeroPoint;
  return clamp(v, p.actMin, p.actMax);
}

export function planMulSplit(p: MulParams): MulSplit | undefined {
  const left = Math.max(p.shift, 0);
  const right = Math.max(-p.shift, 0);
  if (right > 31 || p.multiplier < 0) return undefined;
  const m = p.multiplier * 2 ** left;
  const mh = Math.floor(m / 65536);
  const mlh = Math.floor(m / 256) % 256;
  const mll = m % 256;
  const xMax = maxAbsOffset(p.input1Offset) * maxAbsOffset(p.input2Offset);
  // TFLite's x << left must not wrap, and u2 = x * mh + (u1 >> 8) must fit (u0, u1 are far smaller)
  if (xMax * 2 ** left >= TWO_31) return undefined;
  const u1Max = xMax * 255 + (xMax * 255 + 2 ** 30) / 256 + 1;
  if (xMax * mh + u1Max / 256 + 1 >= TWO_31 || mh >= TWO_31) return undefined;
  const split: MulSplit = { mh, mlh, mll, left, right, xMax };
  for (let q1 = -128; q1 < 128; q1++) {
    for (let q2 = -128; q2 < 128; q2++) {
      const x = (q1 + p.input1Offset) * (q2 + p.input2Offset);
      const expected = clamp(mbqm(x, p.multiplier, p.shift) + p.outputZeroPoint, p.actMin, p.actMax);
      if (splitOutput(p, split, x) !== expected) throw new Error(`MUL Armv6-M split: ${x} gives ${splitOutput(p, split, x)}, not ${expected}`);
    }
  }
  return split;
}

export const mulM0plus: KernelVariant<MulParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: (p) => planMulSplit(p) !== undefined,
  // each element is read before it is written, as in the portable kernel
  overlap: inPlaceOverlap,
  emit(p, ctx) {
    const s = planMulSplit(p)!;
    return ctx.render('mul_m0plus.c.hbs', {
      ...binaryEmitView(p, ctx),
      ...zeroPointsView(p),
      multiplier: p.multiplier,
      shift: p.shift,
      ...s,
      // a zero byte of the multiplier costs no product
      u0: s.mll === 0 ? '(1 << 30)' : `x * tf_m0_k(${s.mll}) + (1 << 30)`,
      u1: s.mlh === 0 ? '(u0 >> 8)' : `x * tf_m0_k(${s.mlh}) + (u0 >> 8)`,
      rightLess1: s.right - 1,
      roundAndZeroPoint: 1 + 2 * p.outputZeroPoint,
      actMin: p.actMin,
      actMax: p.actMax,
    });
  },
};
