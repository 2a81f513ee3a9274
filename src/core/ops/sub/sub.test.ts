// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import sub from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { type CCase, evaluateOp, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { planCommonScale } from '../common/families/binary_elementwise.ts';
import { BROADCAST_SHAPES, type Q, binaryGraph, count, expectCMatchesReference, expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[], activation: FusedActivation = 'NONE'): number[] {
  const { graph, op } = binaryGraph('SUB', a, b, out, qa, qb, qo, { activation });
  return Array.from(evaluateOp(sub, graph, op, [Int8Array.from(x), Int8Array.from(y)])[0] as Int8Array);
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/**
 * Quantizations (input 1, input 2, output, activation) that drive planCommonScale to each of its
 * SMMLAR output stages for SUB (input 2's share negated): plain, rounding ties down, with RDBPOT's
 * sign term, with the zero point added after the shift.
 */
const SUB_STAGES: Record<string, [Q, Q, Q, FusedActivation]> = {
  rnd0: [{ scale: 0.0515, zeroPoint: 27 }, { scale: 0.0675, zeroPoint: 9 }, { scale: 0.00103, zeroPoint: 27 }, 'NONE'],
  rndDown: [{ scale: 0.184, zeroPoint: 66 }, { scale: 0.0105, zeroPoint: -39 }, { scale: 0.858, zeroPoint: -98 }, 'RELU_N1_TO_1'],
  signFix: [{ scale: 0.169, zeroPoint: 13 }, { scale: 0.0673, zeroPoint: -92 }, { scale: 1.72, zeroPoint: -30 }, 'NONE'],
  zpAfter: [{ scale: 0.000544, zeroPoint: -121 }, { scale: 0.01, zeroPoint: -124 }, { scale: 1.84, zeroPoint: -66 }, 'RELU'],
};

const ALL_INT8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);

describe('SUB', () => {
  describe('reference kernel', () => {
    it('subtracts real values (hand-checked)', () => {
      // 0.1·20 - 0.3·(-5-5) = 2 + 3 = 5 -> at scale 0.2, zero point 3: 25 + 3 = 28
      expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 }, [20], [-5])).to.deep.equal([28]);
      const q = { scale: 0.5, zeroPoint: 0 };
      expect(run([4], [4], [4], q, q, q, [10, -10, 127, -128], [4, 4, -128, 127])).to.deep.equal([6, -14, 127, -128]);
    });

    it('broadcasts in either operand and applies the fused activations', () => {
      const q = { scale: 1, zeroPoint: 0 };
      expect(run([2, 2], [2], [2, 2], q, q, q, [5, 6, 7, 8], [1, 2])).to.deep.equal([4, 4, 6, 6]);
      expect(run([1], [3], [3], q, q, q, [0], [1, 2, 3])).to.deep.equal([-1, -2, -3]);
      const qz = { scale: 0.5, zeroPoint: -128 };
      expect(run([3], [3], [3], qz, qz, qz, [-100, -120, -60], [-120, -100, -128], 'RELU6')).to.deep.equal([-116, -128, -116]);
      expect(run([3], [3], [3], qz, qz, qz, [-100, -120, -60], [-120, -100, -128], 'RELU_N1_TO_1')).to.deep.equal([-126, -128, -126]);
    });

    it("divides the scales in float32 as TFLite Micro's SUB does (not in double as its ADD)", () => {
      const { graph, op } = binaryGraph('SUB', [1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 0 });
      const p = sub.prepare(graph, op);
      const s1 = Math.fround(0.1);
      const twiceMax = Math.fround(2 * Math.fround(0.3));
      expect(p.input1Multiplier).to.equal(Math.round(Math.fround(s1 / twiceMax) * 4 * 2 ** 31));
      expect(p.input1Shift).to.equal(-2);
    });
  });

  it('rejects an output scale too small for the 20-bit headroom', () => {
    const tiny = binaryGraph('SUB', [2], [2], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, { scale: 1e-7, zeroPoint: 0 });
    expect(() => sub.check(tiny.graph, tiny.op)).to.throw(OpError, /too small/);
  });

  it('emitted C matches the reference kernel byte for byte on broadcast shapes and every activation', () => {
    const rand = rng(71);
    expectCMatchesReference(
      BROADCAST_SHAPES.map(([a, b, out], k) => {
        const { graph, op } = binaryGraph('SUB', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 0), {
          activation: ACTIVATIONS[k % 4],
        });
        return { def: sub, graph, op, inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))] };
      }),
    );
  });

  describe('common-scale kernel: input tables, SMMLAR requantization (binary_elementwise.ts)', () => {
    const pairsCase = (qa: Q, qb: Q, qo: Q, activation: FusedActivation, swap: boolean, isa?: CCase['isa']): CCase => {
      const [a, b] = swap
        ? [
            [1, 256],
            [256, 1],
          ]
        : [
            [256, 1],
            [1, 256],
          ];
      const { graph, op } = binaryGraph('SUB', a, b, [256, 256], qa, qb, qo, { activation });
      return { def: sub, graph, op, inputs: [ALL_INT8, ALL_INT8], ...(isa ? { isa } : {}) };
    };

    it('picks each output stage for the quantizations meant to reach it', () => {
      for (const [name, [qa, qb, qo, activation]] of Object.entries(SUB_STAGES)) {
        const { graph, op } = binaryGraph('SUB', [1], [1], [1], qa, qb, qo, { activation });
        const p = sub.prepare(graph, op);
        const k = planCommonScale(p, 20, -1, p.actMin, p.actMax);
        const o = k.output;
        const stage =
          o.kind === 'exact'
            ? 'exact'
            : o.zeroPointAfter !== 0
              ? 'zpAfter'
              : o.signFix
                ? 'signFix'
                : o.rnd === 2 ** (o.rsh - 1) + p.outputZeroPoint * 2 ** o.rsh
                  ? 'rnd0'
                  : 'rndDown';
        expect(stage, name).to.equal(name);
      }
    });

    it('equals the reference on all 65536 input pairs: every stage, random quantizations, either side broadcast', () => {
      const cases: CCase[] = [];
      for (const [qa, qb, qo, activation] of Object.values(SUB_STAGES)) {
        cases.push(pairsCase(qa, qb, qo, activation, false), pairsCase(qb, qa, qo, activation, true, { dsp: false, armv6m: true }));
      }
      const rand = rng(73);
      for (let k = 0; k < 10; k++) {
        const q = () => ({ scale: [0.003, 0.02, 0.1, 0.7][randomInt(rand, 0, 3)]! * (0.5 + rand()), zeroPoint: randomInt(rand, -128, 127) });
        const qa = q();
        const qb = k % 3 === 0 ? qa : q();
        const qo = q();
        const probe = binaryGraph('SUB', [1], [1], [1], qa, qb, qo, { activation: ACTIVATIONS[k % 4] });
        try {
          sub.check(probe.graph, probe.op);
        } catch {
          continue;
        }
        cases.push(pairsCase(qa, qb, qo, ACTIVATIONS[k % 4]!, k % 2 === 1));
      }
      expectCMatchesReference(cases);
    });

    it('handles element counts that are not a multiple of 4 and broadcast rows of 3', () => {
      const rand = rng(74);
      const shapes: [number[], number[], number[]][] = [
        [
          [1, 7, 3, 1],
          [1, 7, 3, 1],
          [1, 7, 3, 1],
        ],
        [[3], [3], [3]],
        [[1, 5, 5, 3], [3], [1, 5, 5, 3]],
        [
          [1, 7],
          [5, 1],
          [5, 7],
        ],
      ];
      expectCMatchesReference(
        shapes.flatMap(([a, b, out], k) => {
          const { graph, op } = binaryGraph('SUB', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 0), {
            activation: ACTIVATIONS[k % 4],
          });
          const inputs = [randomInt8(rand, count(a)), randomInt8(rand, count(b))];
          return [
            { def: sub, graph, op, inputs },
            { def: sub, graph, op, inputs, isa: { dsp: false, armv6m: true } },
          ];
        }),
      );
    });
  });

  describe('against TFLite Micro (tflm-ref), on models written by our writer', () => {
    /** All 65536 input pairs for every stage and for random quantizations over decades. */
    const pairCases = () => {
      const rand = rng(71);
      const pairs = (qa: Q, qb: Q, qo: Q, activation: FusedActivation, swap: boolean) => ({
        ...binaryGraph('SUB', swap ? [1, 256] : [256, 1], swap ? [256, 1] : [1, 256], [256, 256], qa, qb, qo, { activation }),
        inputs: [ALL_INT8, ALL_INT8],
      });
      const cases = Object.values(SUB_STAGES).map(([qa, qb, qo, act], k) => pairs(qa, qb, qo, act, k % 2 === 1));
      for (let k = 0; cases.length < 40; k++) {
        const qa = randomQ(rand, -8, 1);
        const qb = k % 5 === 0 ? qa : randomQ(rand, -8, 1);
        const qo = randomQ(rand, -8, 1);
        const probe = binaryGraph('SUB', [1], [1], [1], qa, qb, qo, { activation: ACTIVATIONS[k % 4] });
        try {
          sub.check(probe.graph, probe.op);
        } catch {
          continue;
        }
        cases.push(pairs(qa, qb, qo, ACTIVATIONS[k % 4]!, k % 2 === 1));
      }
      return cases;
    };

    it('agrees byte for byte on all 65536 input pairs for every stage and random quantizations over decades', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(sub, pairCases());
    });

    it('the emitted C (portable and Armv6-M) matches the reference kernel on those pairs', function () {
      const cases = pairCases().map((c) => ({ def: sub, ...c }));
      expectCMatchesReference([...cases, ...cases.map((c) => ({ ...c, isa: { dsp: false, armv6m: true } }))]);
    });

    it('agrees byte for byte with and without broadcasting, for every activation', function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(72);
      expectTflmAgrees(
        sub,
        Array.from({ length: 24 }, (_, k) => {
          const [a, b, out] = BROADCAST_SHAPES[k % BROADCAST_SHAPES.length]!;
          return {
            ...binaryGraph('SUB', a, b, out, randomQ(rand, -6, 0), randomQ(rand, -6, 0), randomQ(rand, -6, 0), { activation: ACTIVATIONS[k % 4] }),
            inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))],
          };
        }),
      );
    });
  });
});
