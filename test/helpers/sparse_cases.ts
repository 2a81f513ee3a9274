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

/**
 * A random pruned CONV_2D (`depthwise` false) or DEPTHWISE_CONV_2D layer for `isa`. `deadChannels`:
 * every third output channel pruned whole as trained models leave it (weights zero but for a +-1 on
 * some, a filter scale of 1e-9, a bias of +-2^30 or one at the output's step), per-channel scales.
 */
export function sparseConvCase(rand: () => number, isDepthwise: boolean, isa: KernelIsa | undefined, zeros: number, deadChannels = false): CCase | undefined {
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
  const perChannel = deadChannels || rand() < 0.6;
  const weightCount = isDepthwise ? taps * outC : outC * taps * filterInC;
  const inScale = 0.001 + rand() * 0.1;
  const inZeroPoint = rand() < 0.2 ? 0 : randomInt(rand, -128, 127);
  const scales = perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01;
  const weights = prunedWeights(rand, weightCount, zeros);
  const bias = deadChannels || rand() < 0.7 ? Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)) : undefined;
  const outScale = rand() < 0.2 ? 0.00005 : 0.002 + rand() * 0.1;
  for (let c = 1; deadChannels && c < outC; c += 3) {
    (scales as number[])[c] = 1e-9;
    // channel c's weights: depthwise [1, kh, kw, outC] (stride outC), else rows of taps * filterInC
    const at = (i: number) => (isDepthwise ? i * outC + c : c * taps * filterInC + i);
    const rowLength = isDepthwise ? taps : taps * filterInC;
    for (let i = 0; i < rowLength; i++) weights[at(i)] = 0;
    if (c % 2 === 1) weights[at(randomInt(rand, 0, rowLength - 1))] = rand() < 0.5 ? 1 : -1;
    bias![c] = c % 4 === 1 ? (rand() < 0.5 ? 2 ** 30 : -(2 ** 30)) : Math.round(0.5 / ((inScale * 1e-9) / outScale)) + randomInt(rand, -100, 100);
  }
  const { graph, op } = singleOpGraph(
    isDepthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D',
    [
      { shape: input, scale: inScale, zeroPoint: inZeroPoint },
      {
        shape: isDepthwise ? [1, k[0]!, k[1]!, outC] : [outC, k[0]!, k[1]!, filterInC],
        scale: scales,
        axis: isDepthwise ? 3 : 0,
        data: weights,
      },
      bias ? { shape: [outC], dtype: 'int32', data: bias } : null,
    ],
    [{ shape: [input[0], outH, outW, outC], scale: outScale, zeroPoint: randomInt(rand, -128, 127) }],
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
