// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the weighted layers and the chains real models are made of: CONV_2D (pointwise,
 * im2col, every kernel size, stride and dilation), DEPTHWISE_CONV_2D (one input channel, multiplier 1
 * and above), FULLY_CONNECTED (row counts around the 4- and 8-row blocks, one input feature, batches,
 * long rows of 256+ inputs for the DSP blocks of six and eight rows),
 * ADD, chains (a keyword-spotting block, a residual block, conv-pool-fc-softmax) and uint8 edges
 * around a convolution. Shapes are drawn so every DSP and Armv6-M variant and its edges are hit.
 */
import type { Padding } from '../../../src/core/ir/graph.ts';
import type { GraphBuilder } from '../../helpers/graph_builder.ts';
import { type Rand, activation, chance, channels, count, int, int8Q, padding, pick, scale, side, windowOut2d, zeroPoint } from '../draw.ts';
import { int32Bias, int8Weights } from './common.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

interface Act {
  index: number;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

function inputImage(b: GraphBuilder, rand: Rand, h: number, w: number, c: number): Act {
  const q = int8Q(rand, -3, 0);
  return { index: b.input({ shape: [1, h, w, c], q }), shape: [1, h, w, c], ...q };
}

/**
 * The output scale for `terms` products of input and weight: sometimes tiny (most values saturate, the
 * exact path), sometimes above the input's (multiplier > 1), mostly where outputs spread over int8.
 */
function outScale(rand: Rand, inScale: number, wScale: number, terms: number, floor = 0): number {
  // below ~3e-9 a fused RELU6's bound, 6 / scale, overflows int32: TFLite Micro refuses the model
  return Math.max(floor, 1e-8, drawOutScale(rand, inScale, wScale, terms));
}

function drawOutScale(rand: Rand, inScale: number, wScale: number, terms: number): number {
  const typical = inScale * wScale * 64 * Math.sqrt(Math.max(1, terms));
  const regime = rand();
  if (regime < 0.1) return typical * 10 ** (-2 - 2 * rand());
  if (regime < 0.2) return inScale * wScale * (0.5 + rand() * 4);
  return typical * 10 ** (-1 + 1.5 * rand());
}

/** Weights as TFLite writes them: symmetric, never -128 (per-channel forbids it). */
function weights(b: GraphBuilder, rand: Rand, shape: number[], perChannel: boolean, axis: number): { index: number; scales: number[] } {
  return int8Weights(b, rand, shape, { perChannel, axis, channels: shape[axis]!, limits: [127, 127, 60, 8, 1] });
}

function bias(b: GraphBuilder, rand: Rand, n: number, inScale: number, wScales: number[]): number {
  return int32Bias(b, rand, n, inScale, wScales, [0, 100, 5000, 200000, 2 ** 30]);
}

function conv(
  b: GraphBuilder,
  rand: Rand,
  x: Act,
  o: { outC?: number; k?: [number, number]; stride?: [number, number]; dilation?: [number, number]; pad?: Padding } = {},
): Act | undefined {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const outC = o.outC ?? channels(rand);
  const k = o.k ?? (chance(rand, 0.35) ? [1, 1] : [int(rand, 1, 5), int(rand, 1, 5)]);
  const stride = o.stride ?? (chance(rand, 0.7) ? [1, 1] : [int(rand, 1, 3), int(rand, 1, 3)]);
  const dilation = o.dilation ?? (chance(rand, 0.8) ? [1, 1] : [int(rand, 1, 3), int(rand, 1, 3)]);
  const pad = o.pad ?? padding(rand);
  const [oh, ow] = windowOut2d(pad, h, w, k, stride, dilation);
  if (oh < 1 || ow < 1) return undefined;
  const f = weights(b, rand, [outC, k[0], k[1], c], chance(rand, 0.8), 0);
  const biasIndex = chance(rand, 0.9) ? bias(b, rand, outC, x.scale, f.scales) : -1;
  const q = { scale: outScale(rand, x.scale, f.scales[0]!, k[0] * k[1] * c), zeroPoint: zeroPoint(rand) };
  const [y] = b.op('CONV_2D', [x.index, f.index, biasIndex], [{ shape: [1, oh, ow, outC], q }], {
    padding: pad,
    strideH: stride[0],
    strideW: stride[1],
    dilationH: dilation[0],
    dilationW: dilation[1],
    activation: activation(rand),
  });
  return { index: y!, shape: [1, oh, ow, outC], ...q };
}

function depthwise(
  b: GraphBuilder,
  rand: Rand,
  x: Act,
  o: { mult?: number; k?: [number, number]; stride?: [number, number]; pad?: Padding } = {},
): Act | undefined {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const mult = o.mult ?? (chance(rand, 0.7) ? 1 : pick(rand, [2, 3, 4, 8]));
  const outC = c * mult;
  const k = o.k ?? (chance(rand, 0.6) ? [3, 3] : [int(rand, 1, 5), int(rand, 1, 5)]);
  const stride = o.stride ?? (chance(rand, 0.7) ? [1, 1] : [int(rand, 1, 2), int(rand, 1, 2)]);
  const dilation: [number, number] = chance(rand, 0.85) ? [1, 1] : [int(rand, 1, 2), int(rand, 1, 2)];
  const pad = o.pad ?? padding(rand);
  const [oh, ow] = windowOut2d(pad, h, w, k, stride, dilation);
  if (oh < 1 || ow < 1) return undefined;
  const f = weights(b, rand, [1, k[0], k[1], outC], chance(rand, 0.8), 3);
  // TFLite Micro's DEPTHWISE_CONV_2D aborts without a bias (CONV_2D and FULLY_CONNECTED take none)
  const biasIndex = bias(b, rand, outC, x.scale, f.scales);
  const q = { scale: outScale(rand, x.scale, f.scales[0]!, k[0] * k[1]), zeroPoint: zeroPoint(rand) };
  const [y] = b.op('DEPTHWISE_CONV_2D', [x.index, f.index, biasIndex], [{ shape: [1, oh, ow, outC], q }], {
    padding: pad,
    strideH: stride[0],
    strideW: stride[1],
    dilationH: dilation[0],
    dilationW: dilation[1],
    activation: activation(rand),
    depthMultiplier: mult,
  });
  return { index: y!, shape: [1, oh, ow, outC], ...q };
}

/**
 * `floor`: the smallest output scale (a SOFTMAX after it: TFLite Micro aborts in Prepare when
 * input scale x beta x 2^26 < 1, its multiplier then needing a negative shift).
 */
function fullyConnected(b: GraphBuilder, rand: Rand, x: Act, rows: number, floor = 0): Act {
  const inN = x.shape[x.shape.length - 1]!;
  const batches = count(x.shape.slice(0, -1));
  // TFLite Micro's int8 FULLY_CONNECTED takes per-tensor weights only
  const f = weights(b, rand, [rows, inN], false, 0);
  const biasIndex = chance(rand, 0.85) ? bias(b, rand, rows, x.scale, f.scales) : -1;
  const q = { scale: outScale(rand, x.scale, f.scales[0]!, inN, floor), zeroPoint: zeroPoint(rand) };
  const [y] = b.op('FULLY_CONNECTED', [x.index, f.index, biasIndex], [{ shape: [batches, rows], q }], { activation: activation(rand), keepNumDims: false });
  return { index: y!, shape: [batches, rows], ...q };
}

/** A row count near the 4- and 8-row blocks and their tails, or any. */
function fcRows(rand: Rand): number {
  return chance(rand, 0.6) ? pick(rand, [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17]) : int(rand, 1, 40);
}

function pool(b: GraphBuilder, rand: Rand, x: Act, kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', global: boolean): Act | undefined {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const k: [number, number] = global ? [h, w] : [int(rand, 1, 3), int(rand, 1, 3)];
  const stride: [number, number] = global ? [1, 1] : [int(rand, 1, 2), int(rand, 1, 2)];
  const pad = global ? 'VALID' : padding(rand);
  const [oh, ow] = windowOut2d(pad, h, w, k, stride);
  if (oh < 1 || ow < 1) return undefined;
  const q = { scale: x.scale, zeroPoint: x.zeroPoint };
  const [y] = b.op(kind, [x.index], [{ shape: [1, oh, ow, c], q }], {
    padding: pad,
    strideH: stride[0],
    strideW: stride[1],
    filterH: k[0],
    filterW: k[1],
    activation: 'NONE',
  });
  return { index: y!, shape: [1, oh, ow, c], ...q };
}

function add(b: GraphBuilder, rand: Rand, x: Act, y: Act): Act {
  const q = { scale: Math.max(x.scale, y.scale) * (0.5 + rand() * 2), zeroPoint: zeroPoint(rand) };
  const [z] = b.op('ADD', [x.index, y.index], [{ shape: x.shape, q }], { activation: activation(rand, ['NONE', 'RELU', 'RELU6']) });
  return { index: z!, shape: x.shape, ...q };
}

function softmax(b: GraphBuilder, x: Act): Act {
  // TFLite Micro's int8 softmax output: scale 1/256, zero point -128
  const q = { scale: 1 / 256, zeroPoint: -128 };
  const [y] = b.op('SOFTMAX', [x.index], [{ shape: x.shape, q }], { beta: 1 });
  return { index: y!, shape: x.shape, ...q };
}

function reshape(b: GraphBuilder, x: Act, shape: number[]): Act {
  const s = b.ints(shape);
  const [y] = b.op('RESHAPE', [x.index, s], [{ shape, q: { scale: x.scale, zeroPoint: x.zeroPoint } }], { newShape: shape });
  return { index: y!, shape, scale: x.scale, zeroPoint: x.zeroPoint };
}

const conv2d: FuzzGenerator = {
  name: 'CONV_2D',
  ops: ['CONV_2D'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const x = inputImage(b, rand, side(rand, 10), side(rand, 10), channels(rand, 24));
    const y = conv(b, rand, x) ?? conv(b, rand, x, { pad: 'SAME' })!;
    b.output(y.index);
  },
};

const depthwiseConv2d: FuzzGenerator = {
  name: 'DEPTHWISE_CONV_2D',
  ops: ['DEPTHWISE_CONV_2D'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const x = inputImage(b, rand, side(rand, 12), side(rand, 12), chance(rand, 0.25) ? 1 : channels(rand, 24));
    const y = depthwise(b, rand, x) ?? depthwise(b, rand, x, { pad: 'SAME' })!;
    b.output(y.index);
  },
};

const fc: FuzzGenerator = {
  name: 'FULLY_CONNECTED',
  ops: ['FULLY_CONNECTED'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    // long rows in whole words now and then: the DSP blocks of eight rows (exactly 8) and of six (16+),
    // from 1024 inputs over inputs widened per chunk
    const long = chance(rand, 0.15);
    const inN = long
      ? 4 * int(rand, 64, 1100)
      : chance(rand, 0.15)
        ? 1
        : chance(rand, 0.5)
          ? pick(rand, [2, 3, 4, 5, 7, 8, 12, 16, 17, 64])
          : int(rand, 1, 200);
    const batches = chance(rand, 0.8) ? 1 : int(rand, 2, 4);
    const q = int8Q(rand, -3, 0);
    const x = { index: b.input({ shape: [batches, inN], q }), shape: [batches, inN], ...q };
    b.output(fullyConnected(b, rand, x, long ? pick(rand, [8, 8, 16, 17, 22, 9]) : fcRows(rand)).index);
  },
};

const addGen: FuzzGenerator = {
  name: 'ADD',
  ops: ['ADD'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const shape = [1, side(rand, 6), side(rand, 6), channels(rand, 17)];
    const qa = int8Q(rand, -3, 0);
    const qb = chance(rand, 0.3) ? qa : int8Q(rand, -3, 0);
    const x = { index: b.input({ shape, q: qa }), shape, ...qa };
    const y = { index: b.input({ shape, q: qb }), shape, ...qb };
    b.output(add(b, rand, x, y).index);
  },
};

/** A keyword-spotting DS-CNN in miniature: conv, depthwise-separable blocks, average pool, FC, softmax. */
const kwsChain: FuzzGenerator = {
  name: 'chain-ds-cnn',
  ops: ['CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const x = inputImage(b, rand, int(rand, 6, 16), int(rand, 3, 8), 1);
    const width = pick(rand, [4, 8, 12, 16]);
    let y = conv(b, rand, x, { outC: width, k: [int(rand, 2, 4), int(rand, 2, 3)], stride: [2, 2], pad: 'SAME' })!;
    for (let i = int(rand, 1, 2); i > 0; i--) {
      y = depthwise(b, rand, y, { mult: 1, k: [3, 3], stride: [1, 1], pad: 'SAME' })!;
      y = conv(b, rand, y, { outC: width, k: [1, 1], stride: [1, 1], dilation: [1, 1], pad: 'VALID' })!;
    }
    y = pool(b, rand, y, 'AVERAGE_POOL_2D', true)!;
    y = reshape(b, y, [1, width]);
    y = fullyConnected(b, rand, y, pick(rand, [10, 12, 4, 3]), 1e-6);
    b.output(softmax(b, y).index);
  },
};

/** A residual block: two 3x3 convs and an ADD of the block's input (three tensors alive at once). */
const residualChain: FuzzGenerator = {
  name: 'chain-residual',
  ops: ['CONV_2D', 'ADD'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const c = pick(rand, [2, 4, 8, 16]);
    const x = inputImage(b, rand, int(rand, 2, 8), int(rand, 2, 8), c);
    let y = conv(b, rand, x, { outC: c, k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: 'SAME' })!;
    y = conv(b, rand, y, { outC: c, k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: 'SAME' })!;
    b.output(add(b, rand, y, x).index);
  },
};

/** conv, max pool, FC, softmax: the MNIST-class CNN. */
const cnnChain: FuzzGenerator = {
  name: 'chain-cnn',
  ops: ['CONV_2D', 'MAX_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const x = inputImage(b, rand, int(rand, 4, 10), int(rand, 4, 10), pick(rand, [1, 3]));
    let y = conv(b, rand, x, { outC: channels(rand, 12), k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: padding(rand) })!;
    y = pool(b, rand, y, 'MAX_POOL_2D', false) ?? y;
    y = reshape(b, y, [1, count(y.shape)]);
    y = fullyConnected(b, rand, y, fcRows(rand), 1e-6);
    b.output(softmax(b, y).index);
  },
};

/**
 * uint8 at the model's edges, as image models from model zoos ship: a uint8 image, QUANTIZE to int8
 * (mostly the same scale with the zero point 128 lower: a flip of the top bit), a convolution, and
 * QUANTIZE back to uint8, sometimes DEQUANTIZE to float32 behind it.
 */
const uint8Edges: FuzzGenerator = {
  name: 'uint8-edges',
  ops: ['QUANTIZE', 'CONV_2D', 'DEQUANTIZE'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const shape = [1, side(rand, 8), side(rand, 8), pick(rand, [1, 3, 4])];
    const flip = chance(rand, 0.6);
    const inQ = flip
      ? { scale: pick(rand, [1 / 255, 1 / 128, scale(rand, -3, 0)]), zeroPoint: pick(rand, [128, 0]) }
      : { scale: scale(rand, -3, 0), zeroPoint: int(rand, 0, 255) };
    const raw = b.input({ shape, dtype: 'uint8', q: inQ });
    const q8 = flip ? { scale: inQ.scale, zeroPoint: inQ.zeroPoint - 128 } : int8Q(rand, -3, 0);
    const [x] = b.op('QUANTIZE', [raw], [{ shape, q: q8 }]);
    const y = conv(b, rand, { index: x!, shape, ...q8 }) ?? conv(b, rand, { index: x!, shape, ...q8 }, { pad: 'SAME' })!;
    const outQ = chance(rand, 0.6)
      ? { scale: y.scale, zeroPoint: y.zeroPoint + 128 }
      : { scale: y.scale * 10 ** (-1 + 2 * rand()), zeroPoint: int(rand, 0, 255) };
    const [u] = b.op('QUANTIZE', [y.index], [{ shape: y.shape, dtype: 'uint8', q: outQ }]);
    if (chance(rand, 0.3)) b.output(b.op('DEQUANTIZE', [u!], [{ shape: y.shape, dtype: 'float32' }])[0]!);
    else b.output(u!);
  },
};

export const generators: FuzzGenerator[] = [conv2d, depthwiseConv2d, fc, addGen, kwsChain, residualChain, cnnChain, uint8Edges];
