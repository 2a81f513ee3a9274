// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's Arm DSP variant (Armv7E-M, Armv8-M Mainline): four elements per word. SXTAB16 adds the
 * input offsets to two int8 lanes at once, SMLABB/SMLATT (or SMLATB against a broadcast scalar)
 * give the products p, and since |p| <= 255 * 255 the requantization is one SMMLAR:
 * SRDHM(p << left, m) = floor((p * 2^(left+1) * m + 2^31) / 2^32), the high word SMMLAR rounds, with
 * the rounding term of the right shift (and the output zero point) as its addend; SSAT with a
 * shifted operand then shifts and saturates. The factor 2^(left+1) goes into one operand's lanes
 * (a broadcast scalar, or SADD16 doubling when left = 0) or onto the product.
 * TFLite rounds ties of negative values away from zero; the cheaper stages (ties up, ties down)
 * are taken only when they agree with MultiplyByQuantizedMultiplier on all 65536 input pairs of
 * the layer, checked here when it is compiled; otherwise the sign term [p < 0] is subtracted
 * (exact: for right shift e >= 1, h = SRDHM(..) is 0 or has p's sign, and h = 0 rounds alike).
 * The inner loop must step both inputs by 0 or 1 (any broadcast whose innermost dimension is
 * shared or repeated); other layers, and the rare quantizations no stage fits, keep the portable C.
 */
import type { KernelVariant } from '../op.ts';
import { broadcastCView } from '../common/families/elementwise.ts';
import { inPlaceOverlap } from '../common/families/binary_elementwise.ts';
import { clamp } from '../common/numerics/fixedpoint.ts';
import type { MulParams } from './index.ts';
import { outputsByProduct } from './product_outputs.ts';

const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;

export interface MulDspStage {
  /** p is scaled by 2^lsh1 (lsh1 = left + 1) before SMMLAR */
  lsh1: number;
  /** right shift after SMMLAR */
  rsh: number;
  rnd: number;
  signFix: boolean;
  zeroPointAfter: number;
}

/** The largest |q + offset| over int8 q. */

/** floor((a * m + 2^31) / 2^32) exactly for |a|, m < 2^31: every partial an exact double. */
function smmulr(a: number, m: number): number {
  const mh = Math.floor(m / 65536);
  const ml = m - mh * 65536;
  const t = a * mh;
  const th = Math.floor(t / 65536);
  const tl = t - th * 65536;
  return th + Math.floor((tl * 65536 + a * ml + TWO_31) / TWO_32);
}

/** What the C computes for the product p, saturated to int8 and clamped (int32 ranges checked by the planner). */
export function stageOutput(p: MulParams, s: MulDspStage, product: number): number {
  const a = product * 2 ** s.lsh1;
  const v = smmulr(a, p.multiplier) + s.rnd - (s.signFix && a < 0 ? 1 : 0);
  const shifted = Math.floor(v / 2 ** s.rsh) + s.zeroPointAfter;
  return clamp(clamp(shifted, -128, 127), p.actMin, p.actMax);
}

/** The cheapest output stage that equals TFLite's on every input pair of the layer, or undefined. */
export function planMulDsp(p: MulParams): MulDspStage | undefined {
  const inner = p.loops[p.loops.length - 1];
  if (!inner || inner.strideA > 1 || inner.strideB > 1) return undefined;
  const left = Math.max(p.shift, 0);
  const e = Math.max(-p.shift, 0);
  const outputs = outputsByProduct(p);
  if (!outputs) return undefined;
  const { expected, xMax } = outputs;
  let hMin = 0;
  let hMax = 0;
  for (const x of expected.keys()) {
    const h = smmulr(x * 2 ** (left + 1), p.multiplier);
    hMin = Math.min(hMin, h);
    hMax = Math.max(hMax, h);
  }
  const zp = p.outputZeroPoint;
  const half = e > 0 ? 2 ** (e - 1) : 0;
  const candidates: MulDspStage[] = [];
  const base = { lsh1: left + 1, rsh: e };
  for (const signFix of e > 0 ? [false, true] : [false]) {
    for (const after of [0, zp]) {
      const rnd = half + (zp - after) * 2 ** e;
      candidates.push({ ...base, rnd, signFix, zeroPointAfter: after });
      if (e > 0 && !signFix) candidates.push({ ...base, rnd: rnd - 1, signFix, zeroPointAfter: after });
    }
  }
  for (const c of candidates) {
    if (hMin + c.rnd - 1 < -TWO_31 || hMax + c.rnd >= TWO_31) continue;
    let agrees = true;
    for (const [x, want] of expected) {
      if (stageOutput(p, c, x) !== want) {
        agrees = false;
        break;
      }
    }
    if (agrees) return c;
  }
  return undefined;
}

const hex32 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}u`;
/** Two int16 lanes holding v. */
const lanes = (v: number) => hex32(((v & 0xffff) | (v << 16)) >>> 0);
const cInt32 = (v: number) => (v === -2147483648 ? '(-2147483647 - 1)' : String(v));

export const mulDsp: KernelVariant<MulParams> = {
  name: 'dsp',
  family: 'arm-dsp',
  applies: (p) => planMulDsp(p) !== undefined,
  // each block reads its four elements of both inputs before it writes any output
  overlap: inPlaceOverlap,
  emit(p, ctx) {
    const s = planMulDsp(p)!;
    const inner = p.loops[p.loops.length - 1]!;
    const outer = broadcastCView(p.loops.slice(0, -1));
    const scalarA = inner.strideA === 0;
    const scalarB = inner.strideB === 0;
    // a broadcast scalar (q + offset) * 2^lsh1 fits a lane while |.| <= 255 * 64
    const scalarScaled = (scalarA || scalarB) && s.lsh1 <= 6;
    const doubleLanes = !scalarScaled && s.lsh1 === 1;
    const productShift = scalarScaled || doubleLanes ? 0 : s.lsh1;
    const blocks = Math.floor(inner.extent / 4) * 4;
    const out = ctx.graph.tensors[ctx.op.outputs[0]!]!;
    const stage = `${s.signFix ? 'sign term' : s.rnd === 2 ** (s.rsh - 1) + (p.outputZeroPoint - s.zeroPointAfter) * 2 ** s.rsh || s.rsh === 0 ? 'ties up' : 'ties down'}${s.zeroPointAfter ? ', zero point after the shift' : ''}`;
    return ctx.render('mul_dsp.c.hbs', {
      shape: out.shape.join('x'),
      size: p.size,
      stage,
      fnName: ctx.fnName,
      input1: ctx.input(0),
      input2: ctx.input(1),
      output: ctx.output(0),
      offset1: p.input1Offset,
      offset2: p.input2Offset,
      offsetLanes1: lanes(p.input1Offset),
      offsetLanes2: lanes(p.input2Offset),
      multiplier: p.multiplier,
      lsh1: s.lsh1,
      rnd: cInt32(s.rnd),
      signFix: s.signFix,
      rsh: s.rsh,
      rshPositive: s.rsh > 0,
      zeroPointAfter: s.zeroPointAfter,
      clampLo: p.actMin > -128,
      clampHi: p.actMax < 127,
      actMin: p.actMin,
      actMax: p.actMax,
      outer: outer.loops,
      loopVars: outer.loopVars,
      indexA: outer.indexA,
      indexB: outer.indexB,
      scalarA,
      scalarB,
      scalarScale: scalarScaled ? 2 ** s.lsh1 : 1,
      bothStreamed: !scalarA && !scalarB,
      doubleLanes,
      productShift,
      blocks,
      stepA: inner.strideA * 4,
      stepB: inner.strideB * 4,
      tail: inner.extent - blocks,
      tailStepA: inner.strideA,
      tailStepB: inner.strideB,
      closers: outer.loops.map(() => ({})),
    });
  },
};
