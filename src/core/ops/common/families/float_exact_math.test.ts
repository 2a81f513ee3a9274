// SPDX-License-Identifier: Apache-2.0
/**
 * HARD_SWISH, RSQRT and L2_NORMALIZATION in float32: TFLite Micro's formulas with exactly rounded
 * steps only (sqrtf included), so the TS reference gives TFLite Micro's bits and the C the
 * reference's, on extreme inputs (zeros of both signs, subnormals, the largest finite values,
 * infinities) and many shapes.
 */
import { expect } from 'chai';
import hardSwish from '../../hard_swish/index.ts';
import rsqrt from '../../rsqrt/index.ts';
import l2Normalization from '../../l2_normalization/index.ts';
import { OpError } from '../../../errors.ts';
import { floatUlpBound } from './float_libm.ts';
import type { OpDef } from '../../op.ts';
import { rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../../test/helpers/tflm_ref.ts';
import { libmInputs } from '../../../../../test/helpers/float_libm_cases.ts';

const OPS: [string, OpDef, number[][], { positive?: boolean }][] = [
  ['HARD_SWISH', hardSwish, [[3000], [1, 4, 4, 3]], {}],
  // a negative input gives NaN, whose sign differs between x86 and Arm: checked by the ULP rule, not here
  ['RSQRT', rsqrt, [[3000], [2, 7]], { positive: true }],
  [
    'L2_NORMALIZATION',
    l2Normalization,
    [
      [1, 1],
      [30, 3],
      [2, 5, 5, 16],
      [4, 250],
    ],
    {},
  ],
];

function cases(kind: string, def: OpDef, shapes: number[][], o: { positive?: boolean }, seed: number) {
  const rand = rng(seed);
  return shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = libmInputs(rand, n, { nan: false, positive: o.positive });
    // L2: rows of one scale (a row with an infinity is all NaN, with a huge value all zeros)
    if (kind === 'L2_NORMALIZATION') for (let i = 0; i < n; i++) if (i % 9 !== 0 && !(Math.abs(x[i]!) < 1e6)) x[i] = Math.fround((i % 13) * 0.21 - 1.3);
    return { def, ...singleOpGraph(kind, [{ shape, dtype: 'float32' }], [{ shape, dtype: 'float32' }]), inputs: [x as unknown as Int8Array] };
  });
}

describe('float32 HARD_SWISH, RSQRT, L2_NORMALIZATION (exactly rounded: bit-exact)', () => {
  it('have no ULP bound: their outputs are compared bit for bit', () => {
    for (const [kind] of OPS) expect(floatUlpBound(kind), kind).to.equal(0);
  });

  it('L2_NORMALIZATION refuses a fused activation, as TFLite Micro does', () => {
    const { graph, op } = singleOpGraph('L2_NORMALIZATION', [{ shape: [1, 4], dtype: 'float32' }], [{ shape: [1, 4], dtype: 'float32' }], {
      activation: 'RELU',
    });
    expect(() => l2Normalization.check(graph, op)).to.throw(OpError, /activation/);
  });

  it('the emitted C gives the reference bits', () => {
    expectCMatchesReference(OPS.flatMap(([kind, def, shapes, o], k) => cases(kind, def, shapes, o, 300 + k)));
  });

  for (const [k, [kind, def, shapes, o]] of OPS.entries()) {
    it(`${kind} agrees with TFLite Micro bit for bit`, function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(
        def,
        cases(kind, def, shapes, o, 300 + k).map(({ graph, op, inputs }) => ({ graph, op, inputs })),
      );
    });
  }
});
