// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import resizeNearest, { nearestIndex } from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt16,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const Q = { scale: 0.1, zeroPoint: -128 };

function graphOf(shape: [number, number, number, number], outH: number, outW: number, alignCorners = false, halfPixelCenters = false, dtype: DType = 'int8') {
  const [b, , , c] = shape;
  return singleOpGraph(
    'RESIZE_NEAREST_NEIGHBOR',
    [
      { shape, dtype, ...Q },
      { shape: [2], dtype: 'int32', data: Int32Array.from([outH, outW]) },
    ],
    [{ shape: [b, outH, outW, c], dtype, ...Q }],
    { alignCorners, halfPixelCenters },
  );
}

describe('RESIZE_NEAREST_NEIGHBOR', () => {
  it('picks source indices as TFLite does: floor, half-pixel centres, align corners (round half away)', () => {
    const rows = (inSize: number, outSize: number, a: boolean, h: boolean) => Array.from({ length: outSize }, (_, v) => nearestIndex(v, inSize, outSize, a, h));
    expect(rows(2, 4, false, false)).to.deep.equal([0, 0, 1, 1]);
    expect(rows(2, 4, false, true)).to.deep.equal([0, 0, 1, 1]);
    expect(rows(3, 5, true, false)).to.deep.equal([0, 1, 1, 2, 2]);
    expect(rows(5, 2, false, false)).to.deep.equal([0, 2]);
    expect(rows(5, 2, false, true)).to.deep.equal([1, 3]);
    expect(rows(3, 7, false, true)).to.deep.equal([0, 0, 1, 1, 1, 2, 2]);
  });

  it('copies whole pixels (all channels) from the chosen source (hand-checked)', () => {
    const g = graphOf([1, 2, 2, 2], 3, 3);
    const out = Array.from(evaluateOp(resizeNearest, g.graph, g.op, [Int8Array.from([1, 10, 2, 20, 3, 30, 4, 40])])[0] as Int8Array);
    // rows 0, 0, 1 and columns 0, 0, 1 (scale 2/3: floor(0), floor(0.67), floor(1.33))
    expect(out).to.deep.equal([1, 10, 1, 10, 2, 20, 1, 10, 1, 10, 2, 20, 3, 30, 3, 30, 4, 40]);
  });

  it('rejects a size that differs from the output and a computed size', () => {
    const g = graphOf([1, 2, 2, 1], 4, 4);
    g.graph.tensors[2]!.shape = [1, 4, 5, 1];
    expect(() => resizeNearest.check(g.graph, g.op)).to.throw(OpError, /output tensor 2 "out2" has shape \[1,4,5,1\]; expected \[1,4,4,1\]/);
    const d = singleOpGraph(
      'RESIZE_NEAREST_NEIGHBOR',
      [
        { shape: [1, 2, 2, 1], ...Q },
        { shape: [2], dtype: 'int32' },
      ],
      [{ shape: [1, 4, 4, 1], ...Q }],
    );
    expect(() => resizeNearest.check(d.graph, d.op)).to.throw(OpError, /size tensor 1 "in1" is computed at run time/);
  });

  it('emitted C matches the reference kernel (up/down scaling, every mode, int8 and int16)', () => {
    const rand = rng(15);
    const cases: CCase[] = [];
    for (let k = 0; k < 9; k++) {
      const shape: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 6), randomInt(rand, 1, 6), randomInt(rand, 1, 4)];
      const dtype: DType = k % 3 === 2 ? 'int16' : 'int8';
      const n = shape.reduce((a, b) => a * b, 1);
      cases.push({
        def: resizeNearest,
        ...graphOf(shape, randomInt(rand, 1, 9), randomInt(rand, 1, 9), k % 3 === 1, k % 3 === 2, dtype),
        inputs: [dtype === 'int16' ? randomInt16(rand, n) : randomInt8(rand, n)],
      });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(resizeNearest, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with TFLite Micro byte for byte in every mode (random up/down sizes)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(6);
    const cases = [];
    for (let k = 0; k < 60; k++) {
      const shape: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 8), randomInt(rand, 1, 8), randomInt(rand, 1, 4)];
      const g = graphOf(shape, randomInt(rand, 1, 13), randomInt(rand, 1, 13), (k & 1) === 1, (k & 2) === 2);
      cases.push({
        ...g,
        inputs: [
          randomInt8(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
        ],
      });
    }
    expectTflmAgrees(resizeNearest, cases);
  });
});
