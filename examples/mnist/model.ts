// SPDX-License-Identifier: Apache-2.0
/**
 * The example's float architecture: Conv2D(8, 3x3, stride 2) -> DepthwiseConv2D(3x3) ->
 * Conv2D(16, 1x1) -> AveragePooling2D(2) -> Flatten -> Dense(10, softmax), ReLU after each
 * convolution. Every layer lowers to an op tinyforge compiles (about 64,000 MACs per digit).
 * Weight initialisers are seeded so that training is repeatable.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE } from './dataset.ts';

export function buildModel(seed: number): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  const model = tf.sequential({ name: 'mnist_cnn' });
  model.add(
    tf.layers.conv2d({
      name: 'conv1',
      inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1],
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  model.add(tf.layers.depthwiseConv2d({ name: 'dwconv', kernelSize: 3, padding: 'same', activation: 'relu', depthwiseInitializer: init(2) }));
  model.add(tf.layers.conv2d({ name: 'pwconv', filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: init(3) }));
  model.add(tf.layers.averagePooling2d({ name: 'pool', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(4) }));
  return model;
}

/**
 * Trains with Adam on the current backend (wasm for the example's float model, cpu in
 * test/compress/ptq.test.ts), without shuffling inside fit (the data come pre-shuffled).
 */
export async function trainModel(
  model: tf.LayersModel,
  images: tf.Tensor,
  labels: tf.Tensor,
  epochs: number,
  onEpoch?: (epoch: number, loss: number, accuracy: number) => void,
  learningRate = 0.01,
): Promise<void> {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(images, labels, {
    epochs,
    batchSize: 32,
    shuffle: false,
    verbose: 0,
    callbacks: { onEpochEnd: (epoch, logs) => onEpoch?.(epoch, logs!.loss!, logs!.acc as number) },
  });
}
