// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the int8 layers around the weighted ones: TRANSPOSE_CONV (per-tensor and per-channel
 * weights, with and without bias, the output shape constant or a model input), BATCH_MATMUL (adjoints, broadcast batches, constant rhs),
 * RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR (every mode), SOFTMAX (betas), LOGISTIC, TANH,
 * L2_NORMALIZATION, SUB (broadcasting), AVERAGE_POOL_2D / MAX_POOL_2D (windows wider than the input,
 * global), CONCATENATION, PAD / PADV2 (negative paddings too), DEQUANTIZE and QUANTIZE (int8 -> int8).
 * Only what TFLite Micro accepts: CONCATENATION's inputs share the output's quantization, the fixed
 * output quantizations of SOFTMAX / LOGISTIC / TANH / L2_NORMALIZATION, PADV2's fill value on the
 * output's quantization.
 */
import type { FusedActivation, Padding } from '../../../src/core/ir/graph.ts';
import type { GraphBuilder, Q } from '../../helpers/graph_builder.ts';
import { type Rand, activation, broadcastShape, chance, channels, count, int, int8Q, int8s, padding, pick, side, windowOut2d, zeroPoint } from '../draw.ts';
import { emit, int32Bias, int8Weights } from './common.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

const q = (rand: Rand, lo = -4, hi = 0): Q => int8Q(rand, lo, hi);

/** A model input of `shape` (int8), quantized `qq`. */
function input(b: GraphBuilder, shape: number[], qq: Q): number {
  return b.input({ shape, q: qq });
}

/** A small NHWC image shape: at most ~1 KB. */
function image(rand: Rand, maxSide = 9, maxC = 8): [number, number, number, number] {
  const c = channels(rand, maxC);
  const h = side(rand, maxSide);
  const w = Math.max(1, Math.min(side(rand, maxSide), Math.floor(1024 / (h * c))));
  return [chance(rand, 0.15) ? 2 : 1, h, w, c];
}

/** A shape of rank 1..`maxRank`, at most `maxElems` elements. */
function shapeOf(rand: Rand, maxRank = 4, maxDim = 6, maxElems = 1024): number[] {
  const rank = int(rand, 1, maxRank);
  const s: number[] = [];
  for (let k = 0; k < rank; k++) {
    const room = Math.max(1, Math.floor(maxElems / Math.max(1, count(s))));
    s.push(Math.min(room, chance(rand, 0.2) ? 1 : int(rand, 1, maxDim)));
  }
  return s;
}

function unary(b: GraphBuilder, rand: Rand, kind: string, out: (inQ: Q) => Q, attrs: Record<string, unknown> = {}, inLo = -4, inHi = 1): void {
  const shape = shapeOf(rand, 4, 12);
  const qi = q(rand, inLo, inHi);
  const x = input(b, shape, qi);
  emit(b, kind, [x], [{ shape, q: out(qi) }], attrs);
}

function pool(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', { b, rand }: FuzzContext): void {
  const shape = image(rand, 10);
  const [n, h, w, c] = shape;
  const global = chance(rand, 0.15);
  const filter: [number, number] = global ? [h, w] : [int(rand, 1, 4), int(rand, 1, 4)];
  const stride: [number, number] = global ? [1, 1] : [int(rand, 1, 3), int(rand, 1, 3)];
  // VALID needs the window inside the input; SAME takes windows wider than it
  const pad: Padding = filter[0] > h || filter[1] > w ? 'SAME' : padding(rand);
  const [oh, ow] = windowOut2d(pad, h, w, filter, stride);
  const qq = q(rand, -4, 1);
  const x = input(b, shape, qq);
  emit(b, kind, [x], [{ shape: [n, oh, ow, c], q: qq }], {
    padding: pad,
    strideH: stride[0],
    strideW: stride[1],
    filterH: filter[0],
    filterW: filter[1],
    activation: activation(rand),
  });
}

function resize(kind: 'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR', { b, rand }: FuzzContext): void {
  const [n, h, w, c] = image(rand, 8, 5);
  const oh = chance(rand, 0.2) ? h : int(rand, 1, 14);
  const ow = chance(rand, 0.2) ? w : int(rand, 1, 14);
  const mode = int(rand, 0, kind === 'RESIZE_BILINEAR' ? 2 : 3);
  const qq = q(rand);
  const x = input(b, [n, h, w, c], qq);
  const size = b.ints([oh, ow]);
  emit(b, kind, [x, size], [{ shape: [n, oh, ow, c], q: qq }], {
    alignCorners: mode === 1 || mode === 3,
    halfPixelCenters: mode === 2 || mode === 3,
  });
}

/** Per-tensor or per-channel symmetric int8 weights along `axis`; returns the tensor and its scales. */
function weights(b: GraphBuilder, rand: Rand, shape: number[], channelsN: number, axis: number): { index: number; scales: number[] } {
  return int8Weights(b, rand, shape, { perChannel: chance(rand, 0.6), axis, channels: channelsN, limits: [127, 127, 40, 3] });
}

const CLAMPS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

export const generators: FuzzGenerator[] = [
  {
    name: 'TRANSPOSE_CONV',
    ops: ['TRANSPOSE_CONV'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const inC = channels(rand, 6);
      const outC = channels(rand, 6);
      const inH = int(rand, 1, 5);
      const inW = int(rand, 1, 5);
      const stride: [number, number] = [int(rand, 1, 3), int(rand, 1, 3)];
      const k: [number, number] = [int(rand, 1, 4), int(rand, 1, 4)];
      const pad = padding(rand);
      // SAME: any output size whose forward conv gives the input size; VALID: the full extent
      const outH = pad === 'SAME' ? inH * stride[0] - int(rand, 0, stride[0] - 1) : (inH - 1) * stride[0] + k[0];
      const outW = pad === 'SAME' ? inW * stride[1] - int(rand, 0, stride[1] - 1) : (inW - 1) * stride[1] + k[1];
      const qi = q(rand, -3, 0);
      const x = input(b, [1, inH, inW, inC], qi);
      const f = weights(b, rand, [outC, k[0], k[1], inC], outC, 0);
      const biasIndex = chance(rand, 0.7) ? int32Bias(b, rand, outC, qi.scale, f.scales, [0, 100, 5000, 200000]) : -1;
      const typical = qi.scale * f.scales[0]! * 64 * Math.sqrt(inC * Math.ceil(k[0] / stride[0]) * Math.ceil(k[1] / stride[1]));
      const qo = { scale: typical * 10 ** (-1.5 + 2 * rand()), zeroPoint: zeroPoint(rand) };
      // now and then the output shape is computed in the graph (here: a model input) as converters
      // sometimes leave it: TFLite Micro sizes the layer from its output tensor and ignores the values
      const shape = chance(rand, 0.25) ? b.input({ shape: [4], dtype: 'int32' }) : b.ints([1, outH, outW, outC]);
      emit(b, 'TRANSPOSE_CONV', [shape, f.index, x, biasIndex], [{ shape: [1, outH, outW, outC], q: qo }], {
        padding: pad,
        strideH: stride[0],
        strideW: stride[1],
        activation: activation(rand, CLAMPS),
      });
    },
  },
  {
    name: 'BATCH_MATMUL',
    ops: ['BATCH_MATMUL'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const outBatch = Array.from({ length: int(rand, 0, 3) }, () => int(rand, 1, 3));
      const batchOf = () => outBatch.slice(int(rand, 0, outBatch.length)).map((d) => (chance(rand, 0.3) ? 1 : d));
      const lb = batchOf();
      const rb = batchOf();
      const ob = broadcastShape(lb, rb);
      const m = int(rand, 1, 8);
      const kk = int(rand, 1, 16);
      const n = int(rand, 1, 8);
      const adjX = chance(rand, 0.5);
      const adjY = chance(rand, 0.5);
      const lhsShape = [...lb, ...(adjX ? [kk, m] : [m, kk])];
      const rhsShape = [...rb, ...(adjY ? [n, kk] : [kk, n])];
      const ql = q(rand, -3, 0);
      const qr = q(rand, -3, 0);
      const lhs = input(b, lhsShape, ql);
      const rhs = chance(rand, 0.3) ? b.constant({ shape: rhsShape, q: qr }, int8s(rand, count(rhsShape))) : input(b, rhsShape, qr);
      const typical = ql.scale * qr.scale * 128 * 64 * Math.sqrt(kk);
      const qo = { scale: typical * 10 ** (-1.5 + 2 * rand()), zeroPoint: zeroPoint(rand) };
      emit(b, 'BATCH_MATMUL', [lhs, rhs], [{ shape: [...ob, m, n], q: qo }], { adjX, adjY, asymmetricQuantizeInputs: false });
    },
  },
  { name: 'RESIZE_BILINEAR', ops: ['RESIZE_BILINEAR'], dtypes: ['int8'], generate: (ctx) => resize('RESIZE_BILINEAR', ctx) },
  { name: 'RESIZE_NEAREST_NEIGHBOR', ops: ['RESIZE_NEAREST_NEIGHBOR'], dtypes: ['int8'], generate: (ctx) => resize('RESIZE_NEAREST_NEIGHBOR', ctx) },
  {
    name: 'SOFTMAX',
    ops: ['SOFTMAX'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const beta = pick(rand, [1, 1, 0.5, 2, 0.1, 4]);
      // TFLite needs input scale x beta x 2^26 >= 1: scales from 1e-4 up
      unary(b, rand, 'SOFTMAX', () => ({ scale: 1 / 256, zeroPoint: -128 }), { beta }, -4, 1);
    },
  },
  {
    name: 'LOGISTIC',
    ops: ['LOGISTIC'],
    dtypes: ['int8'],
    generate: ({ b, rand }) => unary(b, rand, 'LOGISTIC', () => ({ scale: 1 / 256, zeroPoint: -128 }), {}, -5, 1.3),
  },
  { name: 'TANH', ops: ['TANH'], dtypes: ['int8'], generate: ({ b, rand }) => unary(b, rand, 'TANH', () => ({ scale: 1 / 128, zeroPoint: 0 }), {}, -5, 1.3) },
  {
    name: 'L2_NORMALIZATION',
    ops: ['L2_NORMALIZATION'],
    dtypes: ['int8'],
    generate: ({ b, rand }) => unary(b, rand, 'L2_NORMALIZATION', () => ({ scale: 1 / 128, zeroPoint: 0 }), { activation: 'NONE' }, -4, 1),
  },
  {
    name: 'SUB',
    ops: ['SUB'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const out = shapeOf(rand, 5, 6, 512);
      // each side drops leading dimensions or squeezes some to 1 (broadcasting), or is a scalar
      const operand = () => (chance(rand, 0.1) ? [1] : out.slice(int(rand, 0, out.length - 1)).map((d) => (chance(rand, 0.25) ? 1 : d)));
      // a third of the time one side is the full shape
      const a = chance(rand, 0.3) ? out : operand();
      const c = operand();
      const qa = q(rand, -4, 0);
      const qc = chance(rand, 0.2) ? qa : q(rand, -4, 0);
      const x = input(b, a, qa);
      const yIn = input(b, c, qc);
      emit(b, 'SUB', [x, yIn], [{ shape: broadcastShape(a, c), q: q(rand, -4, 0.5) }], { activation: activation(rand) });
    },
  },
  { name: 'AVERAGE_POOL_2D', ops: ['AVERAGE_POOL_2D'], dtypes: ['int8'], generate: (ctx) => pool('AVERAGE_POOL_2D', ctx) },
  { name: 'MAX_POOL_2D', ops: ['MAX_POOL_2D'], dtypes: ['int8'], generate: (ctx) => pool('MAX_POOL_2D', ctx) },
  {
    name: 'CONCATENATION',
    ops: ['CONCATENATION'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const base = shapeOf(rand, 5, 5, 256);
      const axis = int(rand, 0, base.length - 1);
      const pieces = Array.from({ length: int(rand, 1, 5) }, () => base.map((d, i) => (i === axis ? int(rand, 1, 4) : d)));
      // TFLite Micro requires every int8 input on the output's scale and zero point
      const qq = q(rand);
      const xs = pieces.map((s) => input(b, s, qq));
      const outShape = base.map((d, i) => (i === axis ? pieces.reduce((n, s) => n + s[i]!, 0) : d));
      emit(b, 'CONCATENATION', xs, [{ shape: outShape, q: qq }], { axis: chance(rand, 0.3) ? axis - base.length : axis, activation: 'NONE' });
    },
  },
  {
    name: 'PAD',
    ops: ['PAD', 'PADV2'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand, 5, 5, 256);
      // now and then a negative padding (TFLite Micro then fills the interior in memory order)
      const negative = chance(rand, 0.15);
      const paddings = shape.flatMap((d) => (negative && chance(rand, 0.5) ? [int(rand, 1 - d, 0), int(rand, 0, 2)] : [int(rand, 0, 3), int(rand, 0, 3)]));
      const outShape = shape.map((d, k) => d + paddings[2 * k]! + paddings[2 * k + 1]!);
      const qq = q(rand);
      const x = input(b, shape, qq);
      const p = b.ints(paddings, [shape.length, 2]);
      const v2 = chance(rand, 0.4);
      const inputs = v2 ? [x, p, b.constant({ shape: [], q: qq }, Int8Array.from([int(rand, -128, 127)]))] : [x, p];
      emit(b, v2 ? 'PADV2' : 'PAD', inputs, [{ shape: outShape, q: qq }]);
    },
  },
  {
    name: 'DEQUANTIZE',
    ops: ['DEQUANTIZE'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand, 4, 8, 256);
      const x = input(b, shape, q(rand, -6, 2));
      emit(b, 'DEQUANTIZE', [x], [{ shape, dtype: 'float32' }]);
    },
  },
  {
    name: 'QUANTIZE',
    ops: ['QUANTIZE'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand, 4, 12);
      const qi = q(rand, -5, 1);
      // ratios from 1/1000 to 1000, sometimes equal scales or zero points
      const qo = { scale: chance(rand, 0.15) ? qi.scale : qi.scale * 10 ** (-3 + 6 * rand()), zeroPoint: chance(rand, 0.2) ? qi.zeroPoint : zeroPoint(rand) };
      const x = input(b, shape, qi);
      emit(b, 'QUANTIZE', [x], [{ shape, q: qo }]);
    },
  },
];
