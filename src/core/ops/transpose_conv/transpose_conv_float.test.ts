// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV float32 (transpose_conv_float.ts): the reference scatters as TFLite Micro does and
 * gives tflm-ref's bytes on a sweep of shapes (strides, SAME and VALID, filters larger and smaller
 * than the stride, activations, with and without bias, batches); the emitted C, which gathers in
 * the scatter's order, gives the same bytes (host gcc, ASan + UBSan). The emulated targets run it in
 * the float fuzzer (test/fuzz/float.test.ts).
 */
import { expect } from 'chai';
import transposeConv from './index.ts';
import { OpError } from '../../errors.ts';
import type { Padding } from '../../ir/graph.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { FLOAT_ACTIVATIONS, randomFloats } from '../../../../test/helpers/float_cases.ts';

const F = 'float32' as const;

function tcCase(
  rand: () => number,
  input: [number, number, number, number],
  filter: [number, number, number, number],
  out: [number, number, number, number],
  stride: [number, number],
  padding: Padding,
  activation: string,
  bias: boolean,
): CCase {
  const { graph, op } = singleOpGraph(
    'TRANSPOSE_CONV',
    [
      { shape: [4], dtype: 'int32', data: Int32Array.from(out) },
      { shape: filter, dtype: F, data: randomFloats(rand, count(filter), 1) },
      { shape: input, dtype: F },
      bias ? { shape: [filter[0]], dtype: F, data: randomFloats(rand, filter[0], 2) } : null,
    ],
    [{ shape: out, dtype: F }],
    { padding, strideH: stride[0], strideW: stride[1], activation },
  );
  return { def: transposeConv, graph, op, inputs: [randomFloats(rand, count(input))] };
}

function sweep(seed: number, n: number): CCase[] {
  const rand = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  return Array.from({ length: n }, (_, k) => {
    const [inH, inW, inC, outC] = [int(1, 5), int(1, 5), int(1, 6), int(1, 5)];
    const stride: [number, number] = [int(1, 3), int(1, 3)];
    const kH = int(1, 4);
    const kW = int(1, 4);
    const padding: Padding = k % 2 === 0 ? 'SAME' : 'VALID';
    const outH = padding === 'SAME' ? inH * stride[0] - int(0, stride[0] - 1) : (inH - 1) * stride[0] + kH;
    const outW = padding === 'SAME' ? inW * stride[1] - int(0, stride[1] - 1) : (inW - 1) * stride[1] + kW;
    const batches = k % 5 === 4 ? 2 : 1;
    return tcCase(rand, [batches, inH, inW, inC], [outC, kH, kW, inC], [batches, outH, outW, outC], stride, padding, FLOAT_ACTIVATIONS[k % 4]!, k % 3 !== 0);
  });
}

describe('TRANSPOSE_CONV float32', () => {
  it('sums each output in the scatter order from 0.0f, adding no 0.0f without a bias (hand-checked)', () => {
    // 1x1 filter, stride 1: out = x * w; -0 * 1 from 0.0f is +0, and stays +0 without a bias
    const c = tcCase(rng(1), [1, 1, 2, 1], [1, 1, 1, 1], [1, 1, 2, 1], [1, 1], 'VALID', 'NONE', false);
    c.graph.tensors[c.op.inputs[1]!]!.data = new Uint8Array(Float32Array.from([1]).buffer);
    const out = evaluateOp(transposeConv, c.graph, c.op, [Float32Array.from([-0, 3])])[0] as Float32Array;
    expect(Object.is(out[0], 0)).to.equal(true);
    expect(out[1]).to.equal(3);
    // 1x2 input, 1x3 filter (1, 1, -1), stride 1 VALID: out[k] = x0 * w[k] + x1 * w[k - 1], x0 first;
    // 1e8 + 1 and -1e8 + 1 round to 1e8 and -1e8 in float32
    const d = tcCase(rng(2), [1, 1, 2, 1], [1, 1, 3, 1], [1, 1, 4, 1], [1, 1], 'VALID', 'NONE', false);
    d.graph.tensors[d.op.inputs[1]!]!.data = new Uint8Array(Float32Array.from([1, 1, -1]).buffer);
    const y = evaluateOp(transposeConv, d.graph, d.op, [Float32Array.from([1e8, 1])])[0] as Float32Array;
    expect(Array.from(y)).to.deep.equal([1e8, 1e8, -1e8, -1]);
    expectTflmAgrees(
      transposeConv,
      [c, d].map((x, i) => ({ ...x, inputs: [i === 0 ? Float32Array.from([-0, 3]) : Float32Array.from([1e8, 1])] })),
    );
  });

  it('TFLite Micro (tflm-ref) gives the same bytes on 50 random layers: strides, padding, activations, bias', () => {
    expectTflmAgrees(transposeConv, sweep(401, 50));
  });

  it('the emitted C gives the reference bytes', () => {
    expectCMatchesReference(sweep(401, 50));
  });

  it('refuses an int8 filter with a float input, naming the tensor', () => {
    const { graph, op } = singleOpGraph(
      'TRANSPOSE_CONV',
      [
        { shape: [4], dtype: 'int32', data: Int32Array.from([1, 2, 2, 1]) },
        { shape: [1, 2, 2, 1], scale: 0.1, zeroPoint: 0, data: Int8Array.from([1, 2, 3, 4]) },
        { shape: [1, 1, 1, 1], dtype: F },
        null,
      ],
      [{ shape: [1, 2, 2, 1], dtype: F }],
      { padding: 'VALID', strideH: 1, strideW: 1, activation: 'NONE' },
    );
    expect(() => transposeConv.check(graph, op)).to.throw(OpError, /filter .* is int8; a float32 layer of TRANSPOSE_CONV takes float32 inputs only/);
  });
});
