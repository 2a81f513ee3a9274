/**
 * Makes the shipped example model: trains a small float CNN on MNIST digits with tfjs, quantizes it
 * to int8 with tinyforge's post-training quantizer, checks it with tinyforge's reference
 * interpreter, and writes
 *   mnist_cnn_int8.tflite  the int8 model (written by tinyforge's own .tflite writer)
 *   digits.bin             a few test digits, int8-quantized for the model input, 784 bytes each
 *   labels.json            their labels, and the figures of this run
 *
 *   npx tsx examples/mnist/make_model.ts
 *
 * Deterministic: a fixed data split, seeded weight initialisers and no shuffling inside fit, so the
 * same machine makes the same model every time (tfjs's cpu backend is single-threaded).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { quantizeInput, quantizeLayersModel } from '../../src/compress/ptq.ts';
import { registerFastTrainingKernels } from '../../src/compress/tfjs_kernels.ts';
import { writeTflite } from '../../src/model/tflite/writer.ts';
import { parseTflite } from '../../src/model/tflite/reader.ts';
import { prepareGraph } from '../../src/ops/prepare.ts';
import { interpret } from '../../src/ops/interpreter.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { type Digit, IMAGE_SIZE, imagesTensor, labelsTensor, loadDigits } from './dataset.ts';

const OUT_DIR = '/tmp/ptqx';
const MODEL_FILE = 'mnist_cnn_int8.tflite';
const TRAIN_PER_DIGIT = 300;
/** the test digits: accuracy is measured on all of them, the first few are shipped */
const TEST_PER_DIGIT = 50;
const CALIBRATION_SAMPLES = 300;
const SHIPPED_DIGITS = 8;
const EPOCHS = 4;
const BATCH_SIZE = 32;
const SEED = 42;

/**
 * Conv2D(8, 3x3, stride 2) -> DepthwiseConv2D(3x3) -> Conv2D(16, 1x1) -> AveragePooling2D(2)
 * -> Flatten -> Dense(10, softmax): every op one that tinyforge compiles, ~1,400 MACs... per pixel row.
 */
export function buildModel(seed = SEED): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  const model = tf.sequential({ name: 'mnist_cnn' });
  model.add(tf.layers.conv2d({
    name: 'conv1', inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same',
    activation: 'relu', kernelInitializer: init(1),
  }));
  model.add(tf.layers.depthwiseConv2d({ name: 'dwconv', kernelSize: 3, padding: 'same', activation: 'relu', depthwiseInitializer: init(2) }));
  model.add(tf.layers.conv2d({ name: 'pwconv', filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: init(3) }));
  model.add(tf.layers.averagePooling2d({ name: 'pool', poolSize: Number(process.env.POOL ?? 2) }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(4) }));
  return model;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function floatAccuracy(model: tf.LayersModel, digits: Digit[]): number {
  const predicted = tf.tidy(() => (model.predict(imagesTensor(digits)) as tf.Tensor).argMax(1).dataSync());
  return digits.filter((d, i) => predicted[i] === d.label).length / digits.length;
}

/** Top-1 accuracy of the int8 graph under tinyforge's reference interpreter. */
function int8Accuracy(graph: Graph, digits: Digit[]): number {
  const prepared = prepareGraph(graph);
  let correct = 0;
  for (const d of digits) {
    const out = interpret(prepared, [quantizeInput(graph, d.pixels)]).outputs[0]!;
    if (argmax(new Int8Array(out.buffer, out.byteOffset, out.length)) === d.label) correct++;
  }
  return correct / digits.length;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  registerFastTrainingKernels();
  const { train, test } = loadDigits(TRAIN_PER_DIGIT, TEST_PER_DIGIT, SEED);

  const model = buildModel();
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const xs = imagesTensor(train);
  const ys = labelsTensor(train);
  const started = Date.now();
  await model.fit(xs, ys, {
    epochs: EPOCHS, batchSize: BATCH_SIZE, shuffle: false, verbose: 0,
    callbacks: { onEpochEnd: (epoch, logs) => console.log(`epoch ${epoch + 1}/${EPOCHS}: loss ${logs!.loss!.toFixed(4)}, accuracy ${(logs!.acc as number).toFixed(4)}`) },
  });
  const trainSeconds = (Date.now() - started) / 1000;
  console.log(`trained on ${train.length} digits in ${trainSeconds.toFixed(1)} s`);

  const calibration = tf.tidy(() => tf.slice(xs, 0, CALIBRATION_SAMPLES));
  const graph = quantizeLayersModel(model, calibration, { name: 'mnist_cnn_int8' });
  const bytes = writeTflite(graph);
  writeFileSync(join(OUT_DIR, MODEL_FILE), bytes);
  // what is measured below is the file as written, read back
  const written = parseTflite(bytes, MODEL_FILE);

  const floatAcc = floatAccuracy(model, test);
  const int8Acc = int8Accuracy(written, test);
  console.log(`float accuracy: ${(floatAcc * 100).toFixed(2)}% on ${test.length} test digits`);
  console.log(`int8 accuracy:  ${(int8Acc * 100).toFixed(2)}% (tinyforge reference interpreter)`);

  const shipped = test.slice(0, SHIPPED_DIGITS);
  writeFileSync(join(OUT_DIR, 'digits.bin'), Buffer.concat(shipped.map((d) => quantizeInput(written, d.pixels))));
  writeFileSync(join(OUT_DIR, 'labels.json'), `${JSON.stringify({
    model: MODEL_FILE,
    digits: 'digits.bin',
    bytesPerDigit: IMAGE_SIZE * IMAGE_SIZE,
    labels: shipped.map((d) => d.label),
    testDigits: test.length,
    floatAccuracy: Number(floatAcc.toFixed(4)),
    int8Accuracy: Number(int8Acc.toFixed(4)),
  }, null, 2)}\n`);
  console.log(`wrote ${MODEL_FILE} (${bytes.length} bytes), digits.bin (${shipped.length} digits), labels.json`);
}

await main();
