// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's Armv6-M variant (m0plus.ts): the emitted C, on the host (gcc, ASan+UBSan), equals the
 * reference kernel on all 65536 input pairs for random quantizations (zero points at the int8 ends,
 * scales over decades, left shifts included) and every activation, and on random broadcasts.
 */
import { expect } from 'chai';
import mul from './index.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { type CCase, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { extremeQ, randomBroadcastCases } from '../../../../test/helpers/random_cases.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import { selectVariant } from '../variant.ts';

const ARMV6M = { dsp: false, armv6m: true } as const;
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const ALL_INT8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);

describe('MUL Armv6-M variant (three 32-bit products)', () => {
  it('equals the reference on all 65536 input pairs for random quantizations and activations', () => {
    const rand = rng(1313);
    const cases: CCase[] = [];
    let armv6m = 0;
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
      // a left shift (an output scale below twice s1·s2: outputs mostly saturate) may not fit the split
      const p = mul.prepare(graph, op);
      if (selectVariant(mul, p, ARMV6M).name === 'armv6m') armv6m++;
      else expect(p.shift, 'only layers with a left shift keep the portable kernel').to.be.greaterThan(0);
      cases.push({ def: mul, graph, op, inputs: [ALL_INT8, ALL_INT8], isa: ARMV6M });
    }
    expect(armv6m).to.be.greaterThan(cases.length * 0.6);
    expectCMatchesReference(cases);
  });

  it('equals the reference on random broadcasts and data', () => {
    const cases = randomBroadcastCases(mul, rng(77), 30, ARMV6M);
    expect(cases.length).to.be.greaterThan(20);
    expectCMatchesReference(cases);
  });
});
