// SPDX-License-Identifier: Apache-2.0
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
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { type Digit, IMAGE_SIZE, imagesTensor, labelsTensor, loadDigits } from './dataset.ts';
import { buildModel, trainModel } from './model.ts';

const OUT_DIR = import.meta.dirname;
const MODEL_FILE = 'mnist_cnn_int8.tflite';
const TRAIN_PER_DIGIT = 300;
/** the test digits: accuracy is measured on all of them, the first few are shipped */
const TEST_PER_DIGIT = 50;
const CALIBRATION_SAMPLES = 300;
const SHIPPED_DIGITS = 8;
const EPOCHS = 4;
const SEED = 42;

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function floatPredictions(model: tf.LayersModel, digits: Digit[]): number[] {
  return Array.from(tf.tidy(() => (model.predict(imagesTensor(digits)) as tf.Tensor).argMax(1).dataSync()));
}

function accuracy(predicted: number[], digits: Digit[]): number {
  return digits.filter((d, i) => predicted[i] === d.label).length / digits.length;
}

/** The int8 graph's top-1 class for each digit, under tinyforge's reference interpreter. */
function int8Predictions(graph: Graph, digits: Digit[]): number[] {
  const prepared = prepareGraph(graph);
  return digits.map((d) => {
    const out = interpret(prepared, [quantizeInput(graph, d.pixels)]).outputs[0]!;
    return argmax(new Int8Array(out.buffer, out.byteOffset, out.length));
  });
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  registerFastTrainingKernels();
  const { train, test } = loadDigits(TRAIN_PER_DIGIT, TEST_PER_DIGIT, SEED);

  const model = buildModel(SEED);
  const xs = imagesTensor(train);
  const started = Date.now();
  await trainModel(model, xs, labelsTensor(train), EPOCHS, (epoch, loss, accuracy) => {
    console.log(`epoch ${epoch + 1}/${EPOCHS}: loss ${loss.toFixed(4)}, accuracy ${accuracy.toFixed(4)}`);
  });
  const trainSeconds = (Date.now() - started) / 1000;
  console.log(`trained on ${train.length} digits in ${trainSeconds.toFixed(1)} s`);

  const calibration = tf.tidy(() => tf.slice(xs, 0, CALIBRATION_SAMPLES));
  const graph = quantizeLayersModel(model, calibration, { name: 'mnist_cnn_int8' });
  const bytes = writeTflite(graph);
  writeFileSync(join(OUT_DIR, MODEL_FILE), bytes);
  // what is measured below is the file as written, read back
  const written = parseTflite(bytes, MODEL_FILE);

  const floatPredicted = floatPredictions(model, test);
  const predicted = int8Predictions(written, test);
  const floatAcc = accuracy(floatPredicted, test);
  const int8Acc = accuracy(predicted, test);
  const agreement = predicted.filter((p, i) => p === floatPredicted[i]).length / test.length;
  console.log(`float accuracy: ${percent(floatAcc)} on ${test.length} test digits`);
  console.log(`int8 accuracy:  ${percent(int8Acc)} (tinyforge reference interpreter); int8 and float agree on ${percent(agreement)}`);

  const shipped = test.slice(0, SHIPPED_DIGITS);
  writeFileSync(join(OUT_DIR, 'digits.bin'), Buffer.concat(shipped.map((d) => quantizeInput(written, d.pixels))));
  const summary = JSON.stringify(
    {
      model: MODEL_FILE,
      digits: 'digits.bin',
      bytesPerDigit: IMAGE_SIZE * IMAGE_SIZE,
      labels: shipped.map((d) => d.label),
      int8Predictions: predicted.slice(0, SHIPPED_DIGITS),
      testDigits: test.length,
      floatAccuracy: Number(floatAcc.toFixed(4)),
      int8Accuracy: Number(int8Acc.toFixed(4)),
      int8FloatAgreement: Number(agreement.toFixed(4)),
      trainDigits: train.length,
      epochs: EPOCHS,
    },
    null,
    2,
  ).replace(/\[[\d,\s]+\]/g, (list) => list.replace(/\s+/g, '').replace(/,/g, ', '));
  writeFileSync(join(OUT_DIR, 'labels.json'), `${summary}\n`);
  console.log(`wrote ${MODEL_FILE} (${bytes.length} bytes), digits.bin (${shipped.length} digits), labels.json`);
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

try {
  await main();
} catch (e) {
  if (!(e instanceof TinyforgeError)) throw e;
  console.error(`error: ${e.message}`);
  process.exit(1);
}
