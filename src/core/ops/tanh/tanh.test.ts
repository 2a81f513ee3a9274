// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import tanh from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import { int8SigmoidScaling, tanhInt8 } from '../common/numerics/gemmlowp_activations.ts';
import { type CCase, evaluateOp, firstDifference, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const OUT = { scale: 1 / 128, zeroPoint: 0 };

function graphOf(shape: number[], scale: number, zeroPoint: number, out = OUT) {
  return singleOpGraph('TANH', [{ shape, scale, zeroPoint }], [{ shape, ...out }]);
}

/** every int8 value once, in order -128..127 */
const ALL = Int8Array.from({ length: 256 }, (_, i) => i - 128);

describe('TANH', () => {
  describe('reference kernel', () => {
    it('computes tanh at the fixed output scale 1/128, zero point 0 (hand-checked)', () => {
      const { graph, op } = graphOf([5], 0.5, 0);
      // x = 0, 1, -1, 4, -4: tanh 0, 0.7616, -0.7616, 0.9993, -0.9993 -> *128, saturated to int8
      const out = evaluateOp(tanh, graph, op, [Int8Array.from([0, 2, -2, 8, -8])])[0] as Int8Array;
      expect(Array.from(out)).to.deep.equal([0, 97, -97, 127, -128]);
    });

    it("is TFLite Micro's fixed-point tanh for every input value (the table is the reference function)", () => {
      for (const [scale, zp] of [
        [0.1, -128],
        [0.05, 3],
        [1 / 16, 127],
      ] as const) {
        const { graph, op } = graphOf([256], scale, zp);
        const out = evaluateOp(tanh, graph, op, [ALL])[0] as Int8Array;
        const s = int8SigmoidScaling(scale, zp)!;
        expect(Array.from(out)).to.deep.equal(Array.from(ALL, (q) => tanhInt8(q, s)));
      }
    });
  });

  describe('check', () => {
    it('requires the output scale 1/128 and zero point 0, and rejects asymmetric int16 and tiny scales', () => {
      const bad = graphOf([4], 0.1, 0, { scale: 1 / 256, zeroPoint: -128 });
      expect(() => tanh.check(bad.graph, bad.op)).to.throw(OpError, /requires scale 1\/128 and zero point 0/);
      // int16 goes to the 16x8 kernel (sigmoid_int16_op.ts), which wants symmetric int16
      const i16 = singleOpGraph(
        'TANH',
        [{ shape: [4], dtype: 'int16', scale: 1 / 4096, zeroPoint: 3 }],
        [{ shape: [4], dtype: 'int16', scale: 1 / 32768, zeroPoint: 0 }],
      );
      expect(() => tanh.check(i16.graph, i16.op)).to.throw(OpError, /zero point 3; int16 activations must be symmetric/);
      const tiny = graphOf([4], 2 ** -30, 0);
      expect(() => tanh.check(tiny.graph, tiny.op)).to.throw(OpError, /too small/);
      const shape = singleOpGraph('TANH', [{ shape: [4], scale: 0.1, zeroPoint: 0 }], [{ shape: [2, 2], ...OUT }]);
      expect(() => tanh.check(shape.graph, shape.op)).to.throw(OpError, /expected the input's \[4\]/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte', () => {
      const rand = rng(5);
      const cases: CCase[] = [
        [[1, 3, 5, 7], 0.07, -20],
        [[256], 0.02, 0],
        [[1], 0.5, 127],
      ].map(([shape, scale, zp]) => {
        const s = shape as number[];
        const { graph, op } = graphOf(s, scale as number, zp as number);
        return {
          def: tanh,
          graph,
          op,
          inputs: [
            s[0] === 256
              ? ALL
              : randomInt8(
                  rand,
                  s.reduce((a, b) => a * b, 1),
                ),
          ],
        };
      });
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        expect(firstDifference(toBytes(evaluateOp(tanh, cs.graph, cs.op, cs.inputs)[0]!), c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('against TFLite Micro (tflm-ref), on models written by our writer', () => {
    it('agrees byte for byte on every input value for input scales over decades and every zero-point range', function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(77);
      const cases = [];
      for (let k = 0; k < 60; k++) {
        // 1e-5 .. 20, plus the zero-point extremes
        const scale = Math.exp(-11.5 + rand() * 14.5);
        const zp = k % 10 === 0 ? -128 : k % 10 === 1 ? 127 : Math.floor(rand() * 256) - 128;
        cases.push({ ...graphOf([256], scale, zp), inputs: [ALL] });
      }
      expectTflmAgrees(tanh, cases);
    });
  });
});
