// SPDX-License-Identifier: Apache-2.0
/**
 * The two LeNets of the compression literature (LeCun et al. 1998; Han et al., Deep Compression 2016),
 * as TensorFlow.js layers models whose every layer lowers to an op tinyforge compiles:
 *   lenet300: Flatten -> Dense(300, ReLU) -> Dense(100, ReLU) -> Dense(10, softmax), 266,200 weights;
 *   lenet5:   Conv2D(20, 5x5, valid, ReLU) -> MaxPool(2) -> Conv2D(50, 5x5, valid, ReLU) -> MaxPool(2)
 *             -> Flatten -> Dense(500, ReLU) -> Dense(10, softmax), 430,500 weights (431,080 parameters,
 *             1,724,320 float32 bytes).
 * lenet5 is Caffe's `lenet` (examples/mnist/lenet_train_test.prototxt), the LeNet-5 of Deep Compression
 * (Han et al. 2016, table 1: 431K weights, 1,720 KB) and of the pruning literature that the compression bars
 * refer to. Caffe's model has a ReLU only after fc1; here the convolutions have one too (as most
 * renditions do: it trains faster and is free on the board, fused into the requantization).
 * The 1998 paper's 6/16/120/84 LeNet-5 (61,470 weights, 246,824 float32 bytes) is not used: at 80x
 * its whole firmware would have to fit in 3.1 KB, less than the board harness alone (about 3.3 KB),
 * so the bars could not be met on it whatever the compression.
 * Initialisers are seeded.
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
      filters: 20,
      kernelSize: 5,
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: 50, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: init(2) }));
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 500, activation: 'relu', kernelInitializer: init(3) }));
  model.add(tf.layers.dense({ name: 'fc2', units: 10, activation: 'softmax', kernelInitializer: init(4) }));
  return model;
}
