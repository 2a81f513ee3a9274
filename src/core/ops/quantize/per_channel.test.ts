// SPDX-License-Identifier: Apache-2.0
/**
 * QUANTIZE (float32 -> int8 / uint8) and DEQUANTIZE with one scale and zero point per channel: ONNX's
 * QuantizeLinear / DequantizeLinear with `axis` on an activation at the model's edge. Only layers
 * imported from ONNX (attrs.arithmetic 'onnxruntime') take them: TFLite quantizes activations per tensor.
 */
import { expect } from 'chai';
import quantize from './index.ts';
import dequantize from '../dequantize/index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type CCase, evaluateOp, randomInt, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

const ONNX = { arithmetic: 'onnxruntime' };

function quantizeGraph(shape: number[], axis: number, scales: number[], zeroPoints: number[], outType: DType, attrs: Record<string, unknown> = ONNX) {
  return singleOpGraph('QUANTIZE', [{ shape, dtype: 'float32' }], [{ shape, dtype: outType, scale: scales, zeroPoint: zeroPoints, axis }], attrs);
}

function dequantizeGraph(shape: number[], axis: number, scales: number[], zeroPoints: number[], inType: DType, attrs: Record<string, unknown> = ONNX) {
  return singleOpGraph('DEQUANTIZE', [{ shape, dtype: inType, scale: scales, zeroPoint: zeroPoints, axis }], [{ shape, dtype: 'float32' }], attrs);
}

describe('QUANTIZE and DEQUANTIZE per channel (ONNX per-axis Q / DQ)', () => {
  it("give ONNX's test_quantizelinear_axis / test_dequantizelinear_axis values (hand-checked)", () => {
    // x [1, 3, 3, 2], axis 1: scales 2, 4, 5, uint8 zero points 84, 24, 196
    const x = Float32Array.from([-162, 10, -100, 232, -20, -50, -76, 0, 0, 252, 32, -44, 245, -485, -960, -270, -375, -470]);
    const q = [3, 89, 34, 200, 74, 59, 5, 24, 24, 87, 32, 13, 245, 99, 4, 142, 121, 102];
    const qg = quantizeGraph([1, 3, 3, 2], 1, [2, 4, 5], [84, 24, 196], 'uint8');
    expect(Array.from(evaluateOp(quantize, qg.graph, qg.op, [x])[0] as Uint8Array)).to.deep.equal(q);
    const dg = dequantizeGraph([1, 3, 3, 2], 1, [2, 4, 5], [84, 24, 196], 'uint8');
    expect(Array.from(evaluateOp(dequantize, dg.graph, dg.op, [Uint8Array.from(q)])[0] as Float32Array)).to.deep.equal(Array.from(x));
  });

  it('are refused per channel outside ONNX arithmetic (TFLite quantizes activations per tensor)', () => {
    const qg = quantizeGraph([2, 3], 1, [1, 2, 3], [0, 0, 0], 'int8', {});
    expect(() => quantize.check(qg.graph, qg.op)).to.throw(OpError, /quantized per channel; only per-tensor is supported/);
    const dg = dequantizeGraph([2, 3], 1, [1, 2, 3], [0, 0, 0], 'int8', {});
    expect(() => dequantize.check(dg.graph, dg.op)).to.throw(OpError, /quantized per channel; only per-tensor is supported/);
  });

  it('the C equals the reference byte for byte on 16 random layers, any axis, int8 and uint8 (ASan + UBSan)', function () {
    const rand = rng(5);
    const cases: CCase[] = [];
    for (let k = 0; k < 16; k++) {
      const rank = randomInt(rand, 1, 4);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
      const axis = randomInt(rand, 0, rank - 1);
      const channels = shape[axis]!;
      const type: DType = k % 2 ? 'uint8' : 'int8';
      const [lo, hi] = type === 'uint8' ? [0, 255] : [-128, 127];
      const scales = Array.from({ length: channels }, () => Math.fround(Math.exp(-6 + rand() * 8)));
      const zeroPoints = Array.from({ length: channels }, () => randomInt(rand, lo, hi));
      const count = shape.reduce((a, b) => a * b, 1);
      // halves of a step land on ties, which ONNX rounds to even
      const x = Float32Array.from(
        { length: count },
        (_, i) => (randomInt(rand, -300, 300) / 2) * scales[Math.floor(i / shape.slice(axis + 1).reduce((a, b) => a * b, 1)) % channels]!,
      );
      cases.push({ def: quantize, ...quantizeGraph(shape, axis, scales, zeroPoints, type), inputs: [x] });
      const q =
        type === 'uint8'
          ? Uint8Array.from({ length: count }, () => randomInt(rand, 0, 255))
          : Int8Array.from({ length: count }, () => randomInt(rand, -128, 127));
      cases.push({ def: dequantize, ...dequantizeGraph(shape, axis, scales, zeroPoints, type), inputs: [q] });
    }
    expectCMatchesReference(cases);
  });
});
