// SPDX-License-Identifier: Apache-2.0
/**
 * Generated CONV_2D and FULLY_CONNECTED layers for the MVE matrix product (common/isa/mve_matmul.ts):
 * each layer over its own input, so one model holds many shapes. Shapes pick K = 16 q + t for every
 * tail t, channel counts not a multiple of 4 (or 8), odd pixel counts, per-tensor and per-channel
 * scales (some channels shifting left), RELU / RELU6 / NONE and odd zero points.
 */
import type { FusedActivation, Graph, Padding } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8 } from './op_harness.ts';

export interface MveConvLayer {
  /** [batches, h, w, c] */
  input: [number, number, number, number];
  outC: number;
  k?: number;
  /** kernel height when not k */
  kH?: number;
  stride?: number;
  dilation?: number;
  padding?: Padding;
  /** input channels per filter: c / groups */
  groups?: number;
  activation?: FusedActivation;
  perChannel?: boolean;
  /** output scale below input scale * weight scale: multipliers above 1, left shifts */
  left?: boolean;
  /** full-range weights, biases near +-1e9 and a tiny output scale: sums near the int32 ends, outputs saturated */
  huge?: boolean;
}

export interface MveFcLayer {
  batches: number;
  inF: number;
  outF: number;
  activation?: FusedActivation;
  perChannel?: boolean;
  /** a per-tensor weight zero point (legacy FC: the weight-offset path) */
  weightZeroPoint?: number;
}

/** An output scale that spreads sums of `k` products of ~U(-60, 60) weights and full-range inputs over int8 */
function spreadScale(inScale: number, wScale: number, k: number, rand: () => number): number {
  return (inScale * wScale * Math.sqrt(k) * 73 * 35) / (30 + rand() * 40);
}

export function mveConvModel(name: string, rand: () => number, layers: MveConvLayer[]): Graph {
  const b = new GraphBuilder(name);
  for (const l of layers) {
    const [n, h, w, c] = l.input;
    const kH = l.kH ?? l.k ?? 1;
    const kW = l.k ?? 1;
    const stride = l.stride ?? 1;
    const dilation = l.dilation ?? 1;
    // a VALID window wider than the image has no output: such a drawn layer pads instead
    const tooWide = (kH - 1) * (l.dilation ?? 1) + 1 > l.input[1] || ((l.k ?? 1) - 1) * (l.dilation ?? 1) + 1 > l.input[2];
    const padding = tooWide ? 'SAME' : (l.padding ?? 'VALID');
    const groups = l.groups ?? 1;
    const filterC = c / groups;
    const [eh, ew] = [(kH - 1) * dilation + 1, (kW - 1) * dilation + 1];
    const oh = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - eh) / stride) + 1;
    const ow = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - ew) / stride) + 1;
    const inScale = 0.05;
    const scales = l.perChannel ? Array.from({ length: l.outC }, () => 0.002 + rand() * 0.02) : [0.01];
    const x = b.input({ shape: l.input, q: { scale: inScale, zeroPoint: randomInt(rand, -21, 21) | 1 } });
    const depth = kH * kW * filterC;
    const filter = b.constant(
      { shape: [l.outC, kH, kW, filterC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      l.huge ? randomInt8(rand, l.outC * depth) : randomInt8(rand, l.outC * depth, -60, 60),
    );
    const bias = b.constant(
      { shape: [l.outC], dtype: 'int32' },
      Int32Array.from({ length: l.outC }, () => (l.huge ? randomInt(rand, -1e9, 1e9) : randomInt(rand, -3000, 3000))),
    );
    const outScale = l.huge ? 1e-6 : l.left ? (inScale * Math.min(...scales)) / (1.5 + rand()) : spreadScale(inScale, Math.max(...scales), depth, rand);
    const [y] = b.op('CONV_2D', [x, filter, bias], [{ shape: [n, oh, ow, l.outC], q: { scale: outScale, zeroPoint: randomInt(rand, -30, 30) | 1 } }], {
      padding,
      strideH: stride,
      strideW: stride,
      dilationH: dilation,
      dilationW: dilation,
      activation: l.activation ?? 'NONE',
    });
    b.output(y!);
  }
  return b.build();
}

export function mveFcModel(name: string, rand: () => number, layers: MveFcLayer[]): Graph {
  const b = new GraphBuilder(name);
  for (const l of layers) {
    const inScale = 0.05;
    const scales = l.perChannel ? Array.from({ length: l.outF }, () => 0.002 + rand() * 0.02) : [0.01];
    const zp = l.weightZeroPoint ?? 0;
    const x = b.input({ shape: [l.batches, l.inF], q: { scale: inScale, zeroPoint: randomInt(rand, -21, 21) | 1 } });
    const w = b.constant(
      { shape: [l.outF, l.inF], quant: { scale: scales, zeroPoint: scales.map(() => zp), axis: 0 } },
      zp ? randomInt8(rand, l.outF * l.inF) : randomInt8(rand, l.outF * l.inF, -60, 60),
    );
    const bias = b.constant(
      { shape: [l.outF], dtype: 'int32' },
      Int32Array.from({ length: l.outF }, () => randomInt(rand, -3000, 3000)),
    );
    const wSpread = zp ? 2 : 1;
    const outScale = spreadScale(inScale, Math.max(...scales) * wSpread, l.inF, rand);
    const [y] = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [l.batches, l.outF], q: { scale: outScale, zeroPoint: randomInt(rand, -30, 30) | 1 } }], {
      activation: l.activation ?? 'NONE',
      keepNumDims: false,
    });
    b.output(y!);
  }
  return b.build();
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];

/** FULLY_CONNECTED layers of K = 16 q + t for every tail t, 1-19 outputs, 1-5 batches, every activation. */
export function mveFcSweep(rand: () => number): MveFcLayer[] {
  return Array.from({ length: 16 }, (_, t) => ({
    batches: randomInt(rand, 1, 5),
    inF: 16 * randomInt(rand, 0, 3) + t || 16,
    outF: randomInt(rand, 1, 19),
    perChannel: rand() < 0.5,
    activation: ACTIVATIONS[t % 3]!,
  }));
}

/** 1x1 CONV_2D layers over 1-40 channels, 1-13 outputs, odd and even pixel counts, batches. */
export function mvePointwiseSweep(rand: () => number): MveConvLayer[] {
  return Array.from({ length: 16 }, (_, t) => ({
    input: [randomInt(rand, 1, 2), randomInt(rand, 1, 6), randomInt(rand, 1, 6), randomInt(rand, 1, 40)] as [number, number, number, number],
    outC: randomInt(rand, 1, 13),
    perChannel: rand() < 0.5,
    left: rand() < 0.2,
    activation: ACTIVATIONS[t % 3]!,
  }));
}

/** k x k CONV_2D layers (im2col): kernels 1-4, strides 1-2, SAME and VALID, some dilated, some in 2 groups. */
export function mveIm2colSweep(rand: () => number): MveConvLayer[] {
  return Array.from({ length: 14 }, (_, t) => {
    const c = randomInt(rand, 1, 12);
    const groups = rand() < 0.25 && c % 2 === 0 ? 2 : 1;
    return {
      input: [randomInt(rand, 1, 2), randomInt(rand, 5, 9), randomInt(rand, 5, 9), c] as [number, number, number, number],
      outC: groups * randomInt(rand, 1, 7),
      k: randomInt(rand, 1, 4),
      stride: randomInt(rand, 1, 2),
      dilation: rand() < 0.2 ? 2 : 1,
      padding: rand() < 0.5 ? ('SAME' as const) : ('VALID' as const),
      groups,
      perChannel: rand() < 0.5,
      left: rand() < 0.15,
      activation: ACTIVATIONS[t % 3]!,
    };
  });
}
