// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import dequantize from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function graphOf(n: number, scale: number, zeroPoint: number, inType: DType = 'int8') {
  return singleOpGraph('DEQUANTIZE', [{ shape: [n], dtype: inType, scale, zeroPoint }], [{ shape: [n], dtype: 'float32' }]);
}

describe('DEQUANTIZE', () => {
  it('computes s * (q - z) with a float32 product', () => {
    const { graph, op } = graphOf(4, 0.5, -5);
    expect(Array.from(evaluateOp(dequantize, graph, op, [Int8Array.from([-5, 5, 127, -128])])[0] as Float32Array)).to.deep.equal([0, 5, 66, -61.5]);
    // float(0.1) * 3 rounds to the float32 nearest 0.3000000044703, not to double 0.30000000447
    const t = graphOf(1, 0.1, 0);
    const got = (evaluateOp(dequantize, t.graph, t.op, [Int8Array.from([3])])[0] as Float32Array)[0]!;
    expect(got).to.equal(Math.fround(0.3000000044703484));
    expect(got).to.not.equal(Math.fround(0.1) * 3);
  });

  it('takes int16 input', () => {
    const { graph, op } = graphOf(2, 1 / 1024, 0, 'int16');
    expect(Array.from(evaluateOp(dequantize, graph, op, [Int16Array.from([1024, -32768])])[0] as Float32Array)).to.deep.equal([1, -32]);
  });

  it('rejects a non-float output and a float input', () => {
    const a = singleOpGraph('DEQUANTIZE', [{ shape: [2], scale: 0.1, zeroPoint: 0 }], [{ shape: [2], scale: 0.1, zeroPoint: 0 }]);
    expect(() => dequantize.check(a.graph, a.op)).to.throw(OpError, /output tensor 1 "out1" is int8; only float32/);
    const b = singleOpGraph('DEQUANTIZE', [{ shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'float32' }]);
    expect(() => dequantize.check(b.graph, b.op)).to.throw(OpError, /input tensor 0 "in0" is float32/);
  });

  it('emits C that matches the reference kernel bit for bit', () => {
    const rand = rng(23);
    const cases: CCase[] = [];
    for (let k = 0; k < 4; k++) {
      const n = randomInt(rand, 1, 256);
      const { graph, op } = graphOf(n, [0.1, 0.0078125, 0.3333, 7.1][k]!, randomInt(rand, -128, 127));
      cases.push({ def: dequantize, graph, op, inputs: [randomInt8(rand, n)] });
    }
    const i16 = graphOf(3, 0.001, 17, 'int16');
    cases.push({ def: dequantize, ...i16, inputs: [Int16Array.from([-32768, 0, 32767])] });
    const c = runCasesInC(cases);
    cases.forEach((cs, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(dequantize, cs.graph, cs.op, cs.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with TFLite Micro bit for bit on every int8 value, scales over decades, zero points -128..127', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(81);
    const cases = [0.1, 0.0078125, 0.3333, 7.1].map((scale) => ({ ...graphOf(256, scale, randomInt(rand, -128, 127)), inputs: [ALL_INT8] }));
    for (let k = 0; k < 40; k++) {
      const zp = k % 10 === 0 ? -128 : k % 10 === 1 ? 127 : randomInt(rand, -128, 127);
      cases.push({ ...graphOf(256, Math.exp(-16 + rand() * 22), zp), inputs: [ALL_INT8] });
    }
    expectTflmAgrees(dequantize, cases);
  });

  describe('uint8 input (a model whose output is uint8 on the wire, dequantized behind)', () => {
    const ALL_UINT8 = Uint8Array.from({ length: 256 }, (_, i) => i);
    function uint8Cases(seed: number) {
      const rand = rng(seed);
      return [1 / 255, 0.0078125, 0.3333, 7.1, 1e-5, 250].map((scale, k) => ({
        ...graphOf(256, scale, k === 0 ? 0 : k === 1 ? 128 : k === 2 ? 255 : randomInt(rand, 0, 255), 'uint8'),
        inputs: [ALL_UINT8],
      }));
    }

    it('computes s * (q - z) from 0..255', () => {
      const { graph, op } = graphOf(3, 0.5, 128, 'uint8');
      expect(Array.from(evaluateOp(dequantize, graph, op, [Uint8Array.from([0, 128, 255])])[0] as Float32Array)).to.deep.equal([-64, 0, 63.5]);
    });

    it('the emitted C matches the reference kernel bit for bit', () => {
      const cases: CCase[] = uint8Cases(91).map((c) => ({ def: dequantize, ...c }));
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(dequantize, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });

    it('agrees with TFLite Micro bit for bit on every value', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(dequantize, uint8Cases(91));
    });
  });
});
