// SPDX-License-Identifier: Apache-2.0
/**
 * Multi-layer DEPTHWISE_CONV_2D models for the emulated variant tests (dsp_emulated, m0plus_emulated):
 * random int8 weights and biases, chosen requantization regimes, layers reading inputs or each other.
 */
import type { FusedActivation, Graph, Padding } from '../../src/core/ir/graph.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

export interface InputSpec {
  name: string;
  shape: [number, number, number, number];
  zeroPoint: number;
}

export interface Layer {
  /** an input's or an earlier layer's name; default the layer before */
  from?: string;
  name?: string;
  /** depth multiplier, default 1 */
  mult?: number;
  k?: [number, number];
  stride?: [number, number];
  dilation?: [number, number];
  padding?: Padding;
  activation?: FusedActivation;
  perChannel?: boolean;
  /** large weights and bias, tiny output scale: accumulators beyond the SMMULR bound (exact path, mostly saturated) */
  huge?: boolean;
  /** small weights and a multiplier above 1 on some channels (exact path, few values saturated) */
  gain?: boolean;
  /** small weights and every channel's multiplier 0.75 (TFLite shift 0: no right shift) */
  unit?: boolean;
  /** not a model output, so that the next layer's output may be planned over it */
  hidden?: boolean;
  /** output zero point -128 (a RELU floor at -128: the four-lane kernels clamp the ceiling only) */
  zpMin?: boolean;
  /**
   * channels pruned as trained models leave them (every third: weights zero but for one tap of +-1 on
   * some, a filter scale of 1e-9, a bias of +-2^30 or one that puts the output's step inside the
   * accumulator's window): accumulators past the SMMULR bound whose outputs take one or two values
   */
  pruned?: boolean;
  /** every channel's right shift 15 or more (the output scale 2^15 times the largest product of scales) */
  deepShift?: boolean;
}

/** Whether channel c of a `pruned` layer is one of its pruned channels. */
const prunedChannel = (c: number) => c % 3 === 1;

interface Value {
  index: number;
  shape: [number, number, number, number];
  scale: number;
}

/** DEPTHWISE_CONV_2D layers from int8 inputs; every layer not `hidden` is a model output. */
export function depthwiseModel(name: string, inputs: InputSpec[], layers: Layer[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const values = new Map<string, Value>();
  for (const i of inputs)
    values.set(i.name, { index: b.input({ shape: i.shape, q: { scale: 0.05, zeroPoint: i.zeroPoint }, name: i.name }), shape: i.shape, scale: 0.05 });
  const outs: number[] = [];
  let previous: Value | undefined;
  layers.forEach((l, at) => {
    const x = l.from ? values.get(l.from) : previous;
    if (!x) throw new Error(`layer ${at}: no input ${l.from ?? '(previous)'}`);
    const [n, h, w, c] = x.shape;
    const mult = l.mult ?? 1;
    const outC = c * mult;
    const [kh, kw] = l.k ?? [3, 3];
    const [sh, sw] = l.stride ?? [1, 1];
    const [dh, dw] = l.dilation ?? [1, 1];
    const padding = l.padding ?? 'VALID';
    const oh = outputSize(padding, h, kh, sh, dh);
    const ow = outputSize(padding, w, kw, sw, dw);
    const scales = l.perChannel || l.pruned ? Array.from({ length: outC }, () => 0.002 + rand() * 0.02) : [0.01];
    const limit = l.huge || l.deepShift ? 127 : l.gain || l.unit ? 2 : 60;
    const weights = randomInt8(rand, kh * kw * outC, -limit, limit);
    const biasLimit = l.huge ? 2e9 : l.gain || l.unit ? 50 : 3000;
    const biases = Int32Array.from({ length: outC }, () => randomInt(rand, -biasLimit, biasLimit));
    const live = scales.filter((_, c) => !l.pruned || !prunedChannel(c));
    // gain: the first channel's multiplier is 1.5, the others' spread around it (some below 1)
    const outScale = l.huge
      ? 1e-6
      : l.gain
        ? (x.scale * scales[0]!) / 1.5
        : l.unit
          ? (x.scale * Math.max(...scales)) / 0.75
          : l.deepShift
            ? x.scale * Math.max(...live) * 2 ** 15
            : 0.05 + rand() * 0.1;
    if (l.pruned) {
      for (let c = 1; c < outC; c += 3) {
        scales[c] = 1e-9;
        for (let t = 0; t < kh * kw; t++) weights[t * outC + c] = 0;
        if (c % 2 === 1) weights[randomInt(rand, 0, kh * kw - 1) * outC + c] = rand() < 0.5 ? 1 : -1;
        // +-2^30 (the converter's clamp), or the accumulator at which the output steps from zero to one
        biases[c] = c % 4 === 1 ? (rand() < 0.5 ? 2 ** 30 : -(2 ** 30)) : Math.round(0.5 / ((x.scale * 1e-9) / outScale)) + randomInt(rand, -100, 100);
      }
    }
    const filter = b.constant({ shape: [1, kh, kw, outC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 3 } }, weights);
    const bias = b.constant({ shape: [outC], dtype: 'int32' }, biases);
    const [y] = b.op(
      'DEPTHWISE_CONV_2D',
      [x.index, filter, bias],
      [
        {
          shape: [n, oh, ow, outC],
          q: { scale: outScale, zeroPoint: l.zpMin ? -128 : randomInt(rand, -20, 20) },
          name: l.name ?? `dw${at}`,
        },
      ],
      {
        padding,
        strideH: sh,
        strideW: sw,
        dilationH: dh,
        dilationW: dw,
        activation: l.activation ?? 'NONE',
        depthMultiplier: mult,
      },
    );
    previous = { index: y!, shape: [n, oh, ow, outC], scale: outScale };
    if (l.name) values.set(l.name, previous);
    if (!l.hidden) outs.push(y!);
  });
  b.output(...outs);
  return b.build();
}
