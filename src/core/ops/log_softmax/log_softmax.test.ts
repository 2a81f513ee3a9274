// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import logSoftmax, { logXForXGreaterThanOrEqualTo1 } from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const OUT = { scale: 16 / 256, zeroPoint: 127 };
const SHAPES = [
  [1, 10],
  [4, 7],
  [2, 3, 16],
  [1, 1],
  [1, 2, 2, 33],
  [3, 100],
  [1, 300],
];

function inQ(rand: () => number) {
  return { scale: Math.exp(-9 + rand() * 9), zeroPoint: Math.floor(rand() * 256) - 128 };
}

describe('LOG_SOFTMAX', () => {
  it('log(x) in fixed point is within 2^-20 of the real log', () => {
    for (const x of [1, 1.5, 2, 3.7, 10, 100, 1000, 4095]) {
      const raw = Math.round(x * 2 ** 19);
      expect(logXForXGreaterThanOrEqualTo1(raw, 12) / 2 ** 26).to.be.closeTo(Math.log(raw / 2 ** 19), 2 ** -20);
    }
  });

  it('computes x - max - log(sum exp) at scale 1/16 (hand-checked)', () => {
    const { graph, op } = unaryGraph('LOG_SOFTMAX', [1, 3], { scale: 0.1, zeroPoint: 0 }, OUT);
    // x = 0, 1, 2: log-softmax = -2.4076, -1.4076, -0.4076 -> *16 + 127
    expect(Array.from(evaluateOp(logSoftmax, graph, op, [Int8Array.from([0, 10, 20])])[0] as Int8Array)).to.deep.equal([88, 104, 120]);
  });

  it('requires the fixed output quantization', () => {
    const { graph, op } = unaryGraph('LOG_SOFTMAX', [1, 3], { scale: 0.1, zeroPoint: 0 }, { scale: 1 / 16, zeroPoint: 0 });
    expect(() => logSoftmax.check(graph, op)).to.throw(OpError, /16\/256 and zero point 127/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(61);
    expectCMatchesReference(
      SHAPES.map((shape) => ({
        def: logSoftmax,
        ...unaryGraph('LOG_SOFTMAX', shape, inQ(rand), OUT),
        inputs: [
          randomInt8(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
        ],
      })),
    );
  });

  it('agrees with TFLite Micro, random rows, scales and zero points', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(62);
    const cases = [];
    for (let k = 0; k < 40; k++) {
      const shape = SHAPES[k % SHAPES.length]!;
      const n = shape.reduce((a, b) => a * b, 1);
      // full-range rows, and narrow rows (values close to each other) where every term counts
      const lo = k % 3 === 0 ? Math.floor(rand() * 240) - 128 : -128;
      const x = randomInt8(rand, n, lo, k % 3 === 0 ? lo + 15 : 127);
      cases.push({ ...unaryGraph('LOG_SOFTMAX', shape, inQ(rand), OUT), inputs: [x] });
    }
    expectTflmAgrees(logSoftmax, cases);
  });
});
