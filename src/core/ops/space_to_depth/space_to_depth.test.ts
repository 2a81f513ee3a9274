// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import spaceToDepth from './index.ts';
import depthToSpace from '../depth_to_space/index.ts';
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

const Q = { scale: 0.1, zeroPoint: -1 };

function graphOf(shape: [number, number, number, number], block: number) {
  const [b, h, w, c] = shape;
  return singleOpGraph('SPACE_TO_DEPTH', [{ shape, ...Q }], [{ shape: [b, h / block, w / block, c * block * block], ...Q }], { blockSize: block });
}

describe('SPACE_TO_DEPTH', () => {
  it('moves each block of pixels into the channels, row by row (hand-checked)', () => {
    // [1,2,2,1] with block 2: the four pixels become the four channels of one pixel
    const g = graphOf([1, 2, 2, 1], 2);
    expect(Array.from(evaluateOp(spaceToDepth, g.graph, g.op, [Int8Array.from([1, 2, 3, 4])])[0] as Int8Array)).to.deep.equal([1, 2, 3, 4]);
    // [1,2,4,1]: two output pixels, the left one holds columns 0-1 of both rows
    const h = graphOf([1, 2, 4, 1], 2);
    expect(Array.from(evaluateOp(spaceToDepth, h.graph, h.op, [Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8])])[0] as Int8Array)).to.deep.equal([
      1, 2, 5, 6, 3, 4, 7, 8,
    ]);
    // two channels keep their order inside each position
    const c = graphOf([1, 2, 2, 2], 2);
    expect(Array.from(evaluateOp(spaceToDepth, c.graph, c.op, [Int8Array.from([1, 10, 2, 20, 3, 30, 4, 40])])[0] as Int8Array)).to.deep.equal([
      1, 10, 2, 20, 3, 30, 4, 40,
    ]);
  });

  it('is undone by DEPTH_TO_SPACE', () => {
    const rand = rng(3);
    const x = randomInt8(rand, 2 * 6 * 4 * 3);
    const s = graphOf([2, 6, 4, 3], 2);
    const depth = evaluateOp(spaceToDepth, s.graph, s.op, [x])[0]!;
    const d = singleOpGraph('DEPTH_TO_SPACE', [{ shape: [2, 3, 2, 12], ...Q }], [{ shape: [2, 6, 4, 3], ...Q }], { blockSize: 2 });
    expect(Array.from(evaluateOp(depthToSpace, d.graph, d.op, [depth])[0] as Int8Array)).to.deep.equal(Array.from(x));
  });

  it('rejects sizes that are not multiples of the block', () => {
    const g = singleOpGraph('SPACE_TO_DEPTH', [{ shape: [1, 3, 4, 1], ...Q }], [{ shape: [1, 1, 2, 4], ...Q }], { blockSize: 2 });
    expect(() => spaceToDepth.check(g.graph, g.op)).to.throw(OpError, /height 3 and width 4 must be multiples of block_size 2/);
  });

  it('emitted C matches the reference kernel', () => {
    const rand = rng(13);
    const cases: CCase[] = [];
    for (let k = 0; k < 6; k++) {
      const block = randomInt(rand, 1, 3);
      const shape: [number, number, number, number] = [
        randomInt(rand, 1, 2),
        block * randomInt(rand, 1, 3),
        block * randomInt(rand, 1, 3),
        randomInt(rand, 1, 4),
      ];
      cases.push({
        def: spaceToDepth,
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
      const expected = new Uint8Array(toBytes(evaluateOp(spaceToDepth, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on a model written by our writer', async () => {
    const g = graphOf([1, 6, 4, 3], 2);
    expect(await tfliteInterpreterDifference(spaceToDepth, g.graph, g.op, [randomInt8(rng(4), 72)])).to.equal(undefined);
  });
});
