// SPDX-License-Identifier: Apache-2.0
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../../core/errors.ts';
import type { FusedActivation } from '../../core/ir/graph.ts';
import type { FloatEvalContext } from './op.ts';

export function tfPadding(padding: unknown): 'same' | 'valid' {
  return padding === 'SAME' ? 'same' : 'valid';
}

export function addBias(ctx: FloatEvalContext, y: tf.Tensor, biasInput = 2): tf.Tensor {
  return ctx.has(biasInput) ? tf.add(y, ctx.input(biasInput)) : y;
}

/** The fused activation of TFLite ops, on float values. */
export function activate(y: tf.Tensor, activation: unknown): tf.Tensor {
  switch ((activation ?? 'NONE') as FusedActivation) {
    case 'NONE':
      return y;
    case 'RELU':
      return tf.relu(y);
    case 'RELU6':
      return tf.relu6(y);
    case 'RELU_N1_TO_1':
      return tf.clipByValue(y, -1, 1);
    case 'TANH':
      return tf.tanh(y);
    default:
      throw new TinyforgeError(`fused activation ${String(activation)} is not supported for float evaluation`);
  }
}
