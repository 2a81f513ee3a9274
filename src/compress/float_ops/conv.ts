// SPDX-License-Identifier: Apache-2.0
/** CONV_2D and DEPTHWISE_CONV_2D in TFLite layouts: filters OHWI and [1, kh, kw, C·mult]. */
import * as tf from '@tensorflow/tfjs';
import type { Conv2DAttrs, DepthwiseConv2DAttrs } from '../../core/ir/graph.ts';
import { activate, addBias, tfPadding } from './common.ts';
import type { FloatOpDef } from './op.ts';

export const conv2d: FloatOpDef = {
  kind: 'CONV_2D',
  evaluate(ctx) {
    const a = ctx.op.attrs as unknown as Conv2DAttrs;
    const filter = tf.transpose(ctx.input(1), [1, 2, 3, 0]) as tf.Tensor4D;
    const y = tf.conv2d(ctx.input(0) as tf.Tensor4D, filter, [a.strideH, a.strideW], tfPadding(a.padding), 'NHWC', [a.dilationH ?? 1, a.dilationW ?? 1]);
    return activate(addBias(ctx, y), a.activation);
  },
  outputQuant: { kind: 'range' },
  weights: () => ({ input: 1, axis: 0, bias: 2 }),
};

export const depthwiseConv2d: FloatOpDef = {
  kind: 'DEPTHWISE_CONV_2D',
  evaluate(ctx) {
    const a = ctx.op.attrs as unknown as DepthwiseConv2DAttrs;
    const x = ctx.input(0) as tf.Tensor4D;
    const [, kh, kw, channels] = ctx.graph.tensors[ctx.op.inputs[1]!]!.shape as [number, number, number, number];
    const inChannels = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape[3]!;
    const filter = tf.reshape(ctx.input(1), [kh, kw, inChannels, channels / inChannels]) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(x, filter, [a.strideH, a.strideW], tfPadding(a.padding), 'NHWC', [a.dilationH ?? 1, a.dilationW ?? 1]);
    return activate(addBias(ctx, y), a.activation);
  },
  outputQuant: { kind: 'range' },
  weights: () => ({ input: 1, axis: 3, bias: 2 }),
};
