// SPDX-License-Identifier: Apache-2.0
/**
 * Small int8 models whose weights are int4-valued and marked `storageBits: 4` (written as TFLite
 * INT4 constants): the int4 round trip test and bench/int4.ts's M4 measurements. Per-channel CONV_2D
 * and DEPTHWISE_CONV_2D; FULLY_CONNECTED per-tensor, as TFLite Micro (90b983c) refuses per-channel
 * INT4 FC. Biases carry the scale input * weight, which TFLite checks.
 */
import type { FusedActivation, Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder, type Q } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

interface Layer {
  b: GraphBuilder;
  rand: () => number;
  x: number;
  shape: number[];
  q: Q;
}

function int4Filter(l: Layer, shape: number[], scales: number[], axis: number): number {
  return l.b.constant(
    { shape, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis }, name: `w${shape.join('x')}` },
    randomInt8(l.rand, count(shape), -8, 7),
  );
}

function bias(l: Layer, scales: number[]): number {
  const n = scales.length;
  return l.b.constant(
    { shape: [n], dtype: 'int32', quant: { scale: scales.map((s) => s * l.q.scale), zeroPoint: scales.map(() => 0), axis: 0 } },
    Int32Array.from({ length: n }, () => randomInt(l.rand, -400, 400)),
  );
}

function outQ(l: Layer, fanIn: number): Q {
  // keeps outputs spread over int8: |acc| ~ sqrt(fanIn) * 4 * 64
  return { scale: l.q.scale * 0.02 * Math.sqrt(fanIn) * 4, zeroPoint: randomInt(l.rand, -20, 20) };
}

export function conv(l: Layer, outC: number, k: number, stride: number, activation: FusedActivation = 'RELU'): void {
  const [n, h, w, inC] = l.shape as [number, number, number, number];
  const scales = Array.from({ length: outC }, () => 0.02 + l.rand() * 0.02);
  const filter = int4Filter(l, [outC, k, k, inC], scales, 0);
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  const q = outQ(l, k * k * inC);
  const [y] = l.b.op('CONV_2D', [l.x, filter, bias(l, scales)], [{ shape: [n, oh, ow, outC], q }], {
    padding: 'SAME',
    strideH: stride,
    strideW: stride,
    dilationH: 1,
    dilationW: 1,
    activation,
  });
  Object.assign(l, { x: y!, shape: [n, oh, ow, outC], q });
}

export function depthwise(l: Layer, k: number): void {
  const [n, h, w, c] = l.shape as [number, number, number, number];
  const scales = Array.from({ length: c }, () => 0.05 + l.rand() * 0.05);
  const filter = int4Filter(l, [1, k, k, c], scales, 3);
  const q = outQ(l, k * k);
  const [y] = l.b.op('DEPTHWISE_CONV_2D', [l.x, filter, bias(l, scales)], [{ shape: [n, h, w, c], q }], {
    padding: 'SAME',
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    activation: 'RELU6',
    depthMultiplier: 1,
  });
  Object.assign(l, { x: y!, shape: [n, h, w, c], q });
}

export function fullyConnected(l: Layer, out: number): void {
  const inF = count(l.shape);
  const scale = 0.02;
  const filter = int4Filter(l, [out, inF], [scale], 0);
  const q = outQ(l, inF);
  const [y] = l.b.op('FULLY_CONNECTED', [l.x, filter, bias(l, new Array<number>(out).fill(scale))], [{ shape: [1, out], q }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  Object.assign(l, { x: y!, shape: [1, out], q });
}

/** A model of int4-weight layers built by `body` on an input of `shape`, every weight `storageBits: 4`. */
export function int4Model(name: string, seed: number, shape: number[], body: (l: Layer) => void): Graph {
  const b = new GraphBuilder(name);
  const q = { scale: 0.05, zeroPoint: -3 };
  const l: Layer = { b, rand: rng(seed), x: b.input({ shape, q, name: 'input' }), shape, q };
  body(l);
  b.output(l.x);
  const g = b.build();
  for (const op of g.ops) g.tensors[op.inputs[1]!]!.storageBits = 4;
  return g;
}

/** conv 3x3 stride 2 (odd input channels) -> depthwise 3x3 -> conv 1x1 -> fully connected (odd features). */
export function int4SmallNet(seed: number): Graph {
  return int4Model('int4_net', seed, [1, 11, 9, 3], (l) => {
    conv(l, 12, 3, 2);
    depthwise(l, 3);
    conv(l, 7, 1, 1);
    fullyConnected(l, 10);
  });
}
