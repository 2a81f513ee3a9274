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
  const m = [2, 3, 4, 8, 16, 24][randomInt(rand, 0, 5)]!;
  const [kH, kW] = [randomInt(rand, 1, 7), randomInt(rand, 1, 7)];
  const [strideH, strideW] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
  const [dilationH, dilationW] = [rand() < 0.8 ? 1 : 2, rand() < 0.8 ? 1 : 2];
  const padding = rand() < 0.6 ? 'SAME' : 'VALID';
  const [inH, inW] = [randomInt(rand, 1, 14), randomInt(rand, 1, 14)];
  const size = (n: number, k: number, stride: number, dilation: number) =>
    padding === 'SAME' ? Math.ceil(n / stride) : Math.floor((n - ((k - 1) * dilation + 1)) / stride) + 1;
  const [outH, outW] = [size(inH, kH, strideH, dilationH), size(inW, kW, strideW, dilationW)];
  if (outH < 1 || outW < 1) return undefined;
  const extreme = rand() < 0.2;
  const { graph, op } = singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: [1, inH, inW, 1], scale: 0.001 + rand() * 0.1, zeroPoint: extreme ? 127 : randomInt(rand, -128, 127) },
      {
        shape: [1, kH, kW, m],
        scale: Array.from({ length: m }, () => 0.001 + rand() * 0.05),
        axis: 3,
        data: extreme ? Int8Array.from({ length: kH * kW * m }, (_, i) => (i % 3 ? -128 : 127)) : randomInt8(rand, kH * kW * m),
      },
      rand() < 0.8 ? { shape: [m], dtype: 'int32', data: Int32Array.from({ length: m }, () => randomInt(rand, -50000, 50000)) } : null,
    ],
    [{ shape: [1, outH, outW, m], scale: 0.01 + rand() * 0.5, zeroPoint: randomInt(rand, -128, 127) }],
    { padding, strideH, strideW, dilationH, dilationW, activation: rand() < 0.5 ? 'RELU6' : 'NONE', depthMultiplier: m },
  );
  const input = extreme ? Int8Array.from({ length: inH * inW }, (_, i) => (i % 5 ? -128 : 127)) : randomInt8(rand, inH * inW);
  return { def, graph, op, inputs: [input] };
}
