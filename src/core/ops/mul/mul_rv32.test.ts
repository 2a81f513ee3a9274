// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's RV32 variant (rv32.ts): the emitted C, on the host (gcc, ASan+UBSan), equals the
 * reference kernel on all 65536 input pairs for random quantizations (zero points at the int8 ends,
 * scales over decades, left shifts included) and every activation, in both of its stages, and on
 * random broadcasts.
 */
import { expect } from 'chai';
import mul from './index.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { type CCase, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { extremeQ, randomBroadcastCases } from '../../../../test/helpers/random_cases.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import { selectVariant } from '../variant.ts';
import { planMulRv32 } from './rv32.ts';

const RV32 = { dsp: false, rv32: true } as const;
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const ALL_INT8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);

describe('MUL RV32 variant (MULH)', () => {
  it('equals the reference on all 65536 input pairs for random quantizations and activations', () => {
    const rand = rng(1414);
    const cases: CCase[] = [];
    const stages = { fast: 0, exact: 0 };
    while (cases.length < 24) {
      const k = cases.length;
      // output scales from far below to above the product of the input scales (left shifts too)
      const qa = extremeQ(rand, -8, 1);
      const qb = extremeQ(rand, -8, 1);
      const qo = k % 3 === 0 ? { scale: qa.scale * qb.scale * Math.exp(-2 + rand() * 8), zeroPoint: extremeQ(rand).zeroPoint } : extremeQ(rand, -8, 1);
      const { graph, op } = singleOpGraph(
        'MUL',
        [
          { shape: [256, 1], ...qa },
          { shape: [1, 256], ...qb },
        ],
        [{ shape: [256, 256], ...qo }],
        {
          activation: ACTIVATIONS[k % 4],
        },
      );
      try {
        mul.check(graph, op);
      } catch {
        continue;
      }
      // every layer runs the variant: the fast stage where it is exact, else the exact stage
      const p = mul.prepare(graph, op);
      expect(selectVariant(mul, p, RV32).name).to.equal('rv32');
      stages[planMulRv32(p)!.exact ? 'exact' : 'fast']++;
      cases.push({ def: mul, graph, op, inputs: [ALL_INT8, ALL_INT8], isa: RV32 });
    }
    // both stages run here
    expect(stages.fast).to.be.greaterThan(0);
    expect(stages.exact).to.be.greaterThan(0);
    expectCMatchesReference(cases);
  });

  it('runs the wide stage (p << (left + 1) past int32) exactly on all 65536 input pairs', () => {
    const rand = rng(2718);
    const cases: CCase[] = [];
    for (let attempt = 0; cases.length < 16 && attempt < 400; attempt++) {
      const k = cases.length;
      const qa = extremeQ(rand, -8, 1);
      const qb = extremeQ(rand, -8, 1);
      // output scales 2^8 to 2^30 finer than the product of the input scales: left shifts of 8 to 30
      const qo = { scale: qa.scale * qb.scale * 2 ** -(8 + rand() * 22), zeroPoint: extremeQ(rand).zeroPoint };
      const { graph, op } = singleOpGraph(
        'MUL',
        [
          { shape: [256, 1], ...qa },
          { shape: [1, 256], ...qb },
        ],
        [{ shape: [256, 256], ...qo }],
        { activation: ACTIVATIONS[k % 4] },
      );
      try {
        mul.check(graph, op);
      } catch {
        continue;
      }
      const p = mul.prepare(graph, op);
      const st = planMulRv32(p);
      if (!st?.wide) continue;
      expect(selectVariant(mul, p, RV32).name).to.equal('rv32');
      cases.push({ def: mul, graph, op, inputs: [ALL_INT8, ALL_INT8], isa: RV32 });
    }
    expect(cases.length).to.equal(16);
    expectCMatchesReference(cases);
  });

  it('equals the reference on random broadcasts and data', () => {
    const cases = randomBroadcastCases(mul, rng(78), 30, RV32);
    expect(cases.length).to.be.greaterThan(20);
    expectCMatchesReference(cases);
  });
});
