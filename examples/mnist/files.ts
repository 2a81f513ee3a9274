// SPDX-License-Identifier: Apache-2.0
/**
 * What make_model.ts and compress.ts share: the example's digits (3,000 to train and calibrate on,
 * 500 held out), written as the .npz files the CLI reads, the float model `float/model.json` (trained
 * here when it is absent), and the CLI itself, run as a user runs it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { saveLayersModelFile } from '../../src/lab/model_files.ts';
import { npyBytes } from '../../src/lab/data/npy.ts';
import { writeZip } from '../../src/lab/data/zip.ts';
import { type Digit, type DigitSplit, IMAGE_SIZE, PIXELS, imagesTensor, labelsTensor, loadDigits } from './dataset.ts';
import { buildModel, trainModel } from './model.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
/** the float model every int8 model of the example is made from */
export const FLOAT_MODEL = join(import.meta.dirname, 'float', 'model.json');
/** the int8 model the example ships (`bash examples/run.sh` runs it) */
export const SHIPPED_MODEL = join(import.meta.dirname, 'mnist_cnn_int8.tflite');
/** where the .npz files (and compress.ts's outputs) go */
export const WORK = join(ROOT, '.tinyforge-cache', 'mnist');
export const TRAIN_PER_DIGIT = 300;
export const TEST_PER_DIGIT = 50;
export const SEED = 42;
export const FLOAT_EPOCHS = 10;
const FLOAT_LEARNING_RATE = 0.003;

/** The example's split: 300 training and 50 held-out digits of each class, disjoint, seeded. */
export function exampleDigits(): DigitSplit {
  return loadDigits(TRAIN_PER_DIGIT, TEST_PER_DIGIT, SEED);
}

/** Digits as an .npz: `x` [N, 28, 28, 1] float32 pixels in [0, 1], `y` [N] int32 classes. */
export function digitsNpz(digits: readonly Digit[]): Uint8Array {
  const x = new Float32Array(digits.length * PIXELS);
  digits.forEach((d, i) => x.set(d.pixels, i * PIXELS));
  return writeZip(
    new Map([
      ['x.npy', npyBytes(x, [digits.length, IMAGE_SIZE, IMAGE_SIZE, 1])],
      [
        'y.npy',
        npyBytes(
          Int32Array.from(digits, (d) => d.label),
          [digits.length],
        ),
      ],
    ]),
  );
}

/** Writes `train.npz` and `test.npz` in WORK; returns their paths. */
export function writeDigitFiles(split: DigitSplit): { train: string; test: string } {
  mkdirSync(WORK, { recursive: true });
  const train = join(WORK, 'train.npz');
  const test = join(WORK, 'test.npz');
  writeFileSync(train, digitsNpz(split.train));
  writeFileSync(test, digitsNpz(split.test));
  return { train, test };
}

/** Trains the float CNN of model.ts on `train` (tfjs, wasm backend) and saves it as FLOAT_MODEL. */
export async function trainFloatModel(train: Digit[], log: (message: string) => void): Promise<void> {
  log(`training the float model on ${train.length} digits (tfjs, wasm backend) ...`);
  await useTrainingBackend();
  const model = buildModel(SEED);
  const started = Date.now();
  await trainModel(
    model,
    imagesTensor(train),
    labelsTensor(train),
    FLOAT_EPOCHS,
    (epoch, loss, accuracy) => {
      log(`  epoch ${epoch + 1}/${FLOAT_EPOCHS}: loss ${loss.toFixed(4)}, training accuracy ${(accuracy * 100).toFixed(2)}%`);
    },
    FLOAT_LEARNING_RATE,
  );
  await saveLayersModelFile(model, FLOAT_MODEL);
  log(`saved ${relative(ROOT, FLOAT_MODEL)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** A path as given on the command line from the project's root. */
const fromRoot = (path: string) => relative(ROOT, path);

/**
 * How the shipped model is made: `tinyforge quantize` with its default options on the float model,
 * calibrated on the training digits (the first 300 of them, by default), the figures on the held-out ones.
 */
export function quantizeArgs(data: { train: string; test: string }, output: string): string[] {
  return ['quantize', fromRoot(FLOAT_MODEL), '--calib', fromRoot(data.train), '--eval', fromRoot(data.test), '-o', fromRoot(output), '--json'];
}

/** How it is checked: `tinyforge validate --original` against the float model on the held-out digits, on the host. */
export function validateArgs(model: string, test: string): string[] {
  return ['validate', fromRoot(model), '--original', fromRoot(FLOAT_MODEL), '--inputs', fromRoot(test), '-t', 'host', '--json'];
}

/** Runs the real CLI from the project's root, passing its stderr through; returns its stdout. */
export function tinyforge(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'tinyforge.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`tinyforge ${args[0]} exited with ${code}`))));
  });
}
