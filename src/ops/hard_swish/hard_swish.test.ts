import { expect } from 'chai';
import hardSwish, { hardSwishQuant, hardSwishValue } from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTfliteAgrees, randomQ, unaryGraph } from '../../../test/helpers/op_checks.ts';

const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('HARD_SWISH', [x.length], input, output);
  return Array.from(evaluateOp(hardSwish, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

const hardSwishReal = (x: number) => (x * Math.min(6, Math.max(0, x + 3))) / 6;

describe('HARD_SWISH', () => {
  it('computes x·relu6(x+3)/6 (hand-checked)', () => {
    const q = { scale: 0.05, zeroPoint: 0 };
    // x = 0, 3, -3, -5, 6.35 -> 0, 3, 0, 0, 6.35; x = 1 -> 2/3 (13.3 steps); x = -1 -> -1/3 (-6.7 steps)
    expect(run(q, q, [0, 60, -60, -100, 127, 20, -20])).to.deep.equal([0, 60, 0, 0, 127, 13, -7]);
  });

  it('stays within one step of the real function for random quantizations, zero points at the int8 extremes', () => {
    const rand = rng(51);
    const quants = [[{ scale: 0.04, zeroPoint: -128 }, { scale: 0.03, zeroPoint: -128 }], [{ scale: 0.1, zeroPoint: 127 }, { scale: 0.02, zeroPoint: 100 }]];
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

  it('rejects an output scale too small for TFLite (s_in/(128·s_out) >= 1)', () => {
    const { graph, op } = unaryGraph('HARD_SWISH', [2], { scale: 1, zeroPoint: 0 }, { scale: 0.001, zeroPoint: 0 });
    expect(() => hardSwish.check(graph, op)).to.throw(OpError, /too small/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(52);
    expectCMatchesReference([[256], [1, 2, 2, 5]].map((shape, k) => {
      const { graph, op } = unaryGraph('HARD_SWISH', shape, randomQ(rand, -5, -1), randomQ(rand, -5, -1));
      return { def: hardSwish, graph, op, inputs: [k === 0 ? ALL_INT8 : randomInt8(rand, 20)] };
    }));
  });

  it('agrees with desktop TFLite (tfjs-tflite) on every input value, random quantizations', async () => {
    const rand = rng(53);
    await expectTfliteAgrees(hardSwish, Array.from({ length: 10 }, () => ({ ...unaryGraph('HARD_SWISH', [256], randomQ(rand, -6, 0), randomQ(rand, -6, 0)), inputs: [ALL_INT8] })));
  });
});
