// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 models of the float column (`npm run bench -- --float`): single CONV_2D (3x3 and 1x1),
 * DEPTHWISE_CONV_2D (3x3, stride 1 and 2) and FULLY_CONNECTED layers of several shapes, and a small
 * float CNN, each built in code from the parameters listed here with weights from a fixed seed. The
 * same parameters are recorded beside TFLite Micro's figures in bench/baselines/tflm-float-ref.json,
 * so the bench can tell when a model here no longer matches the one that was measured.
 */
import type { Graph } from '../src/core/ir/graph.ts';
import { GraphBuilder } from '../test/helpers/graph_builder.ts';
import { rng } from '../test/helpers/op_harness.ts';
import { randomFloats } from '../test/helpers/float_cases.ts';
import { outputSize } from '../src/core/ops/common/families/padding.ts';

const F = 'float32' as const;

export type FloatModelParams =
  | { kind: 'conv'; h: number; w: number; inC: number; outC: number; k: number; stride: number; padding: 'SAME' | 'VALID'; activation: string }
  | { kind: 'depthwise'; h: number; w: number; c: number; multiplier: number; k: number; stride: number; padding: 'SAME' | 'VALID'; activation: string }
  | { kind: 'fc'; batches: number; inN: number; outN: number; activation: string }
  | { kind: 'cnn'; h: number; w: number; inC: number; widths: number[]; classes: number };

export interface FloatModel {
  name: string;
  params: FloatModelParams;
  seed: number;
}

export const FLOAT_MODELS: FloatModel[] = [
  { name: 'conv3x3_16x16x16_16', params: { kind: 'conv', h: 16, w: 16, inC: 16, outC: 16, k: 3, stride: 1, padding: 'SAME', activation: 'RELU' }, seed: 1 },
  { name: 'conv3x3_24x24x3_8_s2', params: { kind: 'conv', h: 24, w: 24, inC: 3, outC: 8, k: 3, stride: 2, padding: 'SAME', activation: 'RELU6' }, seed: 2 },
  {
    name: 'conv3x3_10x10x8_12_valid',
    params: { kind: 'conv', h: 10, w: 10, inC: 8, outC: 12, k: 3, stride: 1, padding: 'VALID', activation: 'NONE' },
    seed: 3,
  },
  { name: 'conv1x1_16x16x32_32', params: { kind: 'conv', h: 16, w: 16, inC: 32, outC: 32, k: 1, stride: 1, padding: 'SAME', activation: 'RELU6' }, seed: 4 },
  { name: 'conv1x1_8x8x24_40', params: { kind: 'conv', h: 8, w: 8, inC: 24, outC: 40, k: 1, stride: 1, padding: 'VALID', activation: 'NONE' }, seed: 5 },
  {
    name: 'dw3x3_16x16x32_s1',
    params: { kind: 'depthwise', h: 16, w: 16, c: 32, multiplier: 1, k: 3, stride: 1, padding: 'SAME', activation: 'RELU6' },
    seed: 6,
  },
  {
    name: 'dw3x3_16x16x32_s2',
    params: { kind: 'depthwise', h: 16, w: 16, c: 32, multiplier: 1, k: 3, stride: 2, padding: 'SAME', activation: 'RELU' },
    seed: 7,
  },
  {
    name: 'dw3x3_12x12x8_m2',
    params: { kind: 'depthwise', h: 12, w: 12, c: 8, multiplier: 2, k: 3, stride: 1, padding: 'VALID', activation: 'NONE' },
    seed: 8,
  },
  { name: 'fc_256_64', params: { kind: 'fc', batches: 1, inN: 256, outN: 64, activation: 'RELU' }, seed: 9 },
  { name: 'fc_640_128', params: { kind: 'fc', batches: 1, inN: 640, outN: 128, activation: 'NONE' }, seed: 10 },
  { name: 'fc_64_10_b4', params: { kind: 'fc', batches: 4, inN: 64, outN: 10, activation: 'NONE' }, seed: 11 },
  { name: 'cnn_32x32x3', params: { kind: 'cnn', h: 32, w: 32, inC: 3, widths: [8, 16, 32], classes: 10 }, seed: 12 },
];

const CONV = { dilationH: 1, dilationW: 1 };

/** The graph of one model of FLOAT_MODELS, weights and biases drawn from its seed. */
export function buildFloatModel(m: FloatModel): Graph {
  const rand = rng(m.seed);
  const p = m.params;
  const b = new GraphBuilder(m.name);
  if (p.kind === 'conv') {
    const x = b.input({ shape: [1, p.h, p.w, p.inC], dtype: F, name: 'x' });
    const w = b.constant({ shape: [p.outC, p.k, p.k, p.inC], dtype: F }, randomFloats(rand, p.outC * p.k * p.k * p.inC, 1));
    const bias = b.constant({ shape: [p.outC], dtype: F }, randomFloats(rand, p.outC, 1));
    const oh = outputSize(p.padding, p.h, p.k, p.stride, 1);
    const ow = outputSize(p.padding, p.w, p.k, p.stride, 1);
    const [y] = b.op('CONV_2D', [x, w, bias], [{ shape: [1, oh, ow, p.outC], dtype: F }], {
      ...CONV,
      strideH: p.stride,
      strideW: p.stride,
      padding: p.padding,
      activation: p.activation,
    });
    b.output(y!);
  } else if (p.kind === 'depthwise') {
    const outC = p.c * p.multiplier;
    const x = b.input({ shape: [1, p.h, p.w, p.c], dtype: F, name: 'x' });
    const w = b.constant({ shape: [1, p.k, p.k, outC], dtype: F }, randomFloats(rand, p.k * p.k * outC, 1));
    const bias = b.constant({ shape: [outC], dtype: F }, randomFloats(rand, outC, 1));
    const oh = outputSize(p.padding, p.h, p.k, p.stride, 1);
    const ow = outputSize(p.padding, p.w, p.k, p.stride, 1);
    const [y] = b.op('DEPTHWISE_CONV_2D', [x, w, bias], [{ shape: [1, oh, ow, outC], dtype: F }], {
      ...CONV,
      strideH: p.stride,
      strideW: p.stride,
      padding: p.padding,
      activation: p.activation,
      depthMultiplier: p.multiplier,
    });
    b.output(y!);
  } else if (p.kind === 'fc') {
    const x = b.input({ shape: [p.batches, p.inN], dtype: F, name: 'x' });
    const w = b.constant({ shape: [p.outN, p.inN], dtype: F }, randomFloats(rand, p.outN * p.inN, 0.5));
    const bias = b.constant({ shape: [p.outN], dtype: F }, randomFloats(rand, p.outN, 1));
    const [y] = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [p.batches, p.outN], dtype: F }], { activation: p.activation });
    b.output(y!);
  } else {
    // conv 3x3 /2 RELU6, then per width after the first: depthwise 3x3 (/2 from the second) RELU6 and
    // conv 1x1 RELU6; average pool over the whole map, reshape, FC to the classes
    let h = Math.ceil(p.h / 2);
    let w = Math.ceil(p.w / 2);
    let c = p.widths[0]!;
    const x = b.input({ shape: [1, p.h, p.w, p.inC], dtype: F, name: 'x' });
    const w0 = b.constant({ shape: [c, 3, 3, p.inC], dtype: F }, randomFloats(rand, c * 9 * p.inC, 0.5));
    const b0 = b.constant({ shape: [c], dtype: F }, randomFloats(rand, c, 0.5));
    let [t] = b.op('CONV_2D', [x, w0, b0], [{ shape: [1, h, w, c], dtype: F }], { ...CONV, strideH: 2, strideW: 2, padding: 'SAME', activation: 'RELU6' });
    p.widths.slice(1).forEach((next, i) => {
      const s = i === 0 ? 1 : 2;
      const dh = Math.ceil(h / s);
      const dwid = Math.ceil(w / s);
      const wd = b.constant({ shape: [1, 3, 3, c], dtype: F }, randomFloats(rand, 9 * c, 0.5));
      const bd = b.constant({ shape: [c], dtype: F }, randomFloats(rand, c, 0.5));
      [t] = b.op('DEPTHWISE_CONV_2D', [t!, wd, bd], [{ shape: [1, dh, dwid, c], dtype: F }], {
        ...CONV,
        strideH: s,
        strideW: s,
        padding: 'SAME',
        activation: 'RELU6',
        depthMultiplier: 1,
      });
      h = dh;
      w = dwid;
      const wp = b.constant({ shape: [next, 1, 1, c], dtype: F }, randomFloats(rand, next * c, 0.5));
      const bp = b.constant({ shape: [next], dtype: F }, randomFloats(rand, next, 0.5));
      [t] = b.op('CONV_2D', [t!, wp, bp], [{ shape: [1, h, w, next], dtype: F }], { ...CONV, strideH: 1, strideW: 1, padding: 'SAME', activation: 'RELU6' });
      c = next;
    });
    const [a] = b.op('AVERAGE_POOL_2D', [t!], [{ shape: [1, 1, 1, c], dtype: F }], {
      padding: 'VALID',
      strideH: h,
      strideW: w,
      filterH: h,
      filterW: w,
      activation: 'NONE',
    });
    const [r] = b.op('RESHAPE', [a!], [{ shape: [1, c], dtype: F }]);
    const wf = b.constant({ shape: [p.classes, c], dtype: F }, randomFloats(rand, p.classes * c, 0.5));
    const bf = b.constant({ shape: [p.classes], dtype: F }, randomFloats(rand, p.classes, 0.5));
    const [y] = b.op('FULLY_CONNECTED', [r!, wf, bf], [{ shape: [1, p.classes], dtype: F }], { activation: 'NONE' });
    b.output(y!);
  }
  return b.build();
}

/**
 * The input every measurement uses, the same on both sides: element i is ((i * 37) mod 256 - 128) / 128,
 * a sawtooth in [-1, 1) (TFLite Micro's harness computes it the same way in float32).
 */
export function floatBenchInput(graph: Graph): Float32Array {
  const t = graph.tensors[graph.inputs[0]!]!;
  const count = t.shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: count }, (_, i) => (((i * 37) % 256) - 128) / 128);
}
