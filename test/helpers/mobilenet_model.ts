// SPDX-License-Identifier: Apache-2.0
/**
 * A MobileNet-v1-like int8 network built in code with random weights, for the memory planner at
 * high input resolutions (96x96, 160x160, ...): a CONV_2D 3x3 stride-2 stem, then depthwise-separable
 * blocks (DEPTHWISE_CONV_2D 3x3 with RELU6, CONV_2D 1x1) that halve the resolution at the listed
 * blocks, AVERAGE_POOL_2D over what is left, FULLY_CONNECTED to the classes. The largest tensors are
 * the stem's and the first blocks' at half the input resolution: the case row bands are for.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

export interface MobileNetOptions {
  /** input height and width (square) */
  size: number;
  /** input channels: 3 (RGB) or 1 (grayscale) */
  channels?: number;
  /** output channels of the stem and of each separable block (a stride-2 block where the entry is negative) */
  widths?: number[];
  classes?: number;
  seed?: number;
  name?: string;
}

type Shape = [number, number, number, number];

/** MobileNet v1 at alpha 0.25, cut after its third downsampling: 8 stem channels, then 16, 32 (s2), 32, 64 (s2), 64, 128 (s2). */
const ALPHA_QUARTER = [8, 16, -32, 32, -64, 64, -128];

/**
 * The whole MobileNet v1 at alpha 0.25 (MLPerf Tiny's visual wake words model at 96x96x3): the stem
 * and 13 depthwise-separable blocks, 128 channels five times, then 256 (s2) and 256.
 */
export const MOBILENET_V1_QUARTER = [8, 16, -32, 32, -64, 64, -128, 128, 128, 128, 128, 128, -256, 256];

export function mobileNet(options: MobileNetOptions): Graph {
  const rand = rng(options.seed ?? 77);
  const widths = options.widths ?? ALPHA_QUARTER;
  const b = new GraphBuilder(options.name ?? `mobilenet${options.size}`);
  let shape: Shape = [1, options.size, options.size, options.channels ?? 3];
  let q = { scale: 0.02, zeroPoint: -1 };
  let x = b.input({ shape, q, name: 'input' });
  const weights = (shape: number[], n: number, axis: number) => {
    const scales = Array.from({ length: n }, () => 0.004 + rand() * 0.004);
    const count = shape.reduce((a, d) => a * d, 1);
    return { scales, tensor: b.constant({ shape, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis } }, randomInt8(rand, count, -127, 127)) };
  };
  const bias = (scales: number[]) =>
    b.constant(
      { shape: [scales.length], dtype: 'int32', quant: { scale: scales.map((s) => s * q.scale), zeroPoint: scales.map(() => 0), axis: 0 } },
      Int32Array.from({ length: scales.length }, () => randomInt(rand, -2000, 2000)),
    );
  // an output scale that spreads an accumulator of `fanIn` products over int8 (as resnet_model.ts)
  const outQ = (fanIn: number) => ({ scale: (q.scale * 0.006 * Math.sqrt(fanIn) * 73 * 40) / 60, zeroPoint: -128 });
  const layer = (kind: 'CONV_2D' | 'DEPTHWISE_CONV_2D', k: number, stride: number, outC: number, name: string) => {
    const [, h, w, inC] = shape;
    const depthwise = kind === 'DEPTHWISE_CONV_2D';
    const { scales, tensor } = depthwise ? weights([1, k, k, outC], outC, 3) : weights([outC, k, k, inC], outC, 0);
    const out: Shape = [1, Math.ceil(h / stride), Math.ceil(w / stride), outC];
    const yq = outQ(k * k * (depthwise ? 1 : inC));
    x = b.op(kind, [x, tensor, bias(scales)], [{ shape: out, q: yq, name }], {
      padding: 'SAME',
      strideH: stride,
      strideW: stride,
      dilationH: 1,
      dilationW: 1,
      activation: 'RELU6',
      ...(depthwise ? { depthMultiplier: 1 } : {}),
    })[0]!;
    [shape, q] = [out, yq];
  };
  layer('CONV_2D', 3, 2, widths[0]!, 'stem');
  widths.slice(1).forEach((width, i) => {
    layer('DEPTHWISE_CONV_2D', 3, width < 0 ? 2 : 1, shape[3], `block${i + 1}/dw`);
    layer('CONV_2D', 1, 1, Math.abs(width), `block${i + 1}/pw`);
  });
  const [, h, w, c] = shape;
  x = b.op('AVERAGE_POOL_2D', [x], [{ shape: [1, 1, 1, c], q, name: 'pool' }], {
    padding: 'VALID',
    strideH: h,
    strideW: w,
    filterH: h,
    filterW: w,
    activation: 'NONE',
  })[0]!;
  x = b.op('RESHAPE', [x, b.ints([1, c])], [{ shape: [1, c], q, name: 'flat' }], { newShape: [1, c] })[0]!;
  const classes = options.classes ?? 2;
  const fc = weights([classes, c], 1, 0);
  const logits = b.op(
    'FULLY_CONNECTED',
    [x, fc.tensor, bias(new Array<number>(classes).fill(fc.scales[0]!))],
    [{ shape: [1, classes], q: { scale: 0.05, zeroPoint: 0 }, name: 'logits' }],
    {
      activation: 'NONE',
      keepNumDims: false,
    },
  )[0]!;
  b.output(logits);
  return b.build();
}
