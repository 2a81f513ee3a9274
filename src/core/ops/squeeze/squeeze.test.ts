// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import squeeze from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, runCasesInC, singleOpGraph, tfliteInterpreterDifference } from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.1, zeroPoint: 0 };

describe('SQUEEZE', () => {
  it('is an alias with no cost that keeps the bytes', () => {
    const { graph, op } = singleOpGraph('SQUEEZE', [{ shape: [1, 3, 1, 2], ...Q }], [{ shape: [3, 2], ...Q }], { squeezeDims: [] });
    expect(squeeze.isAlias).to.equal(true);
    expect(squeeze.macs(graph, op)).to.equal(0);
    expect(Array.from(evaluateOp(squeeze, graph, op, [Int8Array.from([1, 2, 3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('checks the output against the listed (or all) unit dimensions, negative ones too', () => {
    const listed = singleOpGraph('SQUEEZE', [{ shape: [1, 3, 1, 2], ...Q }], [{ shape: [1, 3, 2], ...Q }], { squeezeDims: [-2] });
    expect(() => squeeze.check(listed.graph, listed.op)).to.not.throw();
    const wrong = singleOpGraph('SQUEEZE', [{ shape: [1, 3, 1, 2], ...Q }], [{ shape: [3, 1, 2], ...Q }], { squeezeDims: [] });
    expect(() => squeeze.check(wrong.graph, wrong.op)).to.throw(OpError, /output tensor 1 "out1" has shape \[3,1,2\]; expected \[3,2\]/);
    const notOne = singleOpGraph('SQUEEZE', [{ shape: [1, 3], ...Q }], [{ shape: [1], ...Q }], { squeezeDims: [1] });
    expect(() => squeeze.check(notOne.graph, notOne.op)).to.throw(OpError, /dimension 1 of input tensor 0 "in0" has extent 3, not 1/);
  });

  it('emits a byte copy for the layer that cannot alias (a constant input)', () => {
    const data = Int8Array.from([7, -8, 9]);
    const g = singleOpGraph('SQUEEZE', [{ shape: [1, 3], ...Q, data }], [{ shape: [3], ...Q }], { squeezeDims: [0] });
    expect(Array.from(new Int8Array(runCasesInC([{ def: squeeze, ...g, inputs: [] }])[0]![0]!.slice().buffer))).to.deep.equal([7, -8, 9]);
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on a model written by our writer', async () => {
    const g = singleOpGraph('SQUEEZE', [{ shape: [1, 4, 1, 3], ...Q }], [{ shape: [4, 3], ...Q }], { squeezeDims: [0, 2] });
    expect(await tfliteInterpreterDifference(squeeze, g.graph, g.op, [randomInt8(rng(1), 12)])).to.equal(undefined);
  });
});
