// SPDX-License-Identifier: Apache-2.0
/**
 * AVERAGE_POOL_2D and MAX_POOL_2D float32 (float_pool.ts): TFLite Micro (tflm-ref) gives the same
 * bytes on a sweep of windows, strides, paddings and activations, and the emitted C (host gcc,
 * ASan + UBSan) gives the reference bytes.
 */
import { expect } from 'chai';
import averagePool from '../../average_pool_2d/index.ts';
import maxPool from '../../max_pool_2d/index.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../../test/helpers/op_checks.ts';
import { FLOAT_ACTIVATIONS, randomFloats } from '../../../../../test/helpers/float_cases.ts';
import { outputSize } from './padding.ts';

function poolCase(rand: () => number, k: number, max: boolean): CCase {
  const inH = 1 + Math.floor(rand() * 8);
  const inW = 1 + Math.floor(rand() * 8);
  const filterH = Math.min(inH, 1 + Math.floor(rand() * 3));
  const filterW = Math.min(inW, 1 + Math.floor(rand() * 4));
  const strideH = 1 + Math.floor(rand() * 2);
  const strideW = 1 + Math.floor(rand() * 3);
  const padding = k % 2 === 0 ? 'SAME' : 'VALID';
  const depth = 1 + Math.floor(rand() * 5);
  const batches = k % 6 === 5 ? 2 : 1;
  const outH = outputSize(padding, inH, filterH, strideH);
  const outW = outputSize(padding, inW, filterW, strideW);
  const { graph, op } = singleOpGraph(
    max ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D',
    [{ shape: [batches, inH, inW, depth], dtype: 'float32' }],
    [{ shape: [batches, outH, outW, depth], dtype: 'float32' }],
    { padding, strideH, strideW, filterH, filterW, activation: FLOAT_ACTIVATIONS[k % 4]! },
  );
  return { def: max ? maxPool : averagePool, graph, op, inputs: [randomFloats(rand, batches * inH * inW * depth)] };
}

const sweep = (seed: number, n: number, max: boolean) => {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, k) => poolCase(rand, k, max));
};

describe('AVERAGE_POOL_2D and MAX_POOL_2D float32', () => {
  it('averages the in-bounds taps only, dividing by their count (hand-checked)', () => {
    // 2x2 SAME window over a 1x3 row: outputs (1+2)/2, (2+4)/2, 4/1
    const { graph, op } = singleOpGraph('AVERAGE_POOL_2D', [{ shape: [1, 1, 3, 1], dtype: 'float32' }], [{ shape: [1, 1, 3, 1], dtype: 'float32' }], {
      padding: 'SAME',
      strideH: 1,
      strideW: 1,
      filterH: 2,
      filterW: 2,
      activation: 'NONE',
    });
    expect(Array.from(evaluateOp(averagePool, graph, op, [Float32Array.from([1, 2, 4])])[0] as Float32Array)).to.deep.equal([1.5, 3, 4]);
  });

  for (const max of [false, true]) {
    const kind = max ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D';
    it(`${kind}: TFLite Micro (tflm-ref) gives the same bytes on 30 random layers`, () => {
      expectTflmAgrees(max ? maxPool : averagePool, sweep(max ? 22 : 21, 30, max));
    });
    it(`${kind}: the emitted C gives the reference bytes`, () => {
      expectCMatchesReference(sweep(max ? 22 : 21, 30, max));
    });
  }
});
