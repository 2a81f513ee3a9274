// SPDX-License-Identifier: Apache-2.0
/**
 * Fuzz generators of 16x8 components (int16 activations with zero point 0, int8 weights, int64 /
 * int32 / int16 biases where TFLite Micro takes them): one generator per op tinyforge runs with int16
 * activations, drawing shapes, channel counts (1, 2, 3, 5, 7, 12, 17), 1x1 images, strides, dilations,
 * paddings, fused activations and scales (extreme ones included) at random. Every component stays
 * small (a few KB of activations) so that many fit one model on a 16 KB-RAM board.
 *
 * The op tests use them too (src/core/ops/<op>/*_int16*.test.ts via int16Cases): each generator adds its
 * model inputs (b.input) in the op's input order, so a one-component graph's inputs line up with the
 * op's non-constant inputs.
 */
import type { FusedActivation, Padding } from '../../../src/core/ir/graph.ts';
import type { TensorBuffer } from '../../../src/core/ir/buffers.ts';
import type { GraphBuilder, Q, Spec } from '../../helpers/graph_builder.ts';
import { type Rand, CHANNELS, activation, count, int, logUniform, padding as drawPadding, pick, reducedShape, shuffle, windowOut2d } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzGenerator } from './types.ts';

/**
 * A fused activation for an output of scale `outScale`. TFLite refuses RELU6 and RELU_N1_TO_1 when 6
 * or 1 quantized on that scale overflows int32 (CalculateActivationRangeQuantized): RELU there.
 */
function fusedActivation(rand: Rand, outScale: number): FusedActivation {
  const a = activation(rand);
  return (a === 'RELU6' || a === 'RELU_N1_TO_1') && 6 / outScale > 2e9 ? 'RELU' : a;
}

/** An int16 activation scale: mostly ordinary, sometimes extreme (tiny or huge). */
function actScale(rand: Rand): number {
  const r = rand();
  if (r < 0.1) return logUniform(rand, 1e-8, 1e-5);
  if (r < 0.2) return logUniform(rand, 0.05, 50);
  return logUniform(rand, 1e-5, 0.05);
}

const q16 = (scale: number): Q => ({ scale, zeroPoint: 0 });
const a16 = (shape: number[], scale: number): Spec => ({ shape, dtype: 'int16', q: q16(scale) });

/** An NHWC image of at most `maxElems` elements: often 1x1, channels from CHANNELS. */
function image(rand: Rand, maxElems = 512, channels = pick(rand, CHANNELS)): [number, number, number, number] {
  for (;;) {
    const oneByOne = rand() < 0.15;
    const h = oneByOne ? 1 : int(rand, 1, 7);
    const w = oneByOne ? 1 : int(rand, 1, 7);
    const n = rand() < 0.1 ? 2 : 1;
    if (n * h * w * channels <= maxElems) return [n, h, w, channels];
  }
}

/** A shape of rank 1..4 with at most `maxElems` elements. */
function anyShape(rand: Rand, maxElems = 400, minRank = 1, maxRank = 4): number[] {
  for (;;) {
    const rank = int(rand, minRank, maxRank);
    const shape = Array.from({ length: rank }, (_, i) => (i === rank - 1 ? pick(rand, CHANNELS) : int(rand, 1, 5)));
    if (count(shape) <= maxElems) return shape;
  }
}

/** Symmetric int8 weights, per channel along `axis` (or per tensor), constant. */
function weights(b: GraphBuilder, rand: Rand, shape: number[], axis: number, perChannel: boolean): { index: number; scales: number[] } {
  const channels = perChannel ? shape[axis]! : 1;
  const base = logUniform(rand, 1e-4, 0.1);
  const scales = Array.from({ length: channels }, () => base * logUniform(rand, 0.3, 3));
  const extreme = rand() < 0.15;
  const data = Int8Array.from({ length: count(shape) }, () => (extreme ? pick(rand, [-127, 127, 0]) : int(rand, -127, 127)));
  const index = b.constant({ shape, dtype: 'int8', quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: perChannel ? axis : 0 } }, data);
  return { index, scales };
}

/**
 * A constant bias of `dtype` for `channels` outputs (absent: -1), quantized at s_in·s_w as converters
 * write it (TFLite Micro checks that scale for per-tensor weights).
 */
function bias(b: GraphBuilder, rand: Rand, dtype: BiasDType, channels: number, inScale: number, weightScales: number[]): number {
  if (dtype === 'none') return -1;
  const big = rand() < 0.2;
  const values = Array.from({ length: channels }, () => int(rand, big ? -(2 ** 30) : -(2 ** 20), big ? 2 ** 30 : 2 ** 20));
  let data: TensorBuffer;
  if (dtype === 'int64') data = BigInt64Array.from(values.map((v) => BigInt(v) * (big ? 64n : 1n)));
  else if (dtype === 'int32') data = Int32Array.from(values);
  else data = Int16Array.from(values.map((v) => Math.max(-32768, Math.min(32767, v >> 10))));
  const scale = weightScales.map((s) => inScale * s);
  return b.constant({ shape: [channels], dtype, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } }, data);
}

/** The output scale of a weighted layer: near the typical accumulator magnitude, spread both ways. */
function weightedOutputScale(rand: Rand, inScale: number, weightScale: number, taps: number): number {
  // random int16 inputs and int8 weights give an accumulator of about 1.4e6·sqrt(taps); aim at a few thousand
  return inScale * weightScale * 300 * Math.sqrt(taps) * logUniform(rand, 0.05, 20);
}

type BiasDType = 'none' | 'int16' | 'int32' | 'int64';

/**
 * A weighted layer (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV): an int16 input,
 * int8 weights (per channel with probability `perChannel`), a bias of one of `biasDTypes`, an output
 * scale near the accumulator's for `taps` products and a fused activation; `inputs` orders the op's
 * inputs (default input, weights, bias).
 */
function weightedLayer(
  b: GraphBuilder,
  rand: Rand,
  kind: string,
  o: {
    inShape: number[];
    wShape: number[];
    wAxis: number;
    perChannel: number;
    biasDTypes: readonly BiasDType[];
    outShape: number[];
    taps: number;
    attrs: Record<string, unknown>;
    inputs?: (x: number, w: number, bias: number) => number[];
  },
): void {
  const si = actScale(rand);
  const x = b.input(a16(o.inShape, si));
  const wt = weights(b, rand, o.wShape, o.wAxis, o.perChannel > 0 && rand() < o.perChannel);
  const bDType = o.biasDTypes.length === 1 ? o.biasDTypes[0]! : pick(rand, o.biasDTypes);
  const bi = bias(b, rand, bDType, o.wShape[o.wAxis]!, si, wt.scales);
  const so = weightedOutputScale(rand, si, wt.scales[0]!, o.taps);
  const inputs = o.inputs ? o.inputs(x, wt.index, bi) : [x, wt.index, bi];
  emit(b, kind, inputs, [a16(o.outShape, so)], { ...o.attrs, activation: fusedActivation(rand, so) });
}

/**
 * A random 2-D window (kernel sides 1..kMax, strides 1..strideMax, dilation 2 a fifth of the time
 * where `dilated`, SAME or VALID) over an h x w image: its op attributes and output sides (0 where
 * it does not fit).
 */
function window2d(rand: Rand, h: number, w: number, kMax: number, strideMax: number, dilated: boolean) {
  const kH = int(rand, 1, kMax),
    kW = int(rand, 1, kMax);
  const strideH = int(rand, 1, strideMax),
    strideW = int(rand, 1, strideMax);
  const dilationH = dilated && rand() < 0.2 ? 2 : 1,
    dilationW = dilated && rand() < 0.2 ? 2 : 1;
  const padding: Padding = drawPadding(rand);
  const [outH, outW] = windowOut2d(padding, h, w, [kH, kW], [strideH, strideW], [dilationH, dilationW]);
  const attrs = dilated ? { padding, strideH, strideW, dilationH, dilationW } : { padding, strideH, strideW };
  return { kH, kW, outH, outW, attrs };
}

/** A generator of 16x8 components. */
function gen16(name: string, ops: string[], generate: FuzzGenerator['generate']): FuzzGenerator {
  return { name, ops, dtypes: ['int16'], generate };
}

// ---------------------------------------------------------------------------------------------

function binaryShapes(rand: Rand): [number[], number[], number[]] {
  const out = anyShape(rand, 300);
  const drop = (s: number[]) => {
    const k = rand();
    if (k < 0.4) return [...s];
    if (k < 0.6) return [s[s.length - 1]!];
    if (k < 0.7) return [1];
    return s.map((d) => (rand() < 0.4 ? 1 : d));
  };
  // the broadcast of a and b must be `out`: put back the full extents where both are 1
  const rank = out.length;
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s] as number[];
  const pa = pad(drop(out)),
    pb = pad(drop(out));
  for (let i = 0; i < rank; i++) if (pa[i] === 1 && pb[i] === 1 && out[i] !== 1) pa[i] = out[i]!;
  // leading 1s may go (a lower rank broadcasts the same)
  const strip = (s: number[]) => {
    const t = [...s];
    while (t.length > 1 && t[0] === 1 && rand() < 0.5) t.shift();
    return t;
  };
  // (only one side: the other keeps the output's rank)
  return rand() < 0.5 ? [strip(pa), pb, out] : [pa, strip(pb), out];
}

function addOrSub(kind: 'ADD' | 'SUB'): FuzzGenerator {
  return gen16(`${kind.toLowerCase()}-int16`, [kind], ({ b, rand }) => {
    const [sa, sb, so] = binaryShapes(rand);
    const s1 = actScale(rand);
    const s2 = rand() < 0.3 ? s1 : s1 * logUniform(rand, 0.1, 10);
    // TFLite needs 2·max(s1, s2) / (2^15·s_out) < 1
    const sOut = Math.max(s1, s2) * logUniform(rand, 0.01, 4) * (rand() < 0.1 ? 1 / 8000 : 1);
    const x = b.input(a16(sa, s1));
    const y = b.input(a16(sb, s2));
    const outScale = Math.max(sOut, Math.max(s1, s2) / 16000);
    emit(b, kind, [x, y], [a16(so, outScale)], { activation: fusedActivation(rand, outScale) });
  });
}

const mul = gen16('mul-int16', ['MUL'], ({ b, rand }) => {
  const [sa, sb, so] = binaryShapes(rand);
  const s1 = actScale(rand);
  const s2 = actScale(rand);
  const x = b.input(a16(sa, s1));
  const y = b.input(a16(sb, s2));
  // products of random int16 inputs are about 2^28: an output scale near s1·s2·2^15 keeps them in range
  const outScale = s1 * s2 * 2 ** 15 * logUniform(rand, 0.01, 10);
  emit(b, 'MUL', [x, y], [a16(so, outScale)], { activation: fusedActivation(rand, outScale) });
});

const squaredDifference = gen16('squared-difference-int16', ['SQUARED_DIFFERENCE'], ({ b, rand }) => {
  const [sa, sb, so] = binaryShapes(rand);
  const s1 = actScale(rand);
  const s2 = rand() < 0.3 ? s1 : s1 * logUniform(rand, 0.1, 10);
  const x = b.input(a16(sa, s1));
  const y = b.input(a16(sb, s2));
  // squares of differences reach (2·max)^2·2^30: an output scale near max^2·2^16 keeps them in range
  emit(b, 'SQUARED_DIFFERENCE', [x, y], [a16(so, Math.max(s1, s2) ** 2 * 2 ** 16 * logUniform(rand, 0.01, 10))]);
});

const batchMatmul = gen16('batch-matmul-int16', ['BATCH_MATMUL'], ({ b, rand }) => {
  const m = pick(rand, CHANNELS),
    k = pick(rand, [1, 2, 3, 5, 8, 17]),
    n = pick(rand, CHANNELS);
  const adjX = rand() < 0.3,
    adjY = rand() < 0.3;
  const batch = pick(rand, [[], [2], [1], [2, 1]] as number[][]);
  const otherBatch = batch.length > 0 && rand() < 0.4 ? batch.map((d) => (d === 2 ? 1 : 2)) : batch;
  const [lb, rb] = rand() < 0.5 ? [batch, otherBatch] : [otherBatch, batch];
  const outBatch = lb.map((d, i) => Math.max(d, rb[i] ?? 1));
  const s1 = actScale(rand),
    s2 = actScale(rand);
  const x = b.input(a16([...lb, ...(adjX ? [k, m] : [m, k])], s1));
  const y = b.input(a16([...rb, ...(adjY ? [n, k] : [k, n])], s2));
  emit(b, 'BATCH_MATMUL', [x, y], [a16([...outBatch, m, n], s1 * s2 * 2 ** 15 * Math.sqrt(k) * logUniform(rand, 0.05, 10))], { adjX, adjY });
});

const conv2d = gen16('conv2d-int16', ['CONV_2D'], ({ b, rand }) => {
  for (;;) {
    const [n, h, w, inC] = image(rand, 400);
    const grouped = rand() < 0.15 && inC > 1;
    const groups = grouped
      ? pick(
          rand,
          [...Array(inC).keys()].map((k) => k + 1).filter((g) => inC % g === 0 && g > 1),
        )
      : 1;
    const outC = groups * pick(rand, [1, 2, 3]) * (grouped ? 1 : pick(rand, CHANNELS));
    const { kH, kW, outH, outW, attrs } = window2d(rand, h, w, 3, 2, true);
    if (outH < 1 || outW < 1 || n * outH * outW * outC > 500 || outC * kH * kW * (inC / groups) > 2500) continue;
    weightedLayer(b, rand, 'CONV_2D', {
      inShape: [n, h, w, inC],
      wShape: [outC, kH, kW, inC / groups],
      wAxis: 0,
      perChannel: 0.8,
      biasDTypes: ['none', 'int32', 'int64', 'int64'],
      outShape: [n, outH, outW, outC],
      taps: (kH * kW * inC) / groups,
      attrs,
    });
    return;
  }
});

const depthwise = gen16('depthwise-int16', ['DEPTHWISE_CONV_2D'], ({ b, rand }) => {
  for (;;) {
    const [n, h, w, inC] = image(rand, 400);
    const mult = pick(rand, [1, 1, 2, 3]);
    const outC = inC * mult;
    const { kH, kW, outH, outW, attrs } = window2d(rand, h, w, 3, 2, true);
    if (outH < 1 || outW < 1 || n * outH * outW * outC > 500) continue;
    // TFLite Micro's int16 DEPTHWISE_CONV_2D crashes without a bias
    weightedLayer(b, rand, 'DEPTHWISE_CONV_2D', {
      inShape: [n, h, w, inC],
      wShape: [1, kH, kW, outC],
      wAxis: 3,
      perChannel: 0.8,
      biasDTypes: ['int64'],
      outShape: [n, outH, outW, outC],
      taps: kH * kW,
      attrs: { ...attrs, depthMultiplier: mult },
    });
    return;
  }
});

const fullyConnected = gen16('fc-int16', ['FULLY_CONNECTED'], ({ b, rand }) => {
  const batches = pick(rand, [1, 1, 2, 3]);
  const inF = pick(rand, [1, 2, 3, 5, 7, 12, 17, 32, 64, 100]);
  const outF = pick(rand, CHANNELS);
  weightedLayer(b, rand, 'FULLY_CONNECTED', {
    inShape: [batches, inF],
    wShape: [outF, inF],
    wAxis: 0,
    perChannel: 0,
    biasDTypes: ['none', 'int64'],
    outShape: [batches, outF],
    taps: inF,
    attrs: { keepNumDims: false },
  });
});

const transposeConv = gen16('transpose-conv-int16', ['TRANSPOSE_CONV'], ({ b, rand }) => {
  for (;;) {
    const [n, h, w, inC] = image(rand, 200);
    const outC = pick(rand, CHANNELS);
    const kH = int(rand, 1, 4),
      kW = int(rand, 1, 4);
    const strideH = int(rand, 1, 3),
      strideW = int(rand, 1, 3);
    const padding = drawPadding(rand);
    const outH = padding === 'SAME' ? h * strideH : (h - 1) * strideH + kH;
    const outW = padding === 'SAME' ? w * strideW : (w - 1) * strideW + kW;
    if (n * outH * outW * outC > 600) continue;
    const shape = b.ints([n, outH, outW, outC]);
    weightedLayer(b, rand, 'TRANSPOSE_CONV', {
      inShape: [n, h, w, inC],
      wShape: [outC, kH, kW, inC],
      wAxis: 0,
      perChannel: 0.8,
      biasDTypes: ['none', 'int64', 'int64', 'int16'],
      outShape: [n, outH, outW, outC],
      taps: Math.ceil(kH / strideH) * Math.ceil(kW / strideW) * inC,
      attrs: { padding, strideH, strideW },
      inputs: (x, w, bias) => [shape, w, x, bias],
    });
    return;
  }
});

/** A one-input op whose output has the input's shape. */
function unary(kind: string, outScale: (rand: Rand, si: number) => number, attrs: (rand: Rand) => Record<string, unknown> = () => ({})): FuzzGenerator {
  return gen16(`${kind.toLowerCase().replace(/_/g, '-')}-int16`, [kind], ({ b, rand }) => {
    const shape = anyShape(rand, 500);
    const si = actScale(rand);
    const x = b.input(a16(shape, si));
    emit(b, kind, [x], [a16(shape, outScale(rand, si))], attrs(rand));
  });
}

const leakyRelu = unary(
  'LEAKY_RELU',
  (rand, si) => si * logUniform(rand, 0.1, 10),
  (rand) => ({ alpha: pick(rand, [0.01, 0.1, 0.2, 0.3, 0.5, 0.99, 1.5, -0.5, 0]) }),
);
const relu = unary('RELU', (rand, si) => si * logUniform(rand, 0.1, 10));
const relu6 = unary('RELU6', (rand, si) => si * logUniform(rand, 0.5, 2));
/** LOGISTIC and TANH: TFLite's int16 kernels take input scales up to 32767/12288 and output 2^-15. */
function sigmoidLike(kind: 'LOGISTIC' | 'TANH'): FuzzGenerator {
  return gen16(`${kind.toLowerCase()}-int16`, [kind], ({ b, rand }) => {
    const shape = anyShape(rand, 500);
    const si = rand() < 0.15 ? pick(rand, [2 ** -12, 2 ** -10, 3 / 32768, 1 / 4096, 2.6]) : logUniform(rand, 1e-7, 2.6);
    const x = b.input(a16(shape, si));
    emit(b, kind, [x], [a16(shape, 2 ** -15)]);
  });
}
const logistic = sigmoidLike('LOGISTIC');
const tanh = sigmoidLike('TANH');
const softmax = gen16('softmax-int16', ['SOFTMAX'], ({ b, rand }) => {
  const shape = anyShape(rand, 400);
  const beta = pick(rand, [1, 1, 0.5, 2]);
  if (rand() < 0.25) {
    // int8 in, int16 out: TFLite Micro's mixed softmax wants the output at 1/65536 and zero point -32768
    const x = b.input({ shape, dtype: 'int8', q: { scale: logUniform(rand, 1e-3, 0.5), zeroPoint: int(rand, -128, 127) } });
    emit(b, 'SOFTMAX', [x], [{ shape, dtype: 'int16', q: { scale: 1 / 65536, zeroPoint: -32768 } }], { beta });
    return;
  }
  const si = logUniform(rand, 1e-5, 0.01);
  const x = b.input(a16(shape, si));
  emit(b, 'SOFTMAX', [x], [a16(shape, 1 / 32768)], { beta });
});

const prelu = gen16('prelu-int16', ['PRELU'], ({ b, rand }) => {
  const shape = image(rand, 400);
  const si = actScale(rand);
  const x = b.input(a16(shape, si));
  const alphaShape = rand() < 0.7 ? [shape[3]] : rand() < 0.5 ? [1, 1, shape[3]] : [1];
  const aScale = logUniform(rand, 1e-3, 0.05);
  const alpha = b.constant(
    { shape: alphaShape, dtype: 'int8', q: { scale: aScale, zeroPoint: int(rand, -20, 20) } },
    Int8Array.from({ length: count(alphaShape) }, () => int(rand, -128, 127)),
  );
  emit(b, 'PRELU', [x, alpha], [a16(shape, si * logUniform(rand, 0.2, 5))]);
});

function pool(kind: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D'): FuzzGenerator {
  return gen16(`${kind === 'MAX_POOL_2D' ? 'max' : 'avg'}-pool-int16`, [kind], ({ b, rand }) => {
    for (;;) {
      const [n, h, w, c] = image(rand, 500);
      const { kH, kW, outH, outW, attrs } = window2d(rand, h, w, 3, 3, false);
      if (outH < 1 || outW < 1) continue;
      const s = actScale(rand);
      const x = b.input(a16([n, h, w, c], s));
      emit(b, kind, [x], [a16([n, outH, outW, c], s)], { ...attrs, filterH: kH, filterW: kW, activation: fusedActivation(rand, s) });
      return;
    }
  });
}

function reduction(kind: 'MEAN' | 'SUM'): FuzzGenerator {
  return gen16(`${kind.toLowerCase()}-int16`, [kind], ({ b, rand }) => {
    const shape = rand() < 0.5 ? image(rand, 500) : anyShape(rand, 500);
    const rank = shape.length;
    let axes = shape.map((_, i) => i).filter(() => rand() < 0.5);
    if (rank === 4 && rand() < 0.4) axes = [1, 2];
    if (axes.length === 0) axes = [rank - 1];
    const keepDims = rand() < 0.5;
    const outShape = reducedShape(shape, axes, keepDims);
    const reduced = count(axes.map((a) => shape[a]!));
    const si = actScale(rand);
    const so = kind === 'SUM' ? si * Math.sqrt(reduced) * logUniform(rand, 0.2, 5) : si * (rand() < 0.3 ? 1 : logUniform(rand, 0.2, 5));
    const x = b.input(a16(shape, si));
    const ax = b.ints(axes.map((a) => (rand() < 0.2 ? a - rank : a)));
    emit(b, kind, [x, ax], [a16(outShape, so)], { keepDims });
  });
}

const quantize = gen16('quantize-int16', ['QUANTIZE'], ({ b, rand }) => {
  const shape = anyShape(rand, 300);
  const [from, to] = pick(rand, [
    ['int16', 'int16'],
    ['int16', 'int8'],
    ['int8', 'int16'],
    ['int16', 'int32'],
    ['int32', 'int16'],
    ['int8', 'int32'],
    ['int32', 'int8'],
    ['float32', 'int16'],
  ] as const);
  const spec = (dtype: 'int8' | 'int16' | 'int32', scale: number): Spec => ({
    shape,
    dtype,
    q: { scale, zeroPoint: dtype === 'int8' ? int(rand, -128, 127) : 0 },
  });
  if (from === 'float32') {
    const x = b.input({ shape, dtype: 'float32' });
    emit(b, 'QUANTIZE', [x], [spec('int16', pick(rand, [1e-4, 1e-3, 2 ** -12, actScale(rand)]))]);
    return;
  }
  const si = actScale(rand);
  // int32 tensors are finely quantized (biases, accumulators); int8 coarsely
  const bits = { int8: 8, int16: 16, int32: 32 };
  const so = si * 2 ** (bits[from] - bits[to]) * logUniform(rand, 0.3, 3);
  const x = b.input(spec(from, si));
  emit(b, 'QUANTIZE', [x], [spec(to, so)]);
});

const dequantize = gen16('dequantize-int16', ['DEQUANTIZE'], ({ b, rand }) => {
  const shape = anyShape(rand, 300);
  const x = b.input(a16(shape, actScale(rand)));
  emit(b, 'DEQUANTIZE', [x], [{ shape, dtype: 'float32' }]);
});

const pad = gen16('pad-int16', ['PAD', 'PADV2'], ({ b, rand }) => {
  let shape: number[], paddings: number[][], outShape: number[];
  do {
    shape = anyShape(rand, 200);
    paddings = shape.map(() => [int(rand, 0, 2), int(rand, 0, 2)]);
    outShape = shape.map((d, i) => d + paddings[i]![0]! + paddings[i]![1]!);
  } while (count(outShape) > 800);
  const s = actScale(rand);
  const x = b.input(a16(shape, s));
  const p = b.ints(paddings.flat(), [shape.length, 2]);
  const v2 = rand() < 0.4;
  const inputs = [x, p];
  if (v2) inputs.push(b.constant({ shape: [1], dtype: 'int16', q: q16(s) }, Int16Array.from([int(rand, -32768, 32767)])));
  emit(b, v2 ? 'PADV2' : 'PAD', inputs, [a16(outShape, s)]);
});

const stridedSlice = gen16('strided-slice-int16', ['STRIDED_SLICE'], ({ b, rand }) => {
  const shape = anyShape(rand, 500);
  const begin: number[] = [],
    end: number[] = [],
    strides: number[] = [],
    outShape: number[] = [];
  for (const d of shape) {
    const s = rand() < 0.2 ? -1 : int(rand, 1, 2);
    if (s > 0) {
      const lo = int(rand, 0, d - 1),
        hi = int(rand, lo + 1, d);
      begin.push(lo);
      end.push(hi);
      strides.push(s);
      outShape.push(Math.ceil((hi - lo) / s));
    } else {
      const hi = int(rand, 0, d - 1),
        lo = int(rand, -1, hi - 1);
      begin.push(hi);
      end.push(lo < 0 ? -d - 1 : lo);
      strides.push(s);
      outShape.push(hi - lo);
    }
  }
  const sc = actScale(rand);
  const x = b.input(a16(shape, sc));
  emit(b, 'STRIDED_SLICE', [x, b.ints(begin), b.ints(end), b.ints(strides)], [a16(outShape, sc)], {
    beginMask: 0,
    endMask: 0,
    ellipsisMask: 0,
    newAxisMask: 0,
    shrinkAxisMask: 0,
    offset: false,
  });
});

const concatenation = gen16('concat-int16', ['CONCATENATION'], ({ b, rand }) => {
  const shape = anyShape(rand, 150);
  const axis = int(rand, 0, shape.length - 1);
  const k = int(rand, 1, 4);
  const s = actScale(rand);
  const parts = Array.from({ length: k }, () => shape.map((d, i) => (i === axis ? int(rand, 1, 3) : d)));
  // TFLite Micro copies int16 inputs as they are (no requantization): any input scale is allowed
  const xs = parts.map((p) => b.input(a16(p, rand() < 0.7 ? s : actScale(rand))));
  const outShape = shape.map((d, i) => (i === axis ? parts.reduce((n, p) => n + p[axis]!, 0) : d));
  emit(b, 'CONCATENATION', xs, [a16(outShape, s)], { axis: rand() < 0.3 ? axis - shape.length : axis, activation: 'NONE' });
});

const reshape = gen16('reshape-int16', ['RESHAPE'], ({ b, rand }) => {
  const shape = anyShape(rand, 400);
  const n = count(shape);
  const outShape = rand() < 0.5 ? [n] : [1, n];
  const s = actScale(rand);
  const x = b.input(a16(shape, s));
  emit(b, 'RESHAPE', [x, b.ints(outShape)], [a16(outShape, s)], { newShape: outShape });
});

/** MAXIMUM / MINIMUM: broadcasting, input and output of one quantization (TFLite Micro compares raw values). */
function minMax(kind: 'MAXIMUM' | 'MINIMUM'): FuzzGenerator {
  return gen16(`${kind.toLowerCase()}-int16`, [kind], ({ b, rand }) => {
    const [sa, sb, so] = binaryShapes(rand);
    const s = actScale(rand);
    const x = b.input(a16(sa, s));
    const y = b.input(a16(sb, s));
    emit(b, kind, [x, y], [a16(so, s)]);
  });
}

const transpose = gen16('transpose-int16', ['TRANSPOSE'], ({ b, rand }) => {
  const shape = anyShape(rand, 400, 2, 4);
  const perm = shuffle(
    rand,
    shape.map((_, i) => i),
  );
  const s = actScale(rand);
  const x = b.input(a16(shape, s));
  emit(
    b,
    'TRANSPOSE',
    [x, b.ints(perm)],
    [
      a16(
        perm.map((p) => shape[p]!),
        s,
      ),
    ],
  );
});

const slice = gen16('slice-int16', ['SLICE'], ({ b, rand }) => {
  const shape = anyShape(rand, 500);
  const begin = shape.map((d) => int(rand, 0, d - 1));
  const size = shape.map((d, i) => (rand() < 0.2 ? -1 : int(rand, 1, d - begin[i]!)));
  const outShape = size.map((z, i) => (z === -1 ? shape[i]! - begin[i]! : z));
  const s = actScale(rand);
  const x = b.input(a16(shape, s));
  emit(b, 'SLICE', [x, b.ints(begin), b.ints(size)], [a16(outShape, s)]);
});

const split = gen16('split-int16', ['SPLIT', 'SPLIT_V'], ({ b, rand }) => {
  const shape = anyShape(rand, 400);
  const axis = int(rand, 0, shape.length - 1);
  const s = actScale(rand);
  if (rand() < 0.5) {
    const k = pick(
      rand,
      [1, 2, 3].filter((d) => shape[axis]! % d === 0),
    );
    const ax = b.ints([rand() < 0.3 ? axis - shape.length : axis], []);
    const x = b.input(a16(shape, s));
    emit(
      b,
      'SPLIT',
      [ax, x],
      Array.from({ length: k }, () =>
        a16(
          shape.map((d, i) => (i === axis ? d / k : d)),
          s,
        ),
      ),
      { numSplits: k },
    );
  } else {
    const sizes: number[] = [];
    let left = shape[axis]!;
    while (left > 0) {
      const z = int(rand, 1, left);
      sizes.push(z);
      left -= z;
    }
    const x = b.input(a16(shape, s));
    emit(
      b,
      'SPLIT_V',
      [x, b.ints(sizes), b.ints([axis], [])],
      sizes.map((z) =>
        a16(
          shape.map((d, i) => (i === axis ? z : d)),
          s,
        ),
      ),
      { numSplits: sizes.length },
    );
  }
});

const packUnpack = gen16('pack-unpack-int16', ['PACK', 'UNPACK'], ({ b, rand }) => {
  const shape = anyShape(rand, 150, 1, 3);
  const s = actScale(rand);
  const k = int(rand, 1, 3);
  if (rand() < 0.5) {
    const axis = int(rand, 0, shape.length);
    const xs = Array.from({ length: k }, () => b.input(a16(shape, s)));
    const outShape = [...shape.slice(0, axis), k, ...shape.slice(axis)];
    emit(b, 'PACK', xs, [a16(outShape, s)], { valuesCount: k, axis });
  } else {
    const axis = int(rand, 0, shape.length - 1);
    const x = b.input(a16(shape, s));
    const outShape = shape.filter((_, i) => i !== axis);
    emit(
      b,
      'UNPACK',
      [x],
      Array.from({ length: shape[axis]! }, () => a16(outShape, s)),
      { num: shape[axis]!, axis },
    );
  }
});

const squeezeExpand = gen16('squeeze-expand-dims-int16', ['SQUEEZE', 'EXPAND_DIMS'], ({ b, rand }) => {
  const s = actScale(rand);
  if (rand() < 0.5) {
    const inner = anyShape(rand, 300, 1, 3);
    const at = int(rand, 0, inner.length);
    const shape = [...inner.slice(0, at), 1, ...inner.slice(at)];
    const x = b.input(a16(shape, s));
    emit(b, 'SQUEEZE', [x], [a16(inner, s)], { squeezeDims: [at] });
  } else {
    const shape = anyShape(rand, 300, 1, 3);
    const at = int(rand, 0, shape.length);
    const x = b.input(a16(shape, s));
    emit(b, 'EXPAND_DIMS', [x, b.ints([at])], [a16([...shape.slice(0, at), 1, ...shape.slice(at)], s)]);
  }
});

const resizeNearest = gen16('resize-nearest-int16', ['RESIZE_NEAREST_NEIGHBOR'], ({ b, rand }) => {
  for (;;) {
    const [n, h, w, c] = image(rand, 200);
    const oh = int(rand, 1, 9),
      ow = int(rand, 1, 9);
    if (n * oh * ow * c > 600) continue;
    const alignCorners = rand() < 0.3;
    const halfPixelCenters = !alignCorners && rand() < 0.5;
    const s = actScale(rand);
    const x = b.input(a16([n, h, w, c], s));
    emit(b, 'RESIZE_NEAREST_NEIGHBOR', [x, b.ints([oh, ow])], [a16([n, oh, ow, c], s)], { alignCorners, halfPixelCenters });
    return;
  }
});

/** Every 16x8 op tinyforge compiles, one generator each (PAD also draws PADV2). */
export const generators: FuzzGenerator[] = [
  addOrSub('ADD'),
  addOrSub('SUB'),
  mul,
  squaredDifference,
  conv2d,
  depthwise,
  fullyConnected,
  transposeConv,
  batchMatmul,
  leakyRelu,
  relu,
  relu6,
  prelu,
  logistic,
  tanh,
  softmax,
  pool('MAX_POOL_2D'),
  pool('AVERAGE_POOL_2D'),
  reduction('MEAN'),
  reduction('SUM'),
  quantize,
  dequantize,
  pad,
  stridedSlice,
  concatenation,
  reshape,
  minMax('MAXIMUM'),
  minMax('MINIMUM'),
  transpose,
  slice,
  split,
  packUnpack,
  squeezeExpand,
  resizeNearest,
];
