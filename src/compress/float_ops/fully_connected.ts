// SPDX-License-Identifier: Apache-2.0
/** FULLY_CONNECTED: weights [out, in]; every row of `in` input values is one sample. */
import * as tf from '@tensorflow/tfjs';
import type { FullyConnectedAttrs } from '../../core/ir/graph.ts';
import { activate, addBias } from './common.ts';
import type { FloatOpDef } from './op.ts';

export const fullyConnected: FloatOpDef = {
  kind: 'FULLY_CONNECTED',
  evaluate(ctx) {
    const a = ctx.op.attrs as unknown as FullyConnectedAttrs;
    const weights = ctx.input(1) as tf.Tensor2D;
    const flat = tf.reshape(ctx.input(0), [-1, weights.shape[1]]) as tf.Tensor2D;
    const y = activate(addBias(ctx, tf.matMul(flat, weights, false, true)), a.activation);
    return a.keepNumDims ? tf.reshape(y, ctx.outputShape()) : y;
  },
  outputQuant: { kind: 'range' },
  // TFLite's converter quantizes dense weights per tensor unless asked otherwise
  weights: (_op, options) => ({ input: 1, axis: options.perChannelDense ? 0 : undefined, bias: 2 }),
};
