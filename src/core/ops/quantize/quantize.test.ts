// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import quantize from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type TensorBuffer, toBytes } from '../../ir/buffers.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import type { KernelIsa } from '../op.ts';
import { selectVariant } from '../variant.ts';

function floatGraph(n: number, scale: number, zeroPoint: number, outType: DType = 'int8') {
  return singleOpGraph('QUANTIZE', [{ shape: [n], dtype: 'float32' }], [{ shape: [n], dtype: outType, scale, zeroPoint }]);
}

function requantGraph(n: number, inQ: [number, number], outQ: [number, number], inType: DType = 'int8', outType: DType = 'int8') {
  return singleOpGraph(
    'QUANTIZE',
    [{ shape: [n], dtype: inType, scale: inQ[0], zeroPoint: inQ[1] }],
    [{ shape: [n], dtype: outType, scale: outQ[0], zeroPoint: outQ[1] }],
  );
}

function values(buf: TensorBuffer): number[] {
  return Array.from(buf as ArrayLike<number>);
}

describe('QUANTIZE', () => {
  describe('float32 -> int8', () => {
    it('rounds half away from zero, adds the zero point and clamps (NaN -> zero point, infinities clamp)', () => {
      const x = [0, 0.25, -0.25, 0.75, 1.0, -1.26, 100, -100, NaN, Infinity, -Infinity];
      const { graph, op } = floatGraph(x.length, 0.5, -10);
      expect(values(evaluateOp(quantize, graph, op, [Float32Array.from(x)])[0]!)).to.deep.equal([-10, -9, -11, -8, -8, -13, 127, -128, -10, 127, -128]);
    });

    it('divides in float32, as TFLite does, not in double', () => {
      // 0.25 / float(0.1) is 2.49999996 in double but exactly 2.5 once rounded to float32
      const { graph, op } = floatGraph(2, 0.1, 0);
      expect(values(evaluateOp(quantize, graph, op, [Float32Array.from([0.25, -0.25])])[0]!)).to.deep.equal([3, -3]);
    });

    it('also quantizes to int16', () => {
      const { graph, op } = floatGraph(3, 1 / 1024, 0, 'int16');
      expect(values(evaluateOp(quantize, graph, op, [Float32Array.from([1, -40, 31.99])])[0]!)).to.deep.equal([1024, -32768, 32758]);
    });
  });

  describe('int8 -> int8 requantize', () => {
    it("scales by s_in / s_out with TFLite's multiplier (ties of negative values round up)", () => {
      const a = requantGraph(5, [0.5, 0], [0.25, 5]);
      expect(values(evaluateOp(quantize, a.graph, a.op, [Int8Array.from([10, -10, 100, -100, 0])])[0]!)).to.deep.equal([25, -15, 127, -128, 5]);
      // 1.5x: 1.5 -> 2 but -1.5 -> -1 and -4.5 -> -4 (SaturatingRoundingDoublingHighMul's ties)
      const b = requantGraph(4, [0.375, 0], [0.25, 0]);
      expect(values(evaluateOp(quantize, b.graph, b.op, [Int8Array.from([1, -1, 3, -3])])[0]!)).to.deep.equal([2, -1, 5, -4]);
    });

    it('takes the ratio of the float32 scales in double', () => {
      // float(0.9) / float(0.6) is just under 1.5, so 1 -> 1; float(0.3) / float(0.2) is just over: 1 -> 2
      const under = requantGraph(1, [0.9, 0], [0.6, 0]);
      expect(values(evaluateOp(quantize, under.graph, under.op, [Int8Array.from([1])])[0]!)).to.deep.equal([1]);
      const over = requantGraph(1, [0.3, 0], [0.2, 0]);
      expect(values(evaluateOp(quantize, over.graph, over.op, [Int8Array.from([1])])[0]!)).to.deep.equal([2]);
    });

    it('rejects s_in / s_out of 2^31 or more (TFLite would shift an int32 left by 32: undefined)', () => {
      const ok = requantGraph(1, [0.01, 0], [0.01 / 2 ** 30.9, 0]);
      expect(() => quantize.check(ok.graph, ok.op)).to.not.throw();
      const bad = requantGraph(1, [0.01, 0], [0.01 / 3e9, 0]);
      expect(() => quantize.check(bad.graph, bad.op)).to.throw(OpError, /is 2\^31 or more/);
    });

    it('handles zero points -128 and 127', () => {
      const { graph, op } = requantGraph(3, [0.1, -128], [0.1, 127]);
      expect(values(evaluateOp(quantize, graph, op, [Int8Array.from([-128, -127, 127])])[0]!)).to.deep.equal([127, 127, 127]);
      const back = requantGraph(3, [0.1, 127], [0.1, -128]);
      expect(values(evaluateOp(quantize, back.graph, back.op, [Int8Array.from([127, 126, -128])])[0]!)).to.deep.equal([-128, -128, -128]);
    });
  });

  describe('check', () => {
    it('rejects a float output, per-channel quantization and a size mismatch', () => {
      const f = singleOpGraph('QUANTIZE', [{ shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'float32' }]);
      expect(() => quantize.check(f.graph, f.op)).to.throw(OpError, /output tensor 1 "out1" is float32; only int8/);
      const pc = singleOpGraph('QUANTIZE', [{ shape: [2], dtype: 'float32' }], [{ shape: [2], scale: [0.1, 0.2], zeroPoint: [0, 0] }]);
      expect(() => quantize.check(pc.graph, pc.op)).to.throw(OpError, /per channel/);
      const sz = singleOpGraph('QUANTIZE', [{ shape: [3], dtype: 'float32' }], [{ shape: [2], scale: 0.1, zeroPoint: 0 }]);
      expect(() => quantize.check(sz.graph, sz.op)).to.throw(OpError, /differ in size/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte (float and requantize, int8 and int16)', () => {
      const rand = rng(17);
      const cases: CCase[] = [];
      for (let k = 0; k < 4; k++) {
        const n = randomInt(rand, 1, 300);
        const floats = Float32Array.from({ length: n }, () => (rand() - 0.5) * 20 * (k + 1));
        floats[0] = 0.25; // the float32-division case
        if (n > 4) floats.set([NaN, Infinity, -Infinity, 1e30], 1);
        const { graph, op } = floatGraph(n, [0.1, 0.05, 0.3, 1 / 1024][k]!, randomInt(rand, -128, 127), k === 3 ? 'int16' : 'int8');
        cases.push({ def: quantize, graph, op, inputs: [floats] });
      }
      for (let k = 0; k < 4; k++) {
        const n = randomInt(rand, 1, 300);
        const inQ: [number, number] = [0.01 + rand(), randomInt(rand, -128, 127)];
        const outQ: [number, number] = [0.01 + rand(), randomInt(rand, -128, 127)];
        const { graph, op } = requantGraph(n, inQ, outQ, 'int8', k === 3 ? 'int16' : 'int8');
        cases.push({ def: quantize, graph, op, inputs: [randomInt8(rand, n)] });
      }
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(quantize, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('Armv6-M requantization (32-bit products, no 64-bit multiply)', () => {
    const ARMV6M: KernelIsa = { dsp: false, armv6m: true };
    it('equals the reference on every input value: int8, uint8 and int16 in, left and right shifts, zero points at the ends', () => {
      const all = (t: DType) =>
        t === 'int16'
          ? Int16Array.from({ length: 65536 }, (_, i) => i - 32768)
          : t === 'uint8'
            ? Uint8Array.from({ length: 256 }, (_, i) => i)
            : Int8Array.from(ALL_INT8);
      // [in type, in scale, in zero point, out type, out scale, out zero point]
      const layers: [DType, number, number, DType, number, number][] = [
        ['int16', 0.0005, 0, 'int8', (0.0005 * 64) / 0.6755, -128], // keyword_scrambled's input (shift -6)
        ['int16', 1, -32768, 'int8', 1 / 3, 127], // a left shift with zero points at both ends
        ['int16', 1, 12, 'int16', 1e-4, -32768], // s_in/s_out ~ 2^13: the product near the int32 limits
        ['int16', 1, 0, 'int16', 1.5e-5, 5], // s_in/s_out ~ 2^16: the portable kernel (x << 17 may leave int32)
        ['int16', 1e-9, 7, 'int16', 1, 0], // a right shift of 29
        ['int8', 0.02, -128, 'int8', 0.5, 127],
        ['int8', 1, 127, 'int16', 1e-3, -300],
        ['int8', 0.3, 5, 'uint8', 0.07, 0],
        ['uint8', 0.2, 128, 'int8', 0.2, 0],
        ['uint8', 0.9, 255, 'int8', 0.0131, -3],
      ];
      const cases: CCase[] = layers.map(([it, si, zi, ot, so, zo]) => {
        const n = it === 'int16' ? 65536 : 256;
        const { graph, op } = requantGraph(n, [si, zi], [so, zo], it, ot);
        return { def: quantize, graph, op, inputs: [all(it)], isa: ARMV6M };
      });
      const names = cases.map((c) => selectVariant(quantize, quantize.prepare(c.graph, c.op), ARMV6M).name);
      expect(names).to.deep.equal(['armv6m', 'armv6m', 'armv6m', 'portable', 'armv6m', 'armv6m', 'armv6m', 'armv6m', 'armv6m', 'armv6m']);
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(quantize, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `layer ${k}`).to.equal(undefined);
      });
    });
  });

  describe('against TFLite Micro (tflm-ref), on models written by our writer', () => {
    // (desktop TFLite differs on purpose in both: it divides in double on float32 -> int8, and its
    // XNNPACK delegate requantizes int8 -> int8 with a coarser multiplier)
    it('agrees byte for byte on float32 -> int8, ties after the float32 division included', function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(71);
      const cases = [];
      for (let k = 0; k < 30; k++) {
        const scale = k < 3 ? [0.1, 0.05, 0.3][k]! : Math.exp(-12 + rand() * 14);
        const zp = k % 10 === 0 ? -128 : k % 10 === 1 ? 127 : randomInt(rand, -128, 127);
        // random reals over the whole int8 range and past it, and exact (q + 0.5) * scale ties
        const floats = Float32Array.from({ length: 200 }, (_, i) => (i % 2 ? (rand() - 0.5) * 300 * scale : (randomInt(rand, -140, 140) + 0.5) * scale));
        cases.push({ ...floatGraph(200, scale, zp), inputs: [floats] });
      }
      expectTflmAgrees(quantize, cases);
    });

    it('agrees byte for byte on int8 -> int8 requantization of every value, scales over decades, zero points -128..127', function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(72);
      const cases = [];
      for (let k = 0; k < 60; k++) {
        const inScale = Math.exp(-10 + rand() * 12);
        // ratios from 1/1000 to 1000, some equal scales (ratio 1) and some equal zero points
        const outScale = k % 8 === 0 ? inScale : inScale * Math.exp(-7 + rand() * 14);
        const zi = k % 10 === 0 ? -128 : k % 10 === 1 ? 127 : randomInt(rand, -128, 127);
        const zo = k % 6 === 0 ? zi : k % 10 === 2 ? -128 : k % 10 === 3 ? 127 : randomInt(rand, -128, 127);
        cases.push({ ...requantGraph(256, [inScale, zi], [outScale, zo]), inputs: [ALL_INT8] });
      }
      // extreme ratios: 1e-12 (multiplier flushed to 0) up to 1e9 (left shift 30)
      for (const ratio of [1e-12, 4.6e-10, 1e-6, 1e6, 1e9]) cases.push({ ...requantGraph(256, [0.01, 3], [0.01 / ratio, -7]), inputs: [ALL_INT8] });
      // the hand-checked cases above
      for (const [inQ, outQ] of [
        [
          [0.5, 0],
          [0.25, 5],
        ],
        [
          [0.375, 0],
          [0.25, 0],
        ],
        [
          [0.9, 0],
          [0.6, 0],
        ],
        [
          [0.3, 0],
          [0.2, 0],
        ],
        [
          [0.1, -128],
          [0.1, 127],
        ],
      ] as [number, number][][]) {
        cases.push({ ...requantGraph(256, inQ!, outQ!), inputs: [ALL_INT8] });
      }
      expectTflmAgrees(quantize, cases);
    });
  });

  describe('uint8 at the model edges (uint8 -> int8 in front, int8 -> uint8 behind)', () => {
    const ALL_UINT8 = Uint8Array.from({ length: 256 }, (_, i) => i);
    /** scales and zero points as zoo models ship them (1/255 and 128 apart) and random ones */
    function edgeCases(seed: number, inType: 'uint8' | 'int8', outType: 'uint8' | 'int8') {
      const rand = rng(seed);
      const zp = (t: string) => (t === 'uint8' ? randomInt(rand, 0, 255) : randomInt(rand, -128, 127));
      const cases = [];
      for (let k = 0; k < 24; k++) {
        const inScale = k < 4 ? 1 / 255 : Math.exp(-10 + rand() * 12);
        const outScale = k < 8 ? inScale : inScale * Math.exp(-4 + rand() * 8);
        // k < 4: the shift by 128 TFLite takes a fast path for (top bit flipped)
        const zi = k < 4 ? (inType === 'uint8' ? 128 : 0) : zp(inType);
        const zo = k < 4 ? (outType === 'uint8' ? 128 : 0) : k % 5 === 0 ? (outType === 'uint8' ? 0 : -128) : zp(outType);
        cases.push({ ...requantGraph(256, [inScale, zi], [outScale, zo], inType, outType), inputs: [inType === 'uint8' ? ALL_UINT8 : ALL_INT8] });
      }
      return cases;
    }

    it('flips the top bit where scales are equal and zero points 128 apart', () => {
      const { graph, op } = requantGraph(4, [1 / 255, 128], [1 / 255, 0], 'uint8', 'int8');
      expect(values(evaluateOp(quantize, graph, op, [Uint8Array.from([0, 127, 128, 255])])[0]!)).to.deep.equal([-128, -1, 0, 127]);
      const back = requantGraph(4, [1 / 255, 0], [1 / 255, 128], 'int8', 'uint8');
      expect(values(evaluateOp(quantize, back.graph, back.op, [Int8Array.from([-128, -1, 0, 127])])[0]!)).to.deep.equal([0, 127, 128, 255]);
    });

    it('refuses the uint8 pairs TFLite Micro does not run, in one line', () => {
      const toInt16 = requantGraph(2, [0.1, 128], [0.1, 0], 'uint8', 'int16');
      expect(() => quantize.check(toInt16.graph, toInt16.op)).to.throw(OpError, /uint8 -> int16 is not a QUANTIZE TFLite Micro runs/);
      const fromFloat = singleOpGraph('QUANTIZE', [{ shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'uint8', scale: 0.1, zeroPoint: 128 }]);
      expect(() => quantize.check(fromFloat.graph, fromFloat.op)).to.throw(OpError, /float32 -> uint8 is not a QUANTIZE TFLite Micro runs/);
    });

    it('the emitted C matches the reference kernel on every value, both ways', () => {
      const cases: CCase[] = [...edgeCases(81, 'uint8', 'int8'), ...edgeCases(82, 'int8', 'uint8')].map((c) => ({ def: quantize, ...c }));
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(quantize, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });

    it('agrees with TFLite Micro byte for byte on every value, both ways', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(quantize, [...edgeCases(81, 'uint8', 'int8'), ...edgeCases(82, 'int8', 'uint8')]);
    });
  });
});
