// SPDX-License-Identifier: Apache-2.0
/**
 * Random DEPTHWISE_CONV_2D layers for the family variants' host tests (dsp.test.ts, m0plus.test.ts):
 * depth multipliers 1..4 (and a few larger), channel counts off and on multiples of 4, kernels 1..7,
 * strides 1..3, dilations 1..2, SAME and VALID, batches, per-channel and per-tensor scales, every
 * fused activation, zero points across the range (a fifth at -128).
 */
import depthwise from '../../src/core/ops/depthwise_conv_2d/index.ts';
import type { FusedActivation, Padding } from '../../src/core/ir/graph.ts';
import type { KernelIsa } from '../../src/core/ops/op.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { type CCase, randomInt, randomInt8, rng, singleOpGraph } from './op_harness.ts';

export function depthwiseSweep(seed: number, n: number, isa: KernelIsa): CCase[] {
  const rand = rng(seed);
  const cases: CCase[] = [];
  while (cases.length < n) {
    const mult = rand() < 0.9 ? randomInt(rand, 1, 4) : randomInt(rand, 5, 9);
    const inC = rand() < 0.5 ? randomInt(rand, 1, 7) : randomInt(rand, 8, 21);
    // 3x3 often: the kernels read its windows in place
    const k = rand() < 0.35 ? [3, 3] : [randomInt(rand, 1, 7), randomInt(rand, 1, 7)];
    const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
    const dilation: [number, number] = rand() < 0.7 ? [1, 1] : [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
    const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
    const input: [number, number, number, number] = [rand() < 0.15 ? 2 : 1, randomInt(rand, 1, 10), randomInt(rand, 1, 10), inC];
    const outH = outputSize(padding, input[1], k[0]!, stride[0], dilation[0]);
    const outW = outputSize(padding, input[2], k[1]!, stride[1], dilation[1]);
    if (outH < 1 || outW < 1) continue;
    cases.push(depthwiseCase(rand, { mult, k, stride, dilation, padding, input, outH, outW }, isa));
  }
  return cases;
}

/** A layer's geometry; depthwiseCase draws the rest. */
export interface DepthwiseGeometry {
  mult: number;
  k: number[];
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  /** NHWC */
  input: [number, number, number, number];
  outH: number;
  outW: number;
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];

/**
 * One random layer of the given geometry: per-channel (60%) or per-tensor weights in [-127, 127], a
 * bias (70%), scales and zero points across the range (a fifth with a tiny output scale), any fused
 * activation, a random input.
 */
export function depthwiseCase(rand: () => number, g: DepthwiseGeometry, isa: KernelIsa): CCase {
  const { mult, k, stride, dilation, padding, input, outH, outW } = g;
  const outC = input[3] * mult;
  const perChannel = rand() < 0.6;
  const { graph, op } = singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) },
      {
        shape: [1, k[0]!, k[1]!, outC],
        scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01,
        axis: 3,
        data: randomInt8(rand, k[0]! * k[1]! * outC, -127, 127),
      },
      rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)) } : null,
    ],
    // a fifth at zero point -128 (RELU's floor at -128: the four-lane kernels' ceiling-only clamp)
    [
      {
        shape: [input[0], outH, outW, outC],
        scale: rand() < 0.2 ? 0.00005 : 0.002 + rand() * 0.1,
        zeroPoint: rand() < 0.2 ? -128 : randomInt(rand, -128, 127),
      },
    ],
    {
      padding,
      strideH: stride[0],
      strideW: stride[1],
      dilationH: dilation[0],
      dilationW: dilation[1],
      activation: ACTIVATIONS[randomInt(rand, 0, 2)]!,
      depthMultiplier: mult,
    },
  );
  const inputs = [
    randomInt8(
      rand,
      input.reduce((a, b) => a * b, 1),
    ),
  ];
  return { def: depthwise, graph, op, inputs, isa };
}
