// SPDX-License-Identifier: Apache-2.0
/**
 * ADD, SUB, MUL and DIV on float32 (float_arithmetic.ts): TFLite Micro (tflm-ref) gives the same
 * bytes on every broadcast shape and fused activation, and the emitted C (host gcc, ASan + UBSan)
 * gives the reference bytes.
 */
import { expect } from 'chai';
import add from '../../add/index.ts';
import sub from '../../sub/index.ts';
import mul from '../../mul/index.ts';
import div from '../../div/index.ts';
import type { OpDef } from '../../op.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { BROADCAST_SHAPES, count, expectCMatchesReference, expectTflmAgrees } from '../../../../../test/helpers/op_checks.ts';
import { FLOAT_ACTIVATIONS, randomFloats } from '../../../../../test/helpers/float_cases.ts';

const DEFS: [string, OpDef][] = [
  ['ADD', add],
  ['SUB', sub],
  ['MUL', mul],
  ['DIV', div],
];

/**
 * DIV's divisors without zeros: 0/0 makes a NaN whose bits differ between x86 (0xffc00000) and Arm
 * (the default NaN 0x7fc00000), so no two targets agree on them; x/0 = inf is exact and stays.
 */
function divisor(kind: string, values: Float32Array): Float32Array {
  return kind === 'DIV' ? values.map((v) => (v === 0 ? 0.5 : v)) : values;
}

function cases(kind: string, def: OpDef, seed: number): CCase[] {
  const rand = rng(seed);
  return BROADCAST_SHAPES.flatMap(([a, b, out], s) =>
    FLOAT_ACTIVATIONS.filter((_, k) => (k + s) % 2 === 0).map((activation, k) => {
      // a constant second operand on every other case (weights folded in by the converter)
      const constant = (s + k) % 2 === 1;
      const { graph, op } = singleOpGraph(
        kind,
        [
          { shape: a, dtype: 'float32' },
          { shape: b, dtype: 'float32', ...(constant ? { data: divisor(kind, randomFloats(rand, count(b))) } : {}) },
        ],
        [{ shape: out, dtype: 'float32' }],
        { activation },
      );
      const inputs = constant ? [randomFloats(rand, count(a))] : [randomFloats(rand, count(a)), divisor(kind, randomFloats(rand, count(b)))];
      return { def, graph, op, inputs };
    }),
  );
}

describe('ADD, SUB, MUL, DIV float32', () => {
  it('clamps x1 op x2 to the fused activation, -0 kept (hand-checked)', () => {
    const { graph, op } = singleOpGraph(
      'ADD',
      [
        { shape: [4], dtype: 'float32' },
        { shape: [4], dtype: 'float32' },
      ],
      [{ shape: [4], dtype: 'float32' }],
      { activation: 'RELU6' },
    );
    const out = evaluateOp(add, graph, op, [Float32Array.from([-0, 5, 1e30, -3]), Float32Array.from([-0, 2, 1, 1])])[0] as Float32Array;
    // -0 + -0 = -0, kept by the clamp (-0 < 0 is false); 7 -> 6; 1e30 -> 6; -2 -> 0
    expect(Object.is(out[0], -0)).to.equal(true);
    expect(Array.from(out)).to.deep.equal([-0, 6, 6, 0]);
  });

  for (const [kind, def] of DEFS) {
    it(`${kind}: TFLite Micro (tflm-ref) gives the same bytes on every broadcast shape`, () => {
      expectTflmAgrees(def, cases(kind, def, 7));
    });
    it(`${kind}: the emitted C gives the reference bytes`, () => {
      expectCMatchesReference(cases(kind, def, 7));
    });
  }
});
