// SPDX-License-Identifier: Apache-2.0
/**
 * RELU and RELU6 on float32 (float_relu.ts): comparisons only, so -0, values past 6 and NaN
 * payloads come out as TFLite Micro's ReluFloat and Relu6Float leave them; tflm-ref and the emitted
 * C (host gcc, ASan + UBSan) give the reference bytes.
 */
import { expect } from 'chai';
import relu from '../../relu/index.ts';
import relu6 from '../../relu6/index.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../../test/helpers/op_checks.ts';
import { randomFloats } from '../../../../../test/helpers/float_cases.ts';

/** Special values: -0, +0, 6, just past 6, -inf, +inf and a NaN with a payload (0x7fc01234). */
function specials(nan = true): Float32Array {
  const f = Float32Array.from([-0, 0, 6, 6.000001, -Infinity, Infinity, 0, -1e-45]);
  if (nan) new Uint32Array(f.buffer)[6] = 0x7fc01234;
  return f;
}

/** `nan`: the NaN among the specials (the C test's harness writes inputs as float literals, which keep no payload). */
function cases(seed: number, nan = true): CCase[] {
  const rand = rng(seed);
  return [relu, relu6].flatMap((def) =>
    [[8], [3, 5], [1, 4, 4, 3]].map((shape, k) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const { graph, op } = singleOpGraph(def.kind, [{ shape, dtype: 'float32' }], [{ shape, dtype: 'float32' }]);
      return { def, graph, op, inputs: [k === 0 ? specials(nan) : randomFloats(rand, n, 8)] };
    }),
  );
}

describe('RELU and RELU6 float32', () => {
  it('keep -0 and a NaN payload, clamp at 0 and 6 (hand-checked)', () => {
    const { graph, op } = singleOpGraph('RELU6', [{ shape: [8], dtype: 'float32' }], [{ shape: [8], dtype: 'float32' }]);
    const out = evaluateOp(relu6, graph, op, [specials()])[0] as Float32Array;
    const bits = Array.from(new Uint32Array(out.buffer, out.byteOffset, 8), (u) => u.toString(16));
    // -0 < 0 is false: -0 stays; 6.000001 -> 6; -inf -> 0; +inf -> 6; the NaN passes; -1e-45 -> 0
    expect(bits).to.deep.equal(['80000000', '0', '40c00000', '40c00000', '0', '40c00000', '7fc01234', '0']);
  });
  it('TFLite Micro (tflm-ref) gives the same bytes', () => {
    const all = cases(31);
    expectTflmAgrees(
      relu,
      all.filter((c) => c.def === relu),
    );
    expectTflmAgrees(
      relu6,
      all.filter((c) => c.def === relu6),
    );
  });
  it('the emitted C gives the reference bytes', () => {
    expectCMatchesReference(cases(31, false));
  });
});
