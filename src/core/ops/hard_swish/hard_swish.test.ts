// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import hardSwish, { hardSwishQuant, hardSwishValue } from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTflmAgrees, randomQ, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomShape } from '../../../../test/helpers/random_cases.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('HARD_SWISH', [x.length], input, output);
  if (tflmRefAvailable()) expectTflmAgrees(hardSwish, [{ graph, op, inputs: [Int8Array.from(x)] }]);
  return Array.from(evaluateOp(hardSwish, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

/** Quantizations TFLite accepts (s_in/(128·s_out) < 1), scales over decades, zero points at the ends. */
function acceptedQuants(rand: () => number, n: number): [{ scale: number; zeroPoint: number }, { scale: number; zeroPoint: number }][] {
  const out: [{ scale: number; zeroPoint: number }, { scale: number; zeroPoint: number }][] = [];
  while (out.length < n) {
    const qi = extremeQ(rand, -9, 2);
    const qo = extremeQ(rand, -9, 2);
    if (hardSwishQuant(qi.scale, qi.zeroPoint, qo.scale, qo.zeroPoint).outputExponent <= 0) out.push([qi, qo]);
  }
  return out;
}

const hardSwishReal = (x: number) => (x * Math.min(6, Math.max(0, x + 3))) / 6;

describe('HARD_SWISH', () => {
  it('computes x·relu6(x+3)/6 (hand-checked)', () => {
    const q = { scale: 0.05, zeroPoint: 0 };
    // x = 0, 3, -3, -5, 6.35 -> 0, 3, 0, 0, 6.35; x = 1 -> 2/3 (13.3 steps); x = -1 -> -1/3 (-6.7 steps)
    expect(run(q, q, [0, 60, -60, -100, 127, 20, -20])).to.deep.equal([0, 60, 0, 0, 127, 13, -7]);
  });

  it('stays within one step of the real function for random quantizations, zero points at the int8 extremes', () => {
    const rand = rng(51);
    const quants = [
      [
        { scale: 0.04, zeroPoint: -128 },
        { scale: 0.03, zeroPoint: -128 },
      ],
      [
        { scale: 0.1, zeroPoint: 127 },
        { scale: 0.02, zeroPoint: 100 },
      ],
    ];
    for (let k = 0; k < 20; k++) quants.push([randomQ(rand, -6, 0), randomQ(rand, -6, 0)]);
    for (const [qi, qo] of quants) {
      const p = hardSwishQuant(qi!.scale, qi!.zeroPoint, qo!.scale, qo!.zeroPoint);
      if (p.outputExponent > 0) continue;
      for (const q of ALL_INT8) {
        const real = hardSwishReal(Math.fround(qi!.scale) * (q - qi!.zeroPoint));
        const want = Math.max(-128, Math.min(127, Math.round(real / Math.fround(qo!.scale)) + qo!.zeroPoint));
        expect(Math.abs(hardSwishValue(q, p) - want), `in ${JSON.stringify(qi)} out ${JSON.stringify(qo)} q ${q}`).to.be.at.most(1);
      }
    }
  });

  it('rejects an output scale too small for TFLite (s_in/(128·s_out) >= 1), as TFLite Micro does', function () {
    const { graph, op } = unaryGraph('HARD_SWISH', [2], { scale: 1, zeroPoint: 0 }, { scale: 0.001, zeroPoint: 0 });
    expect(() => hardSwish.check(graph, op)).to.throw(OpError, /too small/);
    if (tflmRefAvailable(this)) expect(() => tflmOutputs(graph, [new Uint8Array(2)])).to.throw();
  });

  it('TFLite Micro (tflm-ref) agrees on every input value for 100 random quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(52);
    expectTflmAgrees(
      hardSwish,
      acceptedQuants(rand, 100).map(([qi, qo]) => ({ ...unaryGraph('HARD_SWISH', [256], qi, qo), inputs: [ALL_INT8] })),
    );
  });

  it('emitted C matches the reference kernel byte for byte on 30 random cases', () => {
    const rand = rng(53);
    expectCMatchesReference(
      acceptedQuants(rand, 30).map(([qi, qo]) => {
        const shape = randomShape(rand);
        const { graph, op } = unaryGraph('HARD_SWISH', shape, qi, qo);
        return {
          def: hardSwish,
          graph,
          op,
          inputs: [
            extremeInt8(
              rand,
              shape.reduce((a, b) => a * b, 1),
              qi.zeroPoint,
            ),
          ],
        };
      }),
    );
  });
});
