// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D and DEPTHWISE_CONV_2D float32 (conv_2d_float.ts, depthwise_conv_2d_float.ts): TFLite Micro
 * (tflm-ref) gives the same bytes on a sweep of shapes, strides, dilations, paddings, groups, depth
 * multipliers and activations, and the emitted C (host gcc, ASan + UBSan) gives the reference bytes.
 */
import { expect } from 'chai';
import conv from './index.ts';
import depthwise from '../depthwise_conv_2d/index.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { FLOAT_ACTIVATIONS, randomFloats } from '../../../../test/helpers/float_cases.ts';
import { outputSize } from '../common/families/padding.ts';

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

function convCase(rand: () => number, k: number, dw: boolean, noBias: boolean): CCase {
  const inH = 1 + Math.floor(rand() * 9);
  const inW = 1 + Math.floor(rand() * 9);
  const kH = Math.min(inH, pick(rand, [1, 2, 3, 5]));
  const kW = Math.min(inW, pick(rand, [1, 2, 3]));
  const strideH = pick(rand, [1, 1, 2, 3]);
  const strideW = pick(rand, [1, 2]);
  const dilationH = kH * 2 <= inH ? pick(rand, [1, 2]) : 1;
  const dilationW = 1;
  const padding = k % 2 === 0 ? 'SAME' : 'VALID';
  const groups = dw ? 1 : pick(rand, [1, 1, 2]);
  const inC = (dw ? 1 + Math.floor(rand() * 5) : 1 + Math.floor(rand() * 4)) * groups;
  const multiplier = dw ? pick(rand, [1, 1, 2, 3]) : 1;
  const outC = dw ? inC * multiplier : groups * (1 + Math.floor(rand() * 4));
  const batches = k % 7 === 3 ? 2 : 1;
  const outH = outputSize(padding, inH, kH, strideH, dilationH);
  const outW = outputSize(padding, inW, kW, strideW, dilationW);
  const filterShape = dw ? [1, kH, kW, outC] : [outC, kH, kW, inC / groups];
  const filterCount = filterShape.reduce((a, b) => a * b, 1);
  const { graph, op } = singleOpGraph(
    dw ? 'DEPTHWISE_CONV_2D' : 'CONV_2D',
    [
      { shape: [batches, inH, inW, inC], dtype: 'float32' },
      { shape: filterShape, dtype: 'float32', data: randomFloats(rand, filterCount, 1) },
      noBias && k % 5 === 4 ? null : { shape: [outC], dtype: 'float32', data: randomFloats(rand, outC, 2) },
    ],
    [{ shape: [batches, outH, outW, outC], dtype: 'float32' }],
    { padding, strideH, strideW, dilationH, dilationW, activation: FLOAT_ACTIVATIONS[k % 4]!, ...(dw ? { depthMultiplier: multiplier } : {}) },
  );
  return { def: dw ? depthwise : conv, graph, op, inputs: [randomFloats(rand, batches * inH * inW * inC)] };
}

/**
 * Every fifth layer has no bias, except a depthwise one run by TFLite Micro: its reference
 * DepthwiseConv<float> checks TFLITE_DCHECK_EQ(bias_shape.FlatSize(), output_depth) even without a
 * bias, so tflm-ref (assertions on) aborts where a release build adds 0.0f, as the C here does.
 */
const sweep = (seed: number, n: number, dw: boolean, tflm = false) => {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, k) => convCase(rand, k, dw, !(dw && tflm)));
};

describe('CONV_2D and DEPTHWISE_CONV_2D float32', () => {
  it('adds only the taps inside the image (hand-checked)', () => {
    // a 1x1 input under a 3x3 SAME filter of 1s: only the centre tap is inside, 0.0f + 2.5 * 1 + 0.0f
    const { graph, op } = singleOpGraph(
      'CONV_2D',
      [{ shape: [1, 1, 1, 1], dtype: 'float32' }, { shape: [1, 3, 3, 1], dtype: 'float32', data: new Float32Array(9).fill(1) }, null],
      [{ shape: [1, 1, 1, 1], dtype: 'float32' }],
      { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
    );
    const out = evaluateOp(conv, graph, op, [Float32Array.from([2.5])])[0] as Float32Array;
    expect(Array.from(out)).to.deep.equal([2.5]);
  });

  it('CONV_2D: TFLite Micro (tflm-ref) gives the same bytes on 30 random layers', () => {
    expectTflmAgrees(conv, sweep(11, 30, false, true));
  });
  it('CONV_2D: the emitted C gives the reference bytes', () => {
    expectCMatchesReference(sweep(11, 30, false));
  });
  it('DEPTHWISE_CONV_2D: TFLite Micro (tflm-ref) gives the same bytes on 30 random layers', () => {
    expectTflmAgrees(depthwise, sweep(12, 30, true, true));
  });
  it('DEPTHWISE_CONV_2D: the emitted C gives the reference bytes', () => {
    expectCMatchesReference(sweep(12, 30, true));
  });
});
