// SPDX-License-Identifier: Apache-2.0
/**
 * RESIZE_BILINEAR float32 (resize_bilinear_float.ts): TFLite Micro's float positions and weights and
 * its order of products and sums, checked byte for byte against tflm-ref on a sweep of shapes in
 * the three modes (asymmetric, align_corners, half_pixel_centers), up- and downscaling, and the
 * emitted C (host gcc, ASan + UBSan) gives the same bytes. The emulated targets run it in the float
 * fuzzer (test/fuzz/float.test.ts).
 */
import { expect } from 'chai';
import resizeBilinear from './index.ts';
import { floatInterpolation, floatScale } from './resize_bilinear_float.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { randomFloats } from '../../../../test/helpers/float_cases.ts';

const F = 'float32' as const;

function graphOf(shape: [number, number, number, number], outH: number, outW: number, alignCorners = false, halfPixelCenters = false) {
  const [b, , , c] = shape;
  return singleOpGraph(
    'RESIZE_BILINEAR',
    [
      { shape, dtype: F },
      { shape: [2], dtype: 'int32', data: Int32Array.from([outH, outW]) },
    ],
    [{ shape: [b, outH, outW, c], dtype: F }],
    { alignCorners, halfPixelCenters },
  );
}

function sweep(seed: number, n: number): CCase[] {
  const rand = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  return Array.from({ length: n }, (_, k) => {
    const shape: [number, number, number, number] = [1 + (k % 2), int(1, 6), int(1, 6), int(1, 5)];
    const mode = k % 3;
    const { graph, op } = graphOf(shape, int(1, 11), int(1, 11), mode === 1, mode === 2);
    return {
      def: resizeBilinear,
      graph,
      op,
      inputs: [
        randomFloats(
          rand,
          shape.reduce((a, d) => a * d, 1),
        ),
      ],
    };
  });
}

describe('RESIZE_BILINEAR float32', () => {
  it("computes TFLite's float positions and weights (hand-checked)", () => {
    expect(floatScale(2, 3, false)).to.equal(Math.fround(2 / 3));
    expect(floatScale(3, 5, true)).to.equal(0.5);
    // half-pixel: row 0 of 4 from 2 sits at -0.25: rows 0 and 0, weights 1.25 and -0.25
    expect(floatInterpolation(0, 0.5, true, 2)).to.deep.equal({ lo: 0, hi: 0, wLo: 1.25, wHi: -0.25 });
    expect(floatInterpolation(3, 0.5, true, 2)).to.deep.equal({ lo: 1, hi: 1, wLo: 0.75, wHi: 0.25 });
  });

  it('interpolates in float32 and adds 0.0f (a -0 input gives +0)', () => {
    const g = graphOf([1, 2, 2, 1], 3, 3);
    const out = evaluateOp(resizeBilinear, g.graph, g.op, [Float32Array.from([-0, 1, 2, 4])])[0] as Float32Array;
    expect(Object.is(out[0], 0)).to.equal(true);
    expect(out[8]).to.equal(4);
    // (0, 1): the top right pixel's weight dx = 2/3 (float32), the other products zero
    expect(out[1]).to.equal(Math.fround(2 / 3));
    expectTflmAgrees(resizeBilinear, [{ graph: g.graph, op: g.op, inputs: [Float32Array.from([-0, 1, 2, 4])] }]);
  });

  it('TFLite Micro (tflm-ref) gives the same bytes on 45 random layers in the three modes', () => {
    expectTflmAgrees(resizeBilinear, sweep(307, 45));
  });

  it('the emitted C gives the reference bytes', () => {
    expectCMatchesReference(sweep(307, 45));
  });

  it('refuses align_corners with half_pixel_centers', () => {
    const both = graphOf([1, 2, 2, 1], 4, 4, true, true);
    expect(() => resizeBilinear.check(both.graph, both.op)).to.throw(OpError, /align_corners and half_pixel_centers cannot both be set/);
  });
});
