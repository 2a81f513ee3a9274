// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import reshape from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, runCasesInC, singleOpGraph, tfliteInterpreterDifference } from '../../../../test/helpers/op_harness.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { goldenReferenceMismatches } from '../../../../test/helpers/golden_layers.ts';

const Q = { scale: 0.1, zeroPoint: -128 };

describe('RESHAPE', () => {
  it('is an alias op with no cost', () => {
    const { graph, op } = singleOpGraph('RESHAPE', [{ shape: [1, 6], ...Q }], [{ shape: [2, 3], ...Q }]);
    expect(reshape.isAlias).to.equal(true);
    expect(reshape.macs(graph, op)).to.equal(0);
  });

  it('copies the bytes unchanged, ignoring the optional shape input', () => {
    const { graph, op } = singleOpGraph(
      'RESHAPE',
      [
        { shape: [1, 6], ...Q },
        { shape: [2], dtype: 'int32', data: Int32Array.from([2, 3]) },
      ],
      [{ shape: [2, 3], ...Q }],
      { newShape: [2, 3] },
    );
    const x = Int8Array.from([1, -2, 3, -4, 5, -128]);
    expect(Array.from(evaluateOp(reshape, graph, op, [x])[0] as Int8Array)).to.deep.equal([1, -2, 3, -4, 5, -128]);
  });

  it('works in place when the planner aliases input and output', () => {
    const { graph, op } = singleOpGraph('RESHAPE', [{ shape: [4], ...Q }], [{ shape: [2, 2], ...Q }]);
    const buf = Int8Array.from([4, 3, 2, 1]);
    reshape.evaluate(reshape.prepare(graph, op), [buf], [buf]);
    expect(Array.from(buf)).to.deep.equal([4, 3, 2, 1]);
  });

  it('rejects a different element count or dtype, naming both tensors', () => {
    const a = singleOpGraph('RESHAPE', [{ shape: [1, 6], ...Q }], [{ shape: [4], ...Q }]);
    expect(() => reshape.check(a.graph, a.op)).to.throw(OpError, /input tensor 0 "in0" \[1,6\] has 6 elements but output tensor 1 "out1" \[4\] has 4/);
    const b = singleOpGraph('RESHAPE', [{ shape: [4], ...Q }], [{ shape: [4], dtype: 'int16', ...Q }]);
    expect(() => reshape.check(b.graph, b.op)).to.throw(OpError, /is int8 but output .* is int16/);
  });

  it('emits a copy loop that matches, for an activation and for a constant input (float32 too)', () => {
    const rand = rng(3);
    const x = randomInt8(rand, 60);
    const act = singleOpGraph('RESHAPE', [{ shape: [3, 20], ...Q }], [{ shape: [1, 3, 4, 5], ...Q }]);
    const constant = singleOpGraph('RESHAPE', [{ shape: [2, 3], ...Q, data: Int8Array.from([9, 8, 7, -6, -5, -4]) }], [{ shape: [6], ...Q }]);
    const floats = Float32Array.from([1.5, -2.25, 1e-30, 3e30]);
    const f = singleOpGraph('RESHAPE', [{ shape: [4], dtype: 'float32' }], [{ shape: [2, 2], dtype: 'float32' }]);
    const c = runCasesInC([
      { def: reshape, ...act, inputs: [x] },
      { def: reshape, ...constant, inputs: [] },
      { def: reshape, ...f, inputs: [floats] },
    ]);
    expect(Array.from(new Int8Array(c[0]![0]!.slice().buffer))).to.deep.equal(Array.from(x));
    expect(Array.from(new Int8Array(c[1]![0]!.slice().buffer))).to.deep.equal([9, 8, 7, -6, -5, -4]);
    expect(Array.from(new Float32Array(c[2]![0]!.slice().buffer))).to.deep.equal(Array.from(floats));
  });

  describe('golden activations (TFLite Micro)', () => {
    for (const model of ['micro_speech', 'person_detect']) {
      it(`reproduces every RESHAPE of ${model}`, function () {
        if (!sharedModelsAvailable(this)) return;
        const ts = goldenReferenceMismatches(reshape, model);
        expect(ts.runs).to.equal(4);
        expect(ts.mismatches).to.deep.equal([]);
      });
    }
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on a model written by our writer', async () => {
    const { graph, op } = singleOpGraph(
      'RESHAPE',
      [
        { shape: [2, 6], ...Q },
        { shape: [3], dtype: 'int32', data: Int32Array.from([3, 2, 2]) },
      ],
      [{ shape: [3, 2, 2], ...Q }],
      { newShape: [3, 2, 2] },
    );
    expect(await tfliteInterpreterDifference(reshape, graph, op, [randomInt8(rng(9), 12)])).to.equal(undefined);
  });
});
