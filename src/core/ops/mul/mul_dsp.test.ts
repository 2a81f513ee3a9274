// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's Arm DSP variant (dsp.ts): the emitted C, on the host (gcc, ASan+UBSan, the plain C twins of
 * the DSP instructions), equals the reference kernel on all 65536 input pairs for random
 * quantizations (zero points at the int8 ends, scales over decades, left shifts included) and every
 * activation, through each of its paths: both inputs streamed four per word, and either input
 * broadcast as a scalar along the inner loop; then on random broadcasts.
 */
import { expect } from 'chai';
import mul from './index.ts';
import { planMulDsp } from './dsp.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { type CCase, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { extremeQ, randomBroadcastCases } from '../../../../test/helpers/random_cases.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import { selectVariant } from '../variant.ts';

const DSP = { dsp: true } as const;
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
// every pair (q1, q2) once: q1 = i >> 8, q2 = i & 255 (as int8)
const PAIRS1 = Int8Array.from({ length: 65536 }, (_, i) => (i >> 8) - 128);
const PAIRS2 = Int8Array.from({ length: 65536 }, (_, i) => (i & 255) - 128);
const ALL_INT8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);

describe('MUL Arm DSP variant (SIMD products, one SMMLAR)', () => {
  it('equals the reference on all 65536 input pairs for random quantizations, activations and each path', () => {
    const rand = rng(4242);
    const cases: CCase[] = [];
    const stages = new Set<string>();
    let dsp = 0;
    while (cases.length < 36) {
      const k = cases.length;
      const qa = extremeQ(rand, -8, 1);
      const qb = extremeQ(rand, -8, 1);
      const qo = k % 3 === 0 ? { scale: qa.scale * qb.scale * Math.exp(-2 + rand() * 8), zeroPoint: extremeQ(rand).zeroPoint } : extremeQ(rand, -8, 1);
      // flat (both streamed, the 65536 pairs enumerated; 65535 elements leave a tail of 3), or
      // [256,1] x [1,256] and its mirror (one input a scalar along the inner loop)
      const path = Math.floor(k / 4) % 3;
      const n = k % 2 === 0 ? 65536 : 65535;
      const [sa, sb, so] =
        path === 0
          ? [[n], [n], [n]]
          : path === 1
            ? [
                [256, 1],
                [1, 256],
                [256, 256],
              ]
            : [
                [1, 256],
                [256, 1],
                [256, 256],
              ];
      const { graph, op } = singleOpGraph(
        'MUL',
        [
          { shape: sa, ...qa },
          { shape: sb, ...qb },
        ],
        [{ shape: so, ...qo }],
        { activation: ACTIVATIONS[k % 4] },
      );
      try {
        mul.check(graph, op);
      } catch {
        continue;
      }
      const p = mul.prepare(graph, op);
      const stage = planMulDsp(p);
      if (selectVariant(mul, p, DSP).name === 'dsp') {
        dsp++;
        stages.add(`${stage!.signFix}/${stage!.zeroPointAfter !== 0}/${stage!.lsh1 > 1}`);
      }
      const inputs = path === 0 ? [PAIRS1.subarray(0, n), PAIRS2.subarray(0, n)] : [ALL_INT8, ALL_INT8];
      cases.push({ def: mul, graph, op, inputs, isa: DSP });
    }
    expect(dsp).to.be.greaterThan(cases.length * 0.8);
    expect(stages.size, [...stages].join(' ')).to.be.greaterThan(2);
    expectCMatchesReference(cases);
  });

  it('equals the reference on random broadcasts and data', () => {
    const cases = randomBroadcastCases(mul, rng(78), 40, DSP);
    const dsp = cases.filter((c) => selectVariant(mul, mul.prepare(c.graph, c.op), DSP).name === 'dsp').length;
    expect(cases.length).to.be.greaterThan(30);
    expect(dsp).to.be.greaterThan(cases.length / 2);
    expectCMatchesReference(cases);
  });
});
