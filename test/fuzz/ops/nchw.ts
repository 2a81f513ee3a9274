// SPDX-License-Identifier: Apache-2.0
/**
 * Graphs as PyTorch models reach TFLite through ONNX (onnx-tf, onnx2tf): an NCHW input (float32 with
 * a QUANTIZE, or int8), and every layer TFLite only has in NHWC (CONV_2D, DEPTHWISE_CONV_2D, PAD,
 * RESIZE_NEAREST_NEIGHBOR) wrapped in TRANSPOSEs, NCHW -> NHWC ([0,2,3,1]) before it and back
 * ([0,3,1,2]) after it; between them the NCHW ops: LEAKY_RELU, RELU, ADD, CONCATENATION along the
 * channels (axis 1), and detection heads (RetinaFace's): a 1x1 CONV_2D, a TRANSPOSE to NHWC, a
 * RESHAPE to [1, -1, k] and a CONCATENATION of the heads, or a 3-D TRANSPOSE ([0,2,1]) of a
 * [1, C, H*W] RESHAPE. Transposes compose, feed PADs, meet at branches and at concatenations: the
 * graph passes' folds and the memory plan's lifetimes across them are what this exercises.
 */
import type { GraphBuilder, Q } from '../../helpers/graph_builder.ts';
import { type Rand, chance, int, int8Q, pick, windowOut2d, zeroPoint } from '../draw.ts';
import { int32Bias, int8Weights } from './common.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

/** An int8 activation in NCHW. */
interface Nchw {
  index: number;
  shape: [number, number, number, number];
  q: Q;
}

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

function transposeOf(b: GraphBuilder, index: number, shape: readonly number[], perm: readonly number[], q: Q): number {
  return b.op('TRANSPOSE', [index, b.ints([...perm])], [{ shape: perm.map((p) => shape[p]!), q }])[0]!;
}

/** An output quantization for `terms` products of input and weight, spread over int8 mostly. */
function convQ(rand: Rand, inScale: number, wScale: number, terms: number): Q {
  return { scale: Math.max(1e-6, inScale * wScale * 64 * Math.sqrt(terms) * 10 ** (-1 + 1.5 * rand())), zeroPoint: zeroPoint(rand) };
}

/**
 * A convolution on an NCHW tensor as onnx-tf writes it: TRANSPOSE to NHWC, (a PAD for a strided
 * window), CONV_2D or DEPTHWISE_CONV_2D, TRANSPOSE back. `outQ` fixes the output quantization (the
 * branches of a CONCATENATION share it). Undefined when the window does not fit.
 */
function conv(
  b: GraphBuilder,
  rand: Rand,
  x: Nchw,
  o: { outC: number; k: number; stride: number; depthwise?: boolean; outQ?: Q; back?: boolean },
): { nchw?: Nchw; nhwc: number; nhwcShape: number[]; q: Q } | undefined {
  const [, c, h, w] = x.shape;
  const depthwise = o.depthwise === true;
  const outC = depthwise ? c : o.outC;
  let input = transposeOf(b, x.index, x.shape, TO_NHWC, x.q);
  let [ih, iw] = [h, w];
  let pad: 'SAME' | 'VALID' = chance(rand, 0.5) ? 'SAME' : 'VALID';
  if (o.stride > 1 && o.k > 1 && chance(rand, 0.6)) {
    // PyTorch's symmetric padding, explicit
    const p = (o.k - 1) >> 1;
    input = b.op('PAD', [input, b.ints([0, 0, p, p, p, p, 0, 0], [4, 2])], [{ shape: [1, h + 2 * p, w + 2 * p, c], q: x.q }])[0]!;
    [ih, iw] = [h + 2 * p, w + 2 * p];
    pad = 'VALID';
  }
  const [oh, ow] = windowOut2d(pad, ih, iw, [o.k, o.k], [o.stride, o.stride]);
  if (oh < 1 || ow < 1) return undefined;
  const f = depthwise
    ? int8Weights(b, rand, [1, o.k, o.k, outC], { perChannel: chance(rand, 0.8), axis: 3, channels: outC, limits: [127, 60] })
    : int8Weights(b, rand, [outC, o.k, o.k, c], { perChannel: chance(rand, 0.8), axis: 0, channels: outC, limits: [127, 60] });
  const bias = int32Bias(b, rand, outC, x.q.scale, f.scales, [0, 100, 5000]);
  const q = o.outQ ?? convQ(rand, x.q.scale, f.scales[0]!, o.k * o.k * (depthwise ? 1 : c));
  const nhwcShape = [1, oh, ow, outC];
  const y = b.op(depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', [input, f.index, bias], [{ shape: nhwcShape, q }], {
    padding: pad,
    strideH: o.stride,
    strideW: o.stride,
    dilationH: 1,
    dilationW: 1,
    activation: pick(rand, ['NONE', 'NONE', 'RELU', 'RELU6'] as const),
    ...(depthwise ? { depthMultiplier: 1 } : {}),
  })[0]!;
  if (o.back === false) return { nhwc: y, nhwcShape, q };
  const shape: Nchw['shape'] = [1, outC, oh, ow];
  return { nchw: { index: transposeOf(b, y, nhwcShape, TO_NCHW, q), shape, q }, nhwc: y, nhwcShape, q };
}

function leakyOrRelu(b: GraphBuilder, rand: Rand, x: Nchw): Nchw {
  const q = chance(rand, 0.5) ? x.q : { scale: x.q.scale * (0.5 + rand()), zeroPoint: zeroPoint(rand) };
  if (chance(rand, 0.3)) return { ...x, index: b.op('RELU', [x.index], [{ shape: x.shape, q }])[0]!, q };
  return { ...x, index: b.op('LEAKY_RELU', [x.index], [{ shape: x.shape, q }], { alpha: pick(rand, [0.1, 0.01, 0.2]) })[0]!, q };
}

/** One block of the backbone on `x`, or undefined when its windows do not fit. */
function block(b: GraphBuilder, rand: Rand, x: Nchw, heads: number[]): Nchw | undefined {
  const [, c] = x.shape;
  switch (pick(rand, ['conv', 'conv', 'separable', 'nhwc-pair', 'residual', 'concat', 'upsample-add', 'head'] as const)) {
    case 'conv': {
      const y = conv(b, rand, x, { outC: pick(rand, [2, 3, 4, 8]), k: pick(rand, [1, 3]), stride: pick(rand, [1, 1, 2]) });
      return y && (chance(rand, 0.7) ? leakyOrRelu(b, rand, y.nchw!) : y.nchw);
    }
    case 'separable': {
      const d = conv(b, rand, x, { outC: c, k: 3, stride: pick(rand, [1, 2]), depthwise: true });
      if (!d) return undefined;
      const p = conv(b, rand, leakyOrRelu(b, rand, d.nchw!), { outC: pick(rand, [4, 8]), k: 1, stride: 1 });
      return p && leakyOrRelu(b, rand, p.nchw!);
    }
    case 'nhwc-pair': {
      // two convolutions back to back in NHWC (their transposes composed away, or never written)
      const first = conv(b, rand, x, { outC: pick(rand, [4, 8]), k: 3, stride: pick(rand, [1, 2]), back: false });
      if (!first) return undefined;
      const [, h, w, outC] = first.nhwcShape as [number, number, number, number];
      let mid = first.nhwc;
      if (chance(rand, 0.5)) {
        // written as the converter does: back to NCHW and straight to NHWC again
        const nchw = transposeOf(b, mid, first.nhwcShape, TO_NCHW, first.q);
        mid = transposeOf(b, nchw, [1, outC, h, w], TO_NHWC, first.q);
      }
      const k = pick(rand, [1, 3]);
      const f = int8Weights(b, rand, [outC, k, k, outC], { perChannel: true, axis: 0, channels: outC, limits: [127] });
      const q = convQ(rand, first.q.scale, f.scales[0]!, k * k * outC);
      const y = b.op('CONV_2D', [mid, f.index, int32Bias(b, rand, outC, first.q.scale, f.scales, [100])], [{ shape: [1, h, w, outC], q }], {
        padding: 'SAME',
        strideH: 1,
        strideW: 1,
        dilationH: 1,
        dilationW: 1,
        activation: 'RELU',
      })[0]!;
      return { index: transposeOf(b, y, [1, h, w, outC], TO_NCHW, q), shape: [1, outC, h, w], q };
    }
    case 'residual': {
      const y = conv(b, rand, x, { outC: c, k: pick(rand, [1, 3]), stride: 1 });
      if (!y || y.nchw!.shape.some((d, i) => d !== x.shape[i])) return undefined;
      const q = int8Q(rand, -2, 0);
      const operands = chance(rand, 0.5) ? [x.index, y.nchw!.index] : [y.nchw!.index, x.index];
      return { ...x, index: b.op('ADD', operands, [{ shape: x.shape, q }], { activation: 'NONE' })[0]!, q };
    }
    case 'concat': {
      // SSH-like: branches concatenated along the channels (TFLite Micro: one quantization for all)
      const q = int8Q(rand, -2, 0);
      const parts = [0, 1, int(rand, 0, 1) === 1 ? 2 : -1]
        .filter((i) => i >= 0)
        .map(() => conv(b, rand, x, { outC: pick(rand, [1, 2, 4]), k: pick(rand, [1, 3]), stride: 1, outQ: q }));
      if (parts.some((p) => !p || p.nchw!.shape[2] !== x.shape[2] || p.nchw!.shape[3] !== x.shape[3])) return undefined;
      const channels = parts.reduce((n, p) => n + p!.nchw!.shape[1], 0);
      const shape: Nchw['shape'] = [1, channels, x.shape[2], x.shape[3]];
      const cat = b.op(
        'CONCATENATION',
        parts.map((p) => p!.nchw!.index),
        [{ shape, q }],
        { axis: 1, activation: 'NONE' },
      )[0]!;
      return chance(rand, 0.6) ? leakyOrRelu(b, rand, { index: cat, shape, q }) : { index: cat, shape, q };
    }
    case 'upsample-add': {
      // FPN: a strided branch brought back up by RESIZE_NEAREST_NEIGHBOR (in NHWC) and added
      const down = conv(b, rand, x, { outC: c, k: 3, stride: 2 });
      if (!down) return undefined;
      const [, , dh, dw] = down.nchw!.shape;
      const [, , h, w] = x.shape;
      const nhwc = transposeOf(b, down.nchw!.index, down.nchw!.shape, TO_NHWC, down.q);
      const up = b.op('RESIZE_NEAREST_NEIGHBOR', [nhwc, b.ints([h, w])], [{ shape: [1, h, w, c], q: down.q }], {
        alignCorners: false,
        halfPixelCenters: chance(rand, 0.5),
      })[0]!;
      if (dh < 1 || dw < 1) return undefined;
      const back = transposeOf(b, up, [1, h, w, c], TO_NCHW, down.q);
      const q = int8Q(rand, -2, 0);
      return { ...x, index: b.op('ADD', [x.index, back], [{ shape: x.shape, q }], { activation: 'NONE' })[0]!, q };
    }
    case 'head': {
      // a detection head on the side: 1x1 conv, NHWC again, rows of k values
      const k = pick(rand, [1, 2, 4]);
      const y = conv(b, rand, x, { outC: k * pick(rand, [1, 2]), k: 1, stride: 1 });
      if (!y) return undefined;
      const [, oc, h, w] = y.nchw!.shape;
      if (chance(rand, 0.7)) {
        const nhwc = transposeOf(b, y.nchw!.index, y.nchw!.shape, TO_NHWC, y.q);
        heads.push(b.op('RESHAPE', [nhwc, b.ints([1, (h * w * oc) / k, k])], [{ shape: [1, (h * w * oc) / k, k], q: y.q }])[0]!);
      } else {
        // [1, C, H*W] -> [1, H*W, C]: the 3-D form
        const flat = b.op('RESHAPE', [y.nchw!.index, b.ints([1, oc, h * w])], [{ shape: [1, oc, h * w], q: y.q }])[0]!;
        heads.push(transposeOf(b, flat, [1, oc, h * w], [0, 2, 1], y.q));
      }
      return x;
    }
  }
}

/** A RetinaFace-like graph in miniature, NCHW throughout, transposes around every NHWC op. */
const nchwNet: FuzzGenerator = {
  name: 'chain-nchw',
  ops: ['QUANTIZE', 'TRANSPOSE', 'PAD', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'LEAKY_RELU', 'RELU', 'ADD', 'CONCATENATION', 'RESIZE_NEAREST_NEIGHBOR', 'RESHAPE'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const shape: Nchw['shape'] = [1, pick(rand, [1, 2, 3, 3, 4]), int(rand, 2, 12), int(rand, 2, 12)];
    const q = int8Q(rand, -2.5, -0.5);
    let x: Nchw;
    if (chance(rand, 0.7)) {
      const f = b.input({ shape, dtype: 'float32' });
      x = { index: b.op('QUANTIZE', [f], [{ shape, q }])[0]!, shape, q };
    } else x = { index: b.input({ shape, q }), shape, q };
    const heads: number[] = [];
    const start = x.index;
    for (let n = int(rand, 2, 5); n > 0; n--) x = block(b, rand, x, heads) ?? x;
    // (a 1x1 convolution always fits: the output is never the input itself)
    if (x.index === start) x = conv(b, rand, x, { outC: 2, k: 1, stride: 1 })!.nchw!;
    b.output(x.index);
    if (heads.length > 0) b.output(...heads);
  },
};

export const generators: FuzzGenerator[] = [nchwNet];
