// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import padv2 from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const Q = { scale: 0.25, zeroPoint: 10 };

/** PADV2 with its fill value as a constant (`value`) or as a run-time scalar input (`value` undefined). */
function graphOf(shape: number[], paddings: number[], value?: number) {
  const outShape = shape.map((d, k) => d + paddings[2 * k]! + paddings[2 * k + 1]!);
  return singleOpGraph(
    'PADV2',
    [
      { shape, ...Q },
      { shape: [shape.length, 2], dtype: 'int32', data: Int32Array.from(paddings) },
      value === undefined ? { shape: [1], ...Q } : { shape: [], ...Q, data: Int8Array.from([value]) },
    ],
    [{ shape: outShape, ...Q }],
  );
}

describe('PADV2', () => {
  it('fills with constant_values, given as a constant or computed at run time', () => {
    const g = graphOf([2, 2], [1, 0, 0, 1], -77);
    expect(Array.from(evaluateOp(padv2, g.graph, g.op, [Int8Array.from([1, 2, 3, 4])])[0] as Int8Array)).to.deep.equal([-77, -77, -77, 1, 2, -77, 3, 4, -77]);
    const r = graphOf([2], [1, 1]);
    expect(Array.from(evaluateOp(padv2, r.graph, r.op, [Int8Array.from([5, 6]), Int8Array.from([99])])[0] as Int8Array)).to.deep.equal([99, 5, 6, 99]);
  });

  it('requires constant_values on the output scale and zero point (TFLite Micro)', () => {
    const g = singleOpGraph(
      'PADV2',
      [
        { shape: [2], ...Q },
        { shape: [1, 2], dtype: 'int32', data: Int32Array.from([1, 1]) },
        { shape: [], scale: 0.5, zeroPoint: 10, data: Int8Array.from([3]) },
      ],
      [{ shape: [4], ...Q }],
    );
    expect(() => padv2.check(g.graph, g.op)).to.throw(OpError, /constant_values tensor 2 "in2" must share the output's scale and zero point/);
  });

  it('emitted C matches the reference kernel, constant and run-time fill values', () => {
    const rand = rng(31);
    const cases: CCase[] = [];
    for (let k = 0; k < 6; k++) {
      const rank = randomInt(rand, 1, 4);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
      const paddings = shape.flatMap(() => [randomInt(rand, 0, 2), randomInt(rand, 0, 2)]);
      const n = shape.reduce((a, b) => a * b, 1);
      if (k % 2 === 0) cases.push({ def: padv2, ...graphOf(shape, paddings, randomInt(rand, -128, 127)), inputs: [randomInt8(rand, n)] });
      else cases.push({ def: padv2, ...graphOf(shape, paddings), inputs: [randomInt8(rand, n), randomInt8(rand, 1)] });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(padv2, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with TFLite Micro byte for byte (ranks 1-5, constant and run-time fill values)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(2);
    const cases = [];
    for (let k = 0; k < 40; k++) {
      const rank = randomInt(rand, 1, 5);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 4));
      const paddings = shape.flatMap(() => [randomInt(rand, 0, 3), randomInt(rand, 0, 3)]);
      const n = shape.reduce((a, b) => a * b, 1);
      if (k % 2 === 0) cases.push({ ...graphOf(shape, paddings, [-128, 127, randomInt(rand, -128, 127)][k % 3]), inputs: [randomInt8(rand, n)] });
      else cases.push({ ...graphOf(shape, paddings), inputs: [randomInt8(rand, n), randomInt8(rand, 1)] });
    }
    expectTflmAgrees(padv2, cases);
  });
});
