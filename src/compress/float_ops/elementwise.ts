// SPDX-License-Identifier: Apache-2.0
/**
 * Pools, ADD, MUL, RESHAPE-like moves, TRANSPOSE, PAD, MEAN and the activation ops. (CONCATENATION is left out:
 * TFLite's int8 kernel needs every input at the output's scale, a constraint PTQ here does not impose.)
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../../core/errors.ts';
import type { Pool2DAttrs } from '../../core/ir/graph.ts';
import { fromBytes } from '../../core/ir/buffers.ts';
import { activate, tfPadding } from './common.ts';
import type { FloatEvalContext, FloatOpDef } from './op.ts';

function pool(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'): FloatOpDef {
  return {
    kind,
    evaluate(ctx) {
      const a = ctx.op.attrs as unknown as Pool2DAttrs;
      const f = kind === 'AVERAGE_POOL_2D' ? tf.avgPool : tf.maxPool;
      return activate(f(ctx.input(0) as tf.Tensor4D, [a.filterH, a.filterW], [a.strideH, a.strideW], tfPadding(a.padding)), a.activation);
    },
    // TFLite's int8 pools keep their input's scale and zero point
    outputQuant: { kind: 'input', input: 0 },
  };
}

/** A small int32 constant input (axes, paddings) as numbers. */
function constantInts(ctx: FloatEvalContext, i: number): number[] {
  const t = ctx.graph.tensors[ctx.op.inputs[i]!]!;
  if (!t.data || (t.dtype !== 'int32' && t.dtype !== 'int64')) {
    throw new TinyforgeError(`op ${ctx.op.index} (${ctx.op.kind}): input ${i} "${t.name}" must be a constant int32 tensor`);
  }
  return Array.from(fromBytes(t.dtype, t.data) as ArrayLike<number | bigint>, Number);
}

const move = (kind: string): FloatOpDef => ({
  kind,
  evaluate: (ctx) => tf.reshape(ctx.input(0), ctx.outputShape()),
  outputQuant: { kind: 'input', input: 0 },
});

export const FLOAT_ELEMENTWISE_OPS: FloatOpDef[] = [
  pool('AVERAGE_POOL_2D'),
  pool('MAX_POOL_2D'),
  move('RESHAPE'),
  move('SQUEEZE'),
  move('EXPAND_DIMS'),
  {
    kind: 'ADD',
    evaluate: (ctx) => activate(tf.add(ctx.input(0), ctx.input(1)), ctx.op.attrs.activation),
    outputQuant: { kind: 'range' },
  },
  {
    kind: 'MUL',
    evaluate: (ctx) => activate(tf.mul(ctx.input(0), ctx.input(1)), ctx.op.attrs.activation),
    outputQuant: { kind: 'range' },
  },
  {
    kind: 'SOFTMAX',
    evaluate(ctx) {
      const beta = (ctx.op.attrs.beta as number | undefined) ?? 1;
      return tf.softmax(beta === 1 ? ctx.input(0) : tf.mul(ctx.input(0), beta));
    },
    outputQuant: { kind: 'fixed', quant: { scale: [1 / 256], zeroPoint: [-128], axis: 0 } },
  },
  {
    kind: 'LOGISTIC',
    evaluate: (ctx) => tf.sigmoid(ctx.input(0)),
    outputQuant: { kind: 'fixed', quant: { scale: [1 / 256], zeroPoint: [-128], axis: 0 } },
  },
  {
    kind: 'TANH',
    evaluate: (ctx) => tf.tanh(ctx.input(0)),
    outputQuant: { kind: 'fixed', quant: { scale: [1 / 128], zeroPoint: [0], axis: 0 } },
  },
  { kind: 'RELU', evaluate: (ctx) => tf.relu(ctx.input(0)), outputQuant: { kind: 'range' } },
  { kind: 'RELU6', evaluate: (ctx) => tf.relu6(ctx.input(0)), outputQuant: { kind: 'range' } },
  {
    kind: 'PAD',
    evaluate(ctx) {
      const p = constantInts(ctx, 1);
      const pairs = Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i]!, p[2 * i + 1]!] as [number, number]);
      return tf.pad(ctx.input(0), pairs);
    },
    outputQuant: { kind: 'input', input: 0 },
  },
  {
    // a layout change (an ONNX model's NCHW input to NHWC): int8 moves bytes without rescaling
    kind: 'TRANSPOSE',
    evaluate(ctx) {
      const perm = constantInts(ctx, 1);
      if (perm[0] !== 0) throw new TinyforgeError(`op ${ctx.op.index} (TRANSPOSE): moving the batch axis is not supported`);
      return tf.transpose(ctx.input(0), perm);
    },
    outputQuant: { kind: 'input', input: 0 },
  },
  {
    kind: 'MEAN',
    evaluate(ctx) {
      const rank = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.length;
      const axes = constantInts(ctx, 1).map((a) => (a < 0 ? a + rank : a));
      if (axes.includes(0)) throw new TinyforgeError(`op ${ctx.op.index} (MEAN): averaging over the batch axis is not supported`);
      return tf.reshape(tf.mean(ctx.input(0), axes, true), ctx.outputShape());
    },
    outputQuant: { kind: 'range' },
  },
];
