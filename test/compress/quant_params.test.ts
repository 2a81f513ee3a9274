// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import {
  SOFTMAX_OUTPUT_QUANT,
  activationQuant,
  dequantizeTensorValues,
  quantizeBias,
  quantizeTensorValues,
  quantizeValue,
  quantizeWeights,
} from '../../src/compress/quant_params.ts';

describe('compress/quant_params', () => {
  describe('activationQuant', () => {
    it('maps [0, 1] to scale 1/255 and zero point -128 (an MNIST image)', () => {
      const q = activationQuant({ min: 0, max: 1 });
      expect(q.scale).to.deep.equal([Math.fround(1 / 255)]);
      expect(q.zeroPoint).to.deep.equal([-128]);
    });

    it('widens a range to contain 0, so that real 0 is exact', () => {
      expect(activationQuant({ min: 2, max: 5 })).to.deep.equal(activationQuant({ min: 0, max: 5 }));
      expect(activationQuant({ min: -5, max: -2 })).to.deep.equal(activationQuant({ min: -5, max: 0 }));
      const allNegative = activationQuant({ min: -5, max: -2 });
      expect(allNegative.zeroPoint).to.deep.equal([127]);
    });

    for (const [min, max] of [
      [-1, 1],
      [-0.3, 7.9],
      [-100, 3],
      [-1e-3, 2e-3],
      [0, 6],
    ] as const) {
      it(`covers [${min}, ${max}] within half a step, with z = round(-128 - min/s)`, () => {
        const q = activationQuant({ min, max });
        const s = q.scale[0]!;
        const z = q.zeroPoint[0]!;
        expect(s).to.equal(Math.fround((max - Math.min(min, 0)) / 255));
        expect(z).to.be.within(-128, 127);
        expect(Number.isInteger(z)).to.equal(true);
        // the representable interval [s(-128 - z), s(127 - z)] reaches both ends up to rounding of z
        expect(s * (-128 - z)).to.be.at.most(Math.min(min, 0) + s / 2 + 1e-12);
        expect(s * (127 - z)).to.be.at.least(max - s / 2 - 1e-12);
        expect(quantizeValue(0, s, z)).to.equal(z);
      });
    }

    it('gives an all-zero tensor a usable scale', () => {
      const q = activationQuant({ min: 0, max: 0 });
      expect(q.scale[0]).to.be.greaterThan(0);
      expect(q.zeroPoint).to.deep.equal([-128]);
    });

    it('rejects a non-finite range', () => {
      expect(() => activationQuant({ min: -Infinity, max: 1 })).to.throw(RangeError);
    });
  });

  it('fixes softmax output at 1/256, zero point -128', () => {
    expect(SOFTMAX_OUTPUT_QUANT).to.deep.equal({ scale: [1 / 256], zeroPoint: [-128], axis: 0 });
  });

  describe('quantizeValue', () => {
    it('rounds half away from zero and clamps', () => {
      expect(quantizeValue(0.5, 1, 0)).to.equal(1);
      expect(quantizeValue(-0.5, 1, 0)).to.equal(-1);
      expect(quantizeValue(2.5, 1, 10)).to.equal(13);
      expect(quantizeValue(1000, 1, 0)).to.equal(127);
      expect(quantizeValue(-1000, 1, 0)).to.equal(-128);
      expect(quantizeValue(-1000, 1, 0, -127, 127)).to.equal(-127);
    });

    it('round-trips through quantizeTensorValues / dequantizeTensorValues within half a step', () => {
      const quant = activationQuant({ min: -1.3, max: 2.1 });
      const values = Array.from({ length: 101 }, (_, i) => -1.3 + (3.4 * i) / 100);
      const back = dequantizeTensorValues(quantizeTensorValues(values, quant), quant);
      values.forEach((v, i) => expect(Math.abs(back[i]! - v)).to.be.at.most(quant.scale[0]! / 2 + 1e-6));
    });
  });

  describe('quantizeWeights', () => {
    // a [3, 2, 2] tensor: channel c along axis 0 holds 4 values
    const values = Float32Array.from([0.5, -1.0, 0.25, 0.75, /* c1 */ 0, 0, 0, 0, /* c2 */ 3, -2, 1, 0.001]);

    it('per channel: s_c = max|w_c| / 127, ±127 at the largest weight, zero points 0', () => {
      const q = quantizeWeights(values, [3, 2, 2], 0);
      expect(q.quant.scale).to.deep.equal([Math.fround(1 / 127), 1, Math.fround(3 / 127)]);
      expect(q.quant.zeroPoint).to.deep.equal([0, 0, 0]);
      expect(q.quant.axis).to.equal(0);
      expect(Array.from(q.values)).to.deep.equal([64, -127, 32, 95, 0, 0, 0, 0, 127, -85, 42, 0]);
    });

    it('per channel along the last axis (depthwise filters [1, kh, kw, C])', () => {
      // channel = index % 2
      const q = quantizeWeights(Float32Array.from([1, 0.1, -2, 0.2, 0.5, -0.4]), [1, 1, 3, 2], 3);
      expect(q.quant.scale).to.deep.equal([Math.fround(2 / 127), Math.fround(0.4 / 127)]);
      expect(q.values[2]).to.equal(-127);
      expect(q.values[5]).to.equal(-127);
      expect(q.quant.axis).to.equal(3);
    });

    it('per tensor when no axis is given', () => {
      const q = quantizeWeights(values, [3, 2, 2], undefined);
      expect(q.quant.scale).to.deep.equal([Math.fround(3 / 127)]);
      expect(q.quant.zeroPoint).to.deep.equal([0]);
      for (let i = 0; i < values.length; i++) {
        expect(Math.abs(q.values[i]! * q.quant.scale[0]! - values[i]!)).to.be.at.most(q.quant.scale[0]! / 2 + 1e-7);
      }
    });
  });

  describe('quantizeBias', () => {
    it('uses scale s_in * s_w[c] in float32 and rounds half away from zero', () => {
      const sIn = 0.02;
      const sW = [0.01, 0.5];
      const q = quantizeBias([0.0011, -0.015], sIn, sW);
      const s0 = Math.fround(Math.fround(sIn) * Math.fround(sW[0]!));
      const s1 = Math.fround(Math.fround(sIn) * Math.fround(sW[1]!));
      expect(q.quant.scale).to.deep.equal([s0, s1]);
      expect(q.quant.zeroPoint).to.deep.equal([0, 0]);
      expect(Array.from(q.values)).to.deep.equal([Math.round(0.0011 / s0), -Math.round(0.015 / s1)]);
    });

    it('with per-tensor weights gives one scale for every element', () => {
      const q = quantizeBias([1, 2, 3], 0.5, [0.25]);
      expect(q.quant.scale).to.deep.equal([0.125]);
      expect(Array.from(q.values)).to.deep.equal([8, 16, 24]);
    });

    it('saturates at the int32 range', () => {
      const q = quantizeBias([1e10, -1e10], 1e-3, [1e-3]);
      expect(Array.from(q.values)).to.deep.equal([2147483647, -2147483648]);
    });
  });
});
