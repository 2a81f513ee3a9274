// SPDX-License-Identifier: Apache-2.0
/**
 * The two LeNets of the compression literature (LeCun et al. 1998; Han et al., Deep Compression 2016),
 * as TensorFlow.js layers models whose every layer lowers to an op tinyforge compiles:
 *   lenet300: Flatten -> Dense(300, ReLU) -> Dense(100, ReLU) -> Dense(10, softmax), 266,200 weights;
 *   lenet5:   Conv2D(6, 5x5, same, ReLU) -> MaxPool(2) -> Conv2D(16, 5x5, valid, ReLU) -> MaxPool(2)
 *             -> Flatten -> Dense(120, ReLU) -> Dense(84, ReLU) -> Dense(10, softmax), 61,470 weights.
 * ReLU and max pooling replace the 1998 paper's scaled tanh and trainable subsampling, as every
 * modern rendition (and Deep Compression's Caffe model) does. Initialisers are seeded.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE } from '../mnist/dataset.ts';

export type LenetName = 'lenet300' | 'lenet5';
export const LENET_NAMES: LenetName[] = ['lenet300', 'lenet5'];

export function buildLenet(name: LenetName, seed: number): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  const model = tf.sequential({ name });
  if (name === 'lenet300') {
    model.add(tf.layers.flatten({ name: 'flatten', inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1] }));
    model.add(tf.layers.dense({ name: 'fc1', units: 300, activation: 'relu', kernelInitializer: init(1) }));
    model.add(tf.layers.dense({ name: 'fc2', units: 100, activation: 'relu', kernelInitializer: init(2) }));
    model.add(tf.layers.dense({ name: 'fc3', units: 10, activation: 'softmax', kernelInitializer: init(3) }));
    return model;
  }
  model.add(
    tf.layers.conv2d({
      name: 'conv1',
      inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1],
      filters: 6,
      kernelSize: 5,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: init(2) }));
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 120, activation: 'relu', kernelInitializer: init(3) }));
  model.add(tf.layers.dense({ name: 'fc2', units: 84, activation: 'relu', kernelInitializer: init(4) }));
  model.add(tf.layers.dense({ name: 'fc3', units: 10, activation: 'softmax', kernelInitializer: init(5) }));
  return model;
}
