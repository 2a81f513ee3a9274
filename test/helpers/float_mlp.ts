// SPDX-License-Identifier: Apache-2.0
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../src/core/ir/graph.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';

/**
 * A float MLP, 20 inputs -> `hidden` ReLU layers -> 10 outputs, its weights drawn from `seed`: with a
 * softmax at the end (a classifier) unless `softmax` is false, and with biases drawn in [-0.3, 0.3]
 * instead of zeros when `randomBias` (for tests that must see biases move).
 */
export function floatMlp(hidden: number[], seed: number, options: { softmax?: boolean; randomBias?: boolean } = {}): Graph {
  const model = tf.sequential({ name: 'mlp' });
  hidden.forEach((units, i) =>
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + i }),
        ...(options.randomBias ? { biasInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed * 10 + i + 5 }) } : {}),
        ...(i === 0 ? { inputShape: [20] } : {}),
      }),
    ),
  );
  model.add(
    tf.layers.dense({
      units: 10,
      ...(options.softmax === false ? {} : { activation: 'softmax' }),
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + 9 }),
    }),
  );
  const graph = layersModelToFloatGraph(model, 'mlp');
  model.dispose();
  return graph;
}
