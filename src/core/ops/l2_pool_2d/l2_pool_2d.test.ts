// SPDX-License-Identifier: Apache-2.0
/**
 * L2_POOL_2D (float32 only): a hand-checked window, the refusals, then TFLite Micro (tflm-ref) and
 * the emitted C (host gcc, ASan + UBSan) against the reference bytes on a sweep of windows, strides,
 * paddings and fused activations.
 */
import { expect } from 'chai';
import l2Pool from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { FLOAT_ACTIVATIONS, randomFloats } from '../../../../test/helpers/float_cases.ts';
import { outputSize } from '../common/families/padding.ts';

function l2Case(rand: () => number, k: number): CCase {
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
    'L2_POOL_2D',
    [{ shape: [batches, inH, inW, depth], dtype: 'float32' }],
    [{ shape: [batches, outH, outW, depth], dtype: 'float32' }],
    { padding, strideH, strideW, filterH, filterW, activation: FLOAT_ACTIVATIONS[k % 4]! },
  );
  const x = randomFloats(rand, batches * inH * inW * depth, k % 5 === 4 ? 1e18 : 3);
  // a few extremes: subnormals, the largest finite value (its square is inf), zeros of both signs
  if (k % 7 === 3) [1e-42, -3e-39, 3.4e38, -0, 0].forEach((v, i) => i < x.length && (x[(i * 7) % x.length] = v));
  return { def: l2Pool, graph, op, inputs: [x as unknown as Int8Array] };
}

const sweep = (seed: number, n: number) => {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, k) => l2Case(rand, k));
};

describe('L2_POOL_2D float32', () => {
  it('takes sqrt(sum of squares / count) over the in-bounds taps (hand-checked)', () => {
    // 2x2 SAME window over a 1x3 row: sqrt((9+16)/2), sqrt((16+0)/2), sqrt(0/1)
    const { graph, op } = singleOpGraph('L2_POOL_2D', [{ shape: [1, 1, 3, 1], dtype: 'float32' }], [{ shape: [1, 1, 3, 1], dtype: 'float32' }], {
      padding: 'SAME',
      strideH: 1,
      strideW: 1,
      filterH: 2,
      filterW: 2,
      activation: 'NONE',
    });
    const y = Array.from(evaluateOp(l2Pool, graph, op, [Float32Array.from([3, -4, 0])])[0] as Float32Array);
    expect(y).to.deep.equal([Math.fround(Math.sqrt(12.5)), Math.fround(Math.sqrt(8)), 0]);
  });

  it('refuses int8 and a wrong output shape in one line', () => {
    const attrs = { padding: 'VALID', strideH: 1, strideW: 1, filterH: 2, filterW: 2, activation: 'NONE' };
    const q = singleOpGraph('L2_POOL_2D', [{ shape: [1, 4, 4, 1], scale: 0.1 }], [{ shape: [1, 3, 3, 1], scale: 0.1 }], attrs);
    expect(() => l2Pool.check(q.graph, q.op)).to.throw(OpError, /input .*int8.*float32 only/);
    const bad = singleOpGraph('L2_POOL_2D', [{ shape: [1, 4, 4, 1], dtype: 'float32' }], [{ shape: [1, 4, 4, 1], dtype: 'float32' }], attrs);
    expect(() => l2Pool.check(bad.graph, bad.op)).to.throw(OpError, /gives \[1,3,3,1\]/);
  });

  it('TFLite Micro (tflm-ref) gives the same bytes on 30 random layers', () => {
    expectTflmAgrees(l2Pool, sweep(31, 30));
  });

  it('the emitted C gives the reference bytes', () => {
    expectCMatchesReference(sweep(32, 30));
  });
});
