// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthToSpace from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
  tfliteInterpreterDifference,
} from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.1, zeroPoint: 3 };

function graphOf(shape: [number, number, number, number], block: number) {
  const [b, h, w, c] = shape;
  return singleOpGraph('DEPTH_TO_SPACE', [{ shape, ...Q }], [{ shape: [b, h * block, w * block, c / (block * block)], ...Q }], { blockSize: block });
}

describe('DEPTH_TO_SPACE', () => {
  it("spreads each pixel's channels over a block (DCR order, hand-checked)", () => {
    const g = graphOf([1, 1, 2, 4], 2);
    // pixel 0 channels 1..4 -> 2x2 patch at columns 0-1; pixel 1 channels 5..8 at columns 2-3
    expect(Array.from(evaluateOp(depthToSpace, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8])])[0] as Int8Array)).to.deep.equal([
      1, 2, 5, 6, 3, 4, 7, 8,
    ]);
  });

  it('rejects a depth that is not a multiple of block²', () => {
    const g = singleOpGraph('DEPTH_TO_SPACE', [{ shape: [1, 1, 1, 6], ...Q }], [{ shape: [1, 2, 2, 1], ...Q }], { blockSize: 2 });
    expect(() => depthToSpace.check(g.graph, g.op)).to.throw(OpError, /depth 6 must be a multiple of block_size² = 4/);
  });

  it('emitted C matches the reference kernel', () => {
    const rand = rng(14);
    const cases: CCase[] = [];
    for (let k = 0; k < 6; k++) {
      const block = randomInt(rand, 1, 3);
      const shape: [number, number, number, number] = [
        randomInt(rand, 1, 2),
        randomInt(rand, 1, 3),
        randomInt(rand, 1, 3),
        block * block * randomInt(rand, 1, 3),
      ];
      cases.push({
        def: depthToSpace,
        ...graphOf(shape, block),
        inputs: [
          randomInt8(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
        ],
      });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(depthToSpace, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on a model written by our writer', async () => {
    const g = graphOf([1, 3, 2, 8], 2);
    expect(await tfliteInterpreterDifference(depthToSpace, g.graph, g.op, [randomInt8(rng(5), 48)])).to.equal(undefined);
  });
});
