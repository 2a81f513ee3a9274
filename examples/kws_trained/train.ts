// SPDX-License-Identifier: Apache-2.0
/**
 * Trains the example's keyword model: a DS-CNN for the 12 classes of the Speech Commands folder in
 * `../shared/data/speech_commands`, on the features the firmware computes (TFLite Micro's
 * micro_speech audio front-end, 49 frames of 40 int8 features a clip), read with the library
 * function every data-taking command uses (`loadAudioFolder`), so the training features are byte
 * for byte the chip's. Saves the float model as `float/model.json` (TF.js layers format); then
 * `tinyforge quantize` with its default options makes `kws_int8.tflite` (see README.md).
 *
 *   npm run example:kws:train
 *
 * Architecture: Conv2D(CHANNELS, 10x4, stride 2) -> BLOCKS x [DepthwiseConv2D(3x3) ->
 * Conv2D(CHANNELS, 1x1)] -> GlobalAveragePooling2D -> Dense(12, softmax), ReLU after each
 * convolution; no batch normalisation (tinyforge's layers import has none to fold). The network
 * trains on the features standardised (the training set's mean and deviation); the standardisation
 * is folded into the first convolution before the model is saved, which then takes the features as
 * they are (the same function of them).
 * Weights start from He-normal initialisers, seeded, as is the per-epoch shuffle.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { type AudioFolder, loadAudioFolder } from '../../src/lab/data/audio_folder.ts';
import { seededRandom } from '../../src/lab/data/dataset.ts';
import { saveLayersModelFile } from '../../src/lab/model_files.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
/** the data set and the front-end: in ../shared beside the checkout, or where SPEECH_COMMANDS and FRONT_END say (as for run.sh) */
export const DATA = resolve(process.env.SPEECH_COMMANDS ?? join(ROOT, '..', 'shared', 'data', 'speech_commands'));
export const FRONT_END = resolve(process.env.FRONT_END ?? join(ROOT, '..', 'shared', 'models', 'zoo', 'tflm_audio_preprocessor_int8.tflite'));
export const FLOAT_MODEL = join(import.meta.dirname, 'float', 'model.json');
export const INPUT_SHAPE = [49, 40, 1];
export const STRIDE = 320;
const SEED = 7;
const FIRST_CHANNELS = 32;
const CHANNELS = 64;
const BLOCKS = 4;
const EPOCHS = Number(process.env.KWS_EPOCHS ?? 16);
const BATCH = 32;
const LEARNING_RATE = 0.002;

interface Normalization {
  mean: number;
  std: number;
}

const log = (m: string) => process.stderr.write(`${m}\n`);

/** Where the data set or the front-end is absent (a clone without ../shared): one line saying so, exit status 2. */
export function requireShared(script: string): void {
  if (existsSync(join(DATA, 'testing_list.txt')) && existsSync(FRONT_END)) return;
  const shown = (path: string) => (relative(ROOT, path).startsWith('../..') ? path : relative(ROOT, path));
  log(`${script}: the Speech Commands clips (${shown(DATA)}) or the front-end (${shown(FRONT_END)}) are absent: they live in ../shared beside the checkout`);
  process.exit(2);
}

/** The DS-CNN of the module comment, its initialisers seeded. */
export function buildModel(seed: number, classes: number): tf.Sequential {
  let n = 0;
  const init = () => tf.initializers.heNormal({ seed: seed + n++ });
  // He for a depthwise kernel: its fan-in is the 9 taps of one channel (tfjs counts every channel's)
  const depthwiseInit = () => tf.initializers.randomNormal({ stddev: Math.sqrt(2 / 9), seed: seed + n++ });
  const model = tf.sequential({ name: 'kws_dscnn' });
  model.add(
    tf.layers.conv2d({
      name: 'conv',
      inputShape: INPUT_SHAPE,
      filters: FIRST_CHANNELS,
      kernelSize: [10, 4],
      strides: 2,
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: init(),
    }),
  );
  for (let b = 1; b <= BLOCKS; b++) {
    const strides = b === 1 ? 2 : 1;
    model.add(
      tf.layers.depthwiseConv2d({ name: `dw${b}`, kernelSize: 3, strides, padding: 'same', activation: 'relu', depthwiseInitializer: depthwiseInit() }),
    );
    model.add(tf.layers.conv2d({ name: `pw${b}`, filters: CHANNELS, kernelSize: 1, activation: 'relu', kernelInitializer: init() }));
  }
  model.add(tf.layers.globalAveragePooling2d({ name: 'pool' }));
  model.add(tf.layers.dense({ name: 'logits', units: classes, activation: 'softmax', kernelInitializer: init() }));
  return model;
}

/** The clips of `parts` as features (the library's loader, with a progress line). */
export function loadFeatures(parts: ('train' | 'validation' | 'test')[]): AudioFolder {
  return loadAudioFolder(DATA, {
    frontEnd: FRONT_END,
    inputShape: INPUT_SHAPE,
    stride: STRIDE,
    parts,
    onClip: (done, total) => {
      if (done % 500 === 0 || done === total) log(`  features: ${done}/${total} clips`);
    },
  });
}

/** The mean and standard deviation of the training features, over every clip and position. */
function featureStats(folder: AudioFolder): Normalization {
  let sum = 0;
  let squares = 0;
  for (const v of folder.x) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / folder.x.length;
  return { mean, std: Math.sqrt(squares / folder.x.length - mean * mean) };
}

function tensors(folder: AudioFolder, order: number[], norm: Normalization): { x: tf.Tensor; y: tf.Tensor } {
  const size = INPUT_SHAPE.reduce((a, b) => a * b, 1);
  const x = new Float32Array(order.length * size);
  order.forEach((i, n) => {
    for (let k = 0; k < size; k++) x[n * size + k] = (folder.x[i * size + k]! - norm.mean) / norm.std;
  });
  const labels = Int32Array.from(order, (i) => folder.labels.values[i]!);
  return {
    x: tf.tensor4d(x, [order.length, ...INPUT_SHAPE] as [number, number, number, number]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), folder.classNames.length),
  };
}

function accuracy(model: tf.LayersModel, x: tf.Tensor, labels: Int32Array): number {
  const predicted = tf.tidy(() => (model.predict(x, { batchSize: 100 }) as tf.Tensor).argMax(-1).dataSync());
  let right = 0;
  labels.forEach((l, i) => (right += predicted[i] === l ? 1 : 0));
  return right / labels.length;
}

function shuffled(count: number, random: () => number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * The normalisation folded into the first convolution (valid padding: every tap reads a feature):
 * kernel / std, bias - mean / std * the sum of each output channel's kernel. The model then takes the
 * features as they are.
 */
function foldNormalization(model: tf.LayersModel, norm: Normalization): void {
  const conv = model.getLayer('conv');
  const [kernel, bias] = conv.getWeights();
  const scaled = tf.div(kernel!, norm.std);
  const shift = tf.mul(tf.sum(scaled, [0, 1, 2]), norm.mean);
  conv.setWeights([scaled, tf.sub(bias!, shift)]);
}

async function main(): Promise<void> {
  requireShared('train.ts');
  log(`features of ${relative(ROOT, DATA)} through ${relative(ROOT, FRONT_END)} ...`);
  const train = loadFeatures(['train']);
  const validation = loadFeatures(['validation']);
  await useTrainingBackend();
  const classes = train.classNames.length;
  const model = buildModel(SEED, classes);
  model.summary(undefined, undefined, (line) => log(line));
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const norm = featureStats(train);
  log(`features: mean ${norm.mean.toFixed(2)}, standard deviation ${norm.std.toFixed(2)} (folded into the first convolution when saved)`);
  const val = tensors(
    validation,
    Array.from({ length: validation.count }, (_, i) => i),
    norm,
  );
  const random = seededRandom(SEED);
  const started = Date.now();
  log(`training on ${train.count} clips, ${EPOCHS} epochs (tfjs, wasm backend) ...`);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    if (epoch === Math.floor(EPOCHS * 0.7))
      model.compile({ optimizer: tf.train.adam(LEARNING_RATE / 4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const { x, y } = tensors(train, shuffled(train.count, random), norm);
    const h = await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    const acc = accuracy(model, val.x, validation.labels.values);
    const s = ((Date.now() - started) / 1000).toFixed(0);
    log(`  epoch ${epoch + 1}/${EPOCHS}: loss ${(h.history.loss![0] as number).toFixed(4)}, validation accuracy ${(acc * 100).toFixed(1)}% (${s} s)`);
  }
  foldNormalization(model, norm);
  mkdirSync(join(import.meta.dirname, 'float'), { recursive: true });
  await saveLayersModelFile(model, FLOAT_MODEL);
  log(`saved ${relative(ROOT, FLOAT_MODEL)} (${((Date.now() - started) / 1000).toFixed(0)} s of training)`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  try {
    await main();
  } catch (e) {
    log(`error: ${(e as Error).message.split('\n')[0]}`);
    process.exit(1);
  }
}
