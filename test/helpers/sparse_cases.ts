// SPDX-License-Identifier: Apache-2.0
/** Random pruned CONV_2D and DEPTHWISE_CONV_2D layers for the sparse kernels' tests (sparse_taps.test.ts, encoding_choice.test.ts). */
import conv from '../../src/core/ops/conv_2d/index.ts';
import depthwise from '../../src/core/ops/depthwise_conv_2d/index.ts';
import type { FusedActivation, Padding } from '../../src/core/ir/graph.ts';
import type { KernelIsa, OpDef } from '../../src/core/ops/op.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { type CCase, randomInt, randomInt8, singleOpGraph } from './op_harness.ts';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];

/** Weights with about `zeros` of them exactly zero (and, sometimes, long runs of zeros). */
export function prunedWeights(rand: () => number, count: number, zeros: number): Int8Array {
  const w = randomInt8(rand, count, -127, 127);
  for (let i = 0; i < count; i++) if (rand() < zeros || w[i] === 0) w[i] = 0;
  return w;
}

/** A random pruned CONV_2D (`depthwise` false) or DEPTHWISE_CONV_2D layer for `isa`. */
export function sparseConvCase(rand: () => number, isDepthwise: boolean, isa: KernelIsa | undefined, zeros: number): CCase | undefined {
  const k = rand() < 0.4 ? [3, 3] : [randomInt(rand, 1, 5), randomInt(rand, 1, 5)];
  const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
  const dilation: [number, number] = rand() < 0.7 ? [1, 1] : [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
  const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
  // wide inputs sometimes: a gap over 255 channels needs fillers
  const inC = rand() < 0.1 ? randomInt(rand, 256, 600) : randomInt(rand, 1, 24);
  const input: [number, number, number, number] = [rand() < 0.15 ? 2 : 1, randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
  const outH = outputSize(padding, input[1], k[0]!, stride[0], dilation[0]);
  const outW = outputSize(padding, input[2], k[1]!, stride[1], dilation[1]);
  if (outH < 1 || outW < 1) return undefined;
  const mult = isDepthwise ? randomInt(rand, 1, 3) : 1;
  const groups = !isDepthwise && inC <= 24 && rand() < 0.2 ? [1, 2, 3].filter((g) => inC % g === 0).pop()! : 1;
  const outC = isDepthwise ? inC * mult : groups * randomInt(rand, 1, 12);
  const filterInC = inC / groups;
  const taps = k[0]! * k[1]!;
  const perChannel = rand() < 0.6;
  const weightCount = isDepthwise ? taps * outC : outC * taps * filterInC;
  const { graph, op } = singleOpGraph(
    isDepthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D',
    [
      { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
      {
        shape: isDepthwise ? [1, k[0]!, k[1]!, outC] : [outC, k[0]!, k[1]!, filterInC],
        scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01,
        axis: isDepthwise ? 3 : 0,
        data: prunedWeights(rand, weightCount, zeros),
      },
      rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)) } : null,
    ],
    [{ shape: [input[0], outH, outW, outC], scale: rand() < 0.2 ? 0.00005 : 0.002 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) }],
    {
      padding,
      strideH: stride[0],
      strideW: stride[1],
      dilationH: dilation[0],
      dilationW: dilation[1],
      activation: ACTIVATIONS[randomInt(rand, 0, 2)]!,
      ...(isDepthwise ? { depthMultiplier: mult } : {}),
    },
  );
  const def = (isDepthwise ? depthwise : conv) as OpDef;
  return {
    def,
    graph,
    op,
    inputs: [
      randomInt8(
        rand,
        input.reduce((a, b) => a * b, 1),
      ),
    ],
    isa,
  };
}
