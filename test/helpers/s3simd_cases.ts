// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32-S3 SIMD variant tests (conv_2d, fully_connected s3simd.test.ts): the RV32 tests' random
 * layers with `isa: S3`, the check that the 'xtensa-s3' variant was chosen, and that the host build
 * (the same kernel source through xtensa_s3_simd.h's functional model) matches the TypeScript
 * reference byte for byte.
 */
import { expect } from 'chai';
import type { KernelIsa } from '../../src/core/ops/op.ts';
import { selectVariant } from '../../src/core/ops/variant.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, runCasesInC, singleOpGraph } from './op_harness.ts';
import type { OpDef } from '../../src/core/ops/op.ts';

export const S3: KernelIsa = { dsp: false, xtensa: true, s3simd: true };

export function onS3(c: CCase): CCase {
  return { ...c, isa: S3 };
}

export function expectS3BitExact(cases: CCase[]): void {
  for (const c of cases) expect(selectVariant(c.def, c.def.prepare(c.graph, c.op), S3).family, c.graph.tensors[1]!.shape.join('x')).to.equal('xtensa-s3');
  const results = runCasesInC(cases);
  cases.forEach((c, i) => {
    const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0] as Int8Array;
    const shapes = c.op.inputs.map((t) => (t >= 0 ? JSON.stringify(c.graph.tensors[t]!.shape) : '-')).join(' ');
    expect(firstDifference(new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength), results[i]![0]!), `case ${i} ${shapes}`).to.equal(
      undefined,
    );
  });
}

/**
 * A random DEPTHWISE_CONV_2D of one input channel and depth multiplier 2-24 (a first layer on a grey
 * image: the S3 runs it as a one-channel convolution): kernels 1-7 by 1-7, strides 1-3, dilations 1-2,
 * either padding, per-channel scales, a bias or none; undefined for a shape with no output.
 */
export function randomOneChannelDepthwise(def: OpDef, rand: () => number): CCase | undefined {
  return randomDepthwiseOf(def, rand, { channels: 1, multiplier: [2, 3, 4, 8, 16, 24][randomInt(rand, 0, 5)]!, kernel: 7, width: 14, columnStride: 3 });
}

/**
 * A random DEPTHWISE_CONV_2D of 8 channels, multiplier 1 and column stride 1 (the S3's pixel-pair
 * kernel): kernels 1-5 by 1-5, row strides 1-3, row dilations 1-2, odd and even widths up to 30, either
 * padding, RELU, RELU6 or none, a quarter of them of two batches.
 */
export function randomPairDepthwise(def: OpDef, rand: () => number): CCase | undefined {
  return randomDepthwiseOf(def, rand, { channels: 8, multiplier: 1, kernel: 5, width: 30, columnStride: 1 });
}

function randomDepthwiseOf(
  def: OpDef,
  rand: () => number,
  shape: { channels: number; multiplier: number; kernel: number; width: number; columnStride: number },
): CCase | undefined {
  const m = shape.multiplier;
  const outC = shape.channels * m;
  const [kH, kW] = [randomInt(rand, 1, shape.kernel), randomInt(rand, 1, shape.kernel)];
  const [strideH, strideW] = [randomInt(rand, 1, 3), randomInt(rand, 1, shape.columnStride)];
  const [dilationH, dilationW] = [rand() < 0.8 ? 1 : 2, shape.columnStride > 1 && rand() < 0.2 ? 2 : 1];
  const padding = rand() < 0.6 ? 'SAME' : 'VALID';
  const [inH, inW] = [randomInt(rand, 1, 14), randomInt(rand, 1, shape.width)];
  const size = (n: number, k: number, stride: number, dilation: number) =>
    padding === 'SAME' ? Math.ceil(n / stride) : Math.floor((n - ((k - 1) * dilation + 1)) / stride) + 1;
  const [outH, outW] = [size(inH, kH, strideH, dilationH), size(inW, kW, strideW, dilationW)];
  if (outH < 1 || outW < 1) return undefined;
  const extreme = rand() < 0.2;
  const taps = kH * kW * outC;
  const activation = (['RELU6', 'NONE', 'RELU'] as const)[randomInt(rand, 0, 2)]!;
  // a second batch for the pixel-pair layers
  const batches = shape.channels === 8 && rand() < 0.25 ? 2 : 1;
  const { graph, op } = singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: [batches, inH, inW, shape.channels], scale: 0.001 + rand() * 0.1, zeroPoint: extreme ? 127 : randomInt(rand, -128, 127) },
      {
        shape: [1, kH, kW, outC],
        scale: Array.from({ length: outC }, () => 0.001 + rand() * 0.05),
        axis: 3,
        data: extreme ? Int8Array.from({ length: taps }, (_, i) => (i % 3 ? -128 : 127)) : randomInt8(rand, taps),
      },
      rand() < 0.8 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -50000, 50000)) } : null,
    ],
    [{ shape: [batches, outH, outW, outC], scale: 0.01 + rand() * 0.5, zeroPoint: randomInt(rand, -128, 127) }],
    { padding, strideH, strideW, dilationH, dilationW, activation, depthMultiplier: m },
  );
  const pixels = batches * inH * inW * shape.channels;
  const input = extreme ? Int8Array.from({ length: pixels }, (_, i) => (i % 5 ? -128 : 127)) : randomInt8(rand, pixels);
  return { def, graph, op, inputs: [input] };
}
