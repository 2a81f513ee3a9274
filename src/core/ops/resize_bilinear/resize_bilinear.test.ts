// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import resizeBilinear, { interpolation, scale10 } from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import { expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.05, zeroPoint: 0 };

function graphOf(shape: [number, number, number, number], outH: number, outW: number, alignCorners = false, halfPixelCenters = false) {
  const [b, , , c] = shape;
  return singleOpGraph(
    'RESIZE_BILINEAR',
    [
      { shape, ...Q },
      { shape: [2], dtype: 'int32', data: Int32Array.from([outH, outW]) },
    ],
    [{ shape: [b, outH, outW, c], ...Q }],
    { alignCorners, halfPixelCenters },
  );
}

describe('RESIZE_BILINEAR', () => {
  it("computes TFLite's Q10 scales and interpolation positions", () => {
    expect(scale10(2, 3, false)).to.equal(683);
    expect(scale10(3, 5, true)).to.equal(512);
    expect(interpolation(1, 683, false, 2)).to.deep.equal({ lo: 0, hi: 1, frac: 683 });
    expect(interpolation(2, 683, false, 2)).to.deep.equal({ lo: 1, hi: 1, frac: 342 });
    // half-pixel: the first row sits before the input, weight outside [0, 1024] on one pixel
    expect(interpolation(0, 512, true, 4)).to.deep.equal({ lo: 0, hi: 0, frac: -256 });
  });

  it('interpolates in Q20 and rounds half away from zero (hand-checked)', () => {
    const g = graphOf([1, 2, 2, 1], 3, 3);
    const out = Array.from(evaluateOp(resizeBilinear, g.graph, g.op, [Int8Array.from([0, 100, -100, 50])])[0] as Int8Array);
    // (0,1): 100·1024·683 / 2^20 = 66.7 -> 67; (1,1): 50·683² / 2^20 = 22.2 -> 22; (2,2): 50
    expect(out[1]).to.equal(67);
    expect(out[4]).to.equal(22);
    expect(out[8]).to.equal(50);
    expect(out[0]).to.equal(0);
    // (1,0): -100·683·1024 / 2^20 = -66.7 -> -67 (away from zero)
    expect(out[3]).to.equal(-67);
  });

  it('rejects int16, align_corners with half_pixel_centers, and a computed size', () => {
    const i16 = singleOpGraph(
      'RESIZE_BILINEAR',
      [
        { shape: [1, 2, 2, 1], dtype: 'int16', ...Q },
        { shape: [2], dtype: 'int32', data: Int32Array.from([4, 4]) },
      ],
      [{ shape: [1, 4, 4, 1], dtype: 'int16', ...Q }],
    );
    expect(() => resizeBilinear.check(i16.graph, i16.op)).to.throw(OpError, /only int8 is supported/);
    const both = graphOf([1, 2, 2, 1], 4, 4, true, true);
    expect(() => resizeBilinear.check(both.graph, both.op)).to.throw(OpError, /align_corners and half_pixel_centers cannot both be set/);
  });

  it('emitted C matches the reference kernel (up/down scaling, every mode, values at the int8 extremes)', () => {
    const rand = rng(16);
    const cases: CCase[] = [];
    for (let k = 0; k < 9; k++) {
      const shape: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 7), randomInt(rand, 1, 7), randomInt(rand, 1, 4)];
      const n = shape.reduce((a, b) => a * b, 1);
      const x = k === 0 ? Int8Array.from({ length: n }, (_, i) => (i % 2 ? 127 : -128)) : randomInt8(rand, n);
      cases.push({ def: resizeBilinear, ...graphOf(shape, randomInt(rand, 1, 11), randomInt(rand, 1, 11), k % 3 === 1, k % 3 === 2), inputs: [x] });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(resizeBilinear, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  // Desktop TFLite resizes int8 with its optimized float kernel and differs by one step on some
  // outputs; the reference is TFLite Micro's integer kernel (Q10 positions, Q20 sums).
  it('agrees with TFLite Micro byte for byte (up/down scaling, every mode, hand-checked case, extremes)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(7);
    const cases: Omit<CCase, 'def'>[] = [{ ...graphOf([1, 2, 2, 1], 3, 3), inputs: [Int8Array.from([0, 100, -100, 50])] }];
    for (let k = 0; k < 60; k++) {
      const shape: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 8), randomInt(rand, 1, 8), randomInt(rand, 1, 4)];
      const n = shape.reduce((a, b) => a * b, 1);
      const x = k % 10 === 0 ? Int8Array.from({ length: n }, (_, i) => (i % 2 ? 127 : -128)) : randomInt8(rand, n);
      cases.push({ ...graphOf(shape, randomInt(rand, 1, 13), randomInt(rand, 1, 13), k % 3 === 1, k % 3 === 2), inputs: [x] });
    }
    // large up- and down-scaling factors, values at the int8 extremes
    for (const [ih, iw, oh, ow, align, half] of [
      [2, 2, 60, 50, false, false],
      [2, 3, 64, 64, false, true],
      [30, 30, 3, 4, false, true],
      [3, 3, 64, 80, true, false],
      [1, 1, 20, 20, false, true],
      [40, 1, 3, 33, false, true],
    ] as [number, number, number, number, boolean, boolean][]) {
      const x = Int8Array.from({ length: ih * iw * 2 }, (_, i) => [-128, 127, randomInt(rand, -128, 127)][i % 3]!);
      cases.push({ ...graphOf([1, ih, iw, 2], oh, ow, align, half), inputs: [x] });
    }
    expectTflmAgrees(resizeBilinear, cases);
  });
});
