// SPDX-License-Identifier: Apache-2.0
/**
 * A CIFAR-10 ResNet-8 of the MLPerf Tiny class, built in code with random int8 weights: input
 * 32x32x3, CONV_2D 3x3 to 16 channels, three residual stacks (16, 32 and 64 channels; the second
 * and third downsample with a stride-2 3x3 CONV_2D and a stride-2 1x1 CONV_2D shortcut), each
 * ending in an ADD with fused RELU, AVERAGE_POOL_2D 8x8, RESHAPE, FULLY_CONNECTED 64 -> 10,
 * SOFTMAX. The branchy graph the memory planner's overlaps and op reordering are measured on.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

export interface ResNetOptions {
  seed?: number;
  name?: string;
  /** where the model lists a downsampling stack's 1x1 shortcut: before its 3x3 convs (default) or after */
  shortcutFirst?: boolean;
}

type Shape = [number, number, number, number];
interface Activation {
  tensor: number;
  shape: Shape;
  scale: number;
}

export function resnet8(options: ResNetOptions = {}): Graph {
  const rand = rng(options.seed ?? 4321);
  const shortcutFirst = options.shortcutFirst ?? true;
  const b = new GraphBuilder(options.name ?? 'resnet8');
  const inScale = 0.02;
  const input: Activation = {
    tensor: b.input({ shape: [1, 32, 32, 3], q: { scale: inScale, zeroPoint: 0 }, name: 'input' }),
    shape: [1, 32, 32, 3],
    scale: inScale,
  };
  // an output scale for an accumulator of k products of int8 weights (|w| <= 127) and inputs of
  // spread ~40: a few standard deviations across the int8 range (as kws_model.ts)
  const outScaleFor = (inScale: number, k: number, wScale: number) => (inScale * wScale * Math.sqrt(k) * 73 * 40) / 60;
  const bias = (n: number, limit: number) =>
    b.constant(
      { shape: [n], dtype: 'int32' },
      Int32Array.from({ length: n }, () => randomInt(rand, -limit, limit)),
    );
  const perChannel = (n: number) => Array.from({ length: n }, () => 0.004 + rand() * 0.004);

  const conv = (x: Activation, k: number, stride: number, outC: number, relu: boolean, name: string): Activation => {
    const inC = x.shape[3];
    const scales = perChannel(outC);
    const w = b.constant(
      { shape: [outC, k, k, inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, outC * k * k * inC, -127, 127),
    );
    const shape: Shape = [1, Math.ceil(x.shape[1] / stride), Math.ceil(x.shape[2] / stride), outC];
    const scale = outScaleFor(x.scale, k * k * inC, 0.006);
    const tensor = b.op('CONV_2D', [x.tensor, w, bias(outC, 2000)], [{ shape, q: { scale, zeroPoint: relu ? -128 : randomInt(rand, -8, 8) }, name }], {
      padding: 'SAME',
      strideH: stride,
      strideW: stride,
      dilationH: 1,
      dilationW: 1,
      activation: relu ? 'RELU' : 'NONE',
    })[0]!;
    return { tensor, shape, scale };
  };
  const add = (a: Activation, c: Activation, name: string): Activation => {
    const scale = Math.max(a.scale, c.scale) * 1.5;
    const tensor = b.op('ADD', [a.tensor, c.tensor], [{ shape: [...a.shape], q: { scale, zeroPoint: -128 }, name }], { activation: 'RELU' })[0]!;
    return { tensor, shape: a.shape, scale };
  };
  const stack = (x: Activation, channels: number, stride: number, name: string): Activation => {
    if (stride === 1) {
      const y = conv(conv(x, 3, 1, channels, true, `${name}/conv1`), 3, 1, channels, false, `${name}/conv2`);
      return add(x, y, `${name}/add`);
    }
    let shortcut: Activation | undefined;
    if (shortcutFirst) shortcut = conv(x, 1, stride, channels, false, `${name}/shortcut`);
    const y = conv(conv(x, 3, stride, channels, true, `${name}/conv1`), 3, 1, channels, false, `${name}/conv2`);
    shortcut ??= conv(x, 1, stride, channels, false, `${name}/shortcut`);
    return add(shortcut, y, `${name}/add`);
  };

  let x = conv(input, 3, 1, 16, true, 'conv0');
  x = stack(x, 16, 1, 'stack1');
  x = stack(x, 32, 2, 'stack2');
  x = stack(x, 64, 2, 'stack3');
  const pooled = b.op('AVERAGE_POOL_2D', [x.tensor], [{ shape: [1, 1, 1, 64], q: { scale: x.scale, zeroPoint: -128 }, name: 'pool' }], {
    padding: 'VALID',
    strideH: 8,
    strideW: 8,
    filterH: 8,
    filterW: 8,
    activation: 'NONE',
  })[0]!;
  const flat = b.op('RESHAPE', [pooled, b.ints([1, 64])], [{ shape: [1, 64], q: { scale: x.scale, zeroPoint: -128 }, name: 'flat' }], {
    newShape: [1, 64],
  })[0]!;
  const logitScale = 0.02;
  const fcW = b.constant(
    { shape: [10, 64], q: { scale: (0.005 * logitScale) / outScaleFor(x.scale, 64, 0.005), zeroPoint: 0 } },
    randomInt8(rand, 640, -127, 127),
  );
  const logits = b.op(
    'FULLY_CONNECTED',
    [flat, fcW, bias(10, 5000)],
    [{ shape: [1, 10], q: { scale: logitScale, zeroPoint: randomInt(rand, -10, 10) }, name: 'logits' }],
    {
      activation: 'NONE',
      keepNumDims: false,
    },
  )[0]!;
  const probs = b.op('SOFTMAX', [logits], [{ shape: [1, 10], q: { scale: 1 / 256, zeroPoint: -128 }, name: 'probs' }], { beta: 1 })[0]!;
  b.output(probs);
  return b.build();
}
