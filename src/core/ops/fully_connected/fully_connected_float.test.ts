// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED float32 (fully_connected_float.ts): the reference kernel's sum order is TFLite
 * Micro's, checked byte for byte against tflm-ref on a sweep of shapes, activations and biases, and
 * the emitted C (host gcc, ASan + UBSan) gives the same bytes.
 */
import { expect } from 'chai';
import fc from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { FLOAT_ACTIVATIONS, randomFloats } from '../../../../test/helpers/float_cases.ts';

function fcCase(rand: () => number, batches: number, inF: number, outF: number, activation: string, bias: boolean): CCase {
  const { graph, op } = singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [batches, inF], dtype: 'float32' },
      { shape: [outF, inF], dtype: 'float32', data: randomFloats(rand, outF * inF, 1) },
      bias ? { shape: [outF], dtype: 'float32', data: randomFloats(rand, outF, 2) } : null,
    ],
    [{ shape: [batches, outF], dtype: 'float32' }],
    { activation },
  );
  return { def: fc, graph, op, inputs: [randomFloats(rand, batches * inF)] };
}

function sweep(seed: number, n: number): CCase[] {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, k) =>
    fcCase(rand, 1 + (k % 3), 1 + Math.floor(rand() * 40), 1 + Math.floor(rand() * 17), FLOAT_ACTIVATIONS[k % 4]!, k % 5 !== 0),
  );
}

describe('FULLY_CONNECTED float32', () => {
  it('sums in order from 0.0f, then adds the bias (0.0f without one) and clamps (hand-checked)', () => {
    // 1e8 + 1 - 1e8: in order the 1 is lost (0); -0 + (-0) = -0, and -0 + 0.0f (no bias) = +0
    const { graph, op } = singleOpGraph(
      'FULLY_CONNECTED',
      [{ shape: [1, 3], dtype: 'float32' }, { shape: [2, 3], dtype: 'float32', data: Float32Array.from([1, 1, 1, -0, 0, 0]) }, null],
      [{ shape: [1, 2], dtype: 'float32' }],
      { activation: 'NONE' },
    );
    const out = evaluateOp(fc, graph, op, [Float32Array.from([1e8, 1, -1e8])])[0] as Float32Array;
    expect(Array.from(out)).to.deep.equal([0, 0]);
    expect(Object.is(out[1], 0)).to.equal(true);
    expectTflmAgrees(fc, [{ graph, op, inputs: [Float32Array.from([1e8, 1, -1e8])] }]);
  });

  it('TFLite Micro (tflm-ref) gives the same bytes on 40 random layers: batches, activations, with and without bias', () => {
    expectTflmAgrees(fc, sweep(101, 40));
  });

  it('the emitted C gives the reference bytes', () => {
    expectCMatchesReference(sweep(101, 40));
  });

  it('refuses float activations with int8 weights, naming the tensor', () => {
    const { graph, op } = singleOpGraph(
      'FULLY_CONNECTED',
      [{ shape: [1, 2], dtype: 'float32' }, { shape: [1, 2], scale: 0.1, zeroPoint: 0, data: Int8Array.from([1, 2]) }, null],
      [{ shape: [1, 1], dtype: 'float32' }],
    );
    expect(() => fc.check(graph, op)).to.throw(OpError, /weights .* is int8; a float32 layer of FULLY_CONNECTED takes float32 inputs only/);
  });
});
