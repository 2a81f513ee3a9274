// SPDX-License-Identifier: Apache-2.0
/**
 * A keyword-spotting DS-CNN of the MLPerf Tiny class, built in code with random int8 weights: input
 * 49x10x1, CONV_2D 10x4 stride 2 to 64 channels, four depthwise-separable blocks (DEPTHWISE_CONV_2D
 * 3x3 + 1x1 CONV_2D, RELU), AVERAGE_POOL_2D over the whole map, RESHAPE, FULLY_CONNECTED 64 -> 12,
 * SOFTMAX. Conv weights per channel, FC per tensor, as TFLite's converter writes them. The FC's
 * 12 rows are 3 blocks of 4 with no row tail: the shape that broke the Arm DSP FC kernel's build.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

export interface KwsOptions {
  /** FULLY_CONNECTED outputs (default 12) */
  classes?: number;
  /** channels of every conv layer (default 64) */
  channels?: number;
  /** depthwise-separable blocks (default 4) */
  blocks?: number;
  seed?: number;
  name?: string;
}

export function kwsDsCnn(options: KwsOptions = {}): Graph {
  const classes = options.classes ?? 12;
  const ch = options.channels ?? 64;
  const blocks = options.blocks ?? 4;
  const rand = rng(options.seed ?? 1234);
  const b = new GraphBuilder(options.name ?? 'kws_ds_cnn');
  const inScale = 0.1;
  let x = b.input({ shape: [1, 49, 10, 1], q: { scale: inScale, zeroPoint: 0 }, name: 'input' });
  let scale = inScale;
  let shape: [number, number, number, number] = [1, 49, 10, 1];
  // an output scale for an accumulator of k products of int8 weights (|w| <= 127) and inputs of
  // spread ~40: a few standard deviations across the int8 range
  const outScaleFor = (k: number, wScale: number) => (scale * wScale * Math.sqrt(k) * 73 * 40) / 60;
  const bias = (n: number, limit: number) =>
    b.constant(
      { shape: [n], dtype: 'int32' },
      Int32Array.from({ length: n }, () => randomInt(rand, -limit, limit)),
    );
  const perChannel = (n: number) => Array.from({ length: n }, () => 0.004 + rand() * 0.004);

  const conv = (kh: number, kw: number, stride: number, outC: number, name: string) => {
    const inC = shape[3];
    const scales = perChannel(outC);
    const w = b.constant(
      { shape: [outC, kh, kw, inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, outC * kh * kw * inC, -127, 127),
    );
    const oh = Math.ceil(shape[1] / stride);
    const ow = Math.ceil(shape[2] / stride);
    const outScale = outScaleFor(kh * kw * inC, 0.006);
    x = b.op('CONV_2D', [x, w, bias(outC, 2000)], [{ shape: [1, oh, ow, outC], q: { scale: outScale, zeroPoint: -128 }, name }], {
      padding: 'SAME',
      strideH: stride,
      strideW: stride,
      dilationH: 1,
      dilationW: 1,
      activation: 'RELU',
    })[0]!;
    shape = [1, oh, ow, outC];
    scale = outScale;
  };
  const depthwise = (name: string) => {
    const c = shape[3];
    const scales = perChannel(c);
    const w = b.constant({ shape: [1, 3, 3, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 3 } }, randomInt8(rand, 9 * c, -127, 127));
    const outScale = outScaleFor(9, 0.006);
    x = b.op('DEPTHWISE_CONV_2D', [x, w, bias(c, 2000)], [{ shape: [...shape], q: { scale: outScale, zeroPoint: -128 }, name }], {
      padding: 'SAME',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: 'RELU',
      depthMultiplier: 1,
    })[0]!;
    scale = outScale;
  };

  conv(10, 4, 2, ch, 'conv0');
  for (let i = 1; i <= blocks; i++) {
    depthwise(`dw${i}`);
    conv(1, 1, 1, ch, `pw${i}`);
  }
  x = b.op('AVERAGE_POOL_2D', [x], [{ shape: [1, 1, 1, ch], q: { scale, zeroPoint: -128 }, name: 'pool' }], {
    padding: 'VALID',
    strideH: shape[1],
    strideW: shape[2],
    filterH: shape[1],
    filterW: shape[2],
    activation: 'NONE',
  })[0]!;
  const newShape = b.ints([1, ch]);
  x = b.op('RESHAPE', [x, newShape], [{ shape: [1, ch], q: { scale, zeroPoint: -128 }, name: 'flat' }], { newShape: [1, ch] })[0]!;
  // logits of scale 0.02 (a spread of a few units, so that SOFTMAX is not one-hot), the weight scale
  // chosen for the int8 logits to spread over most of their range
  const logitScale = 0.02;
  const fcW = b.constant(
    { shape: [classes, ch], q: { scale: (0.005 * logitScale) / outScaleFor(ch, 0.005), zeroPoint: 0 } },
    randomInt8(rand, classes * ch, -127, 127),
  );
  x = b.op(
    'FULLY_CONNECTED',
    [x, fcW, bias(classes, 5000)],
    [{ shape: [1, classes], q: { scale: logitScale, zeroPoint: randomInt(rand, -10, 10) }, name: 'logits' }],
    {
      activation: 'NONE',
      keepNumDims: false,
    },
  )[0]!;
  x = b.op('SOFTMAX', [x], [{ shape: [1, classes], q: { scale: 1 / 256, zeroPoint: -128 }, name: 'probs' }], { beta: 1 })[0]!;
  b.output(x);
  return b.build();
}
