// SPDX-License-Identifier: Apache-2.0
/**
 * Command-line options the compression commands share, and their checks. Kept free of tfjs imports so
 * that the CLI starts fast; the commands load the compression modules when they run.
 */
import { basename, dirname, extname, join } from 'node:path';
import { Command, Option } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { addAlias } from './option-aliases.ts';
import type { DataOptions } from '../../lab/data/dataset.ts';
import type { RangeMethod } from '../../compress/calibrate.ts';
import type { Progress } from '../../compress/progress.ts';

const RANGE_CHOICES: RangeMethod[] = ['minmax', 'percentile', 'mse'];

export interface DataCliOptions {
  data?: string;
  labelsFile?: string;
  inputKey?: string;
  labelKey?: string;
  labelColumn?: string;
  pixelRange?: string;
  eval?: string;
  holdout: string;
  seed: string;
  frontEnd?: string;
  stride?: string;
  sampleRate: string;
  split: string;
}

export interface TrainCliOptions {
  epochs: string;
  batchSize: string;
  lr?: string;
}

export const SPLIT_HELP =
  "a data set with its own validation_list.txt and testing_list.txt (a folder of WAV clips): the list the held-out figures are measured on; --data's training part is then the clips in neither list, and --holdout is not used";

/** The options of a folder of WAV clips: the front-end that turns a clip into features, its framing, the clips' rate. */
export function addAudioDataOptions(cmd: Command): Command {
  return cmd
    .option(
      '--front-end <model>',
      'a folder of WAV clips: the front-end model the firmware runs on each frame (int16 samples in, int8 features out, as in a pipeline); the data are its features',
    )
    .option(
      '--stride <samples>',
      "a folder of WAV clips: samples between the front-end's frames, as the pipeline's --stride (default: the front-end's own hop where its file names one, else half its frame)",
    )
    .option('--sample-rate <hz>', 'a folder of WAV clips: the sample rate every clip has', '16000');
}

export function addDataOptions(
  cmd: Command,
  dataHelp = 'data: .npz, .npy, .csv, a folder of images, or a folder of WAV clips (labelled sub-folders)',
): Command {
  cmd
    .option('-d, --data <path>', dataHelp)
    .option('--labels-file <file.npy>', 'the labels of a .npy of inputs, classes or values (an .npz, .csv or image folder carries its own)')
    .option('--input-key <name>', '.npz array holding the inputs (default: x, inputs, data, images, ...)')
    .option('--label-key <name>', '.npz array holding the labels (default: y, labels, targets, ...)')
    .option('--label-column <name|index>', 'CSV column holding the labels (default: label/class/target/y, or the extra last column)')
    .option('--pixel-range <lo,hi>', 'images: pixel values 0 and 255 map to these', '0,1')
    .option(
      '--eval <path>',
      "held-out data for the before/after figures (default: --data's validation or testing list where it has them, else a part of --data)",
    )
    .option(
      '--holdout <fraction>',
      'share of --data held out when --eval is not given and --data has no lists of its own (clips of one speaker stay on one side)',
      '0.2',
    )
    .option('--seed <n>', 'seed for splits and shuffles', '1')
    .addOption(new Option('--split <list>', SPLIT_HELP).choices(['validation', 'test']).default('validation'));
  addAudioDataOptions(cmd);
  // --labels-file as validate names it: --labels is the class names of compile, run, profile and validate
  addAlias(cmd, '--labels', '--labels-file');
  return cmd;
}

export function addTrainOptions(cmd: Command, epochs: string, lr: string): Command {
  return cmd
    .option('--epochs <n>', 'fine-tuning epochs', epochs)
    .option('--batch-size <n>', 'fine-tuning batch size', '32')
    .option('--lr <rate>', 'Adam learning rate', lr);
}

export function addCalibrationOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--ranges <method>', 'activation ranges: observed min/max, a percentile, or least squared error').choices(RANGE_CHOICES).default('minmax'),
    )
    .option('--percentile <p>', 'for --ranges percentile: share of values kept, in percent', '99.99')
    .option('--calib-samples <n>', 'calibration samples (taken from the data)', '300')
    .option('--per-channel-dense', 'quantize dense weights per output channel (TFLite default: per tensor)');
}

export function positiveNumber(value: string | undefined, flag: string, integer = false): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new TinyforgeError(`${flag} ${value ?? '(missing)'}: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return n;
}

export function fraction(value: string, flag: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1 || (!allowZero && n === 0))
    throw new TinyforgeError(`${flag} ${value}: expected a number in ${allowZero ? '[0' : '(0'}, 1)`);
  return n;
}

export function trainOptions(opts: TrainCliOptions & { seed: string }, progress: Progress) {
  return {
    epochs: positiveNumber(opts.epochs, '--epochs', true),
    batchSize: positiveNumber(opts.batchSize, '--batch-size', true),
    learningRate: positiveNumber(opts.lr, '--lr'),
    seed: Number(opts.seed),
    progress,
  };
}

export function dataOptions(opts: DataCliOptions, inputShape: number[]): DataOptions {
  const range = (opts.pixelRange ?? '0,1').split(',').map(Number);
  if (range.length !== 2 || range.some((v) => !Number.isFinite(v)))
    throw new TinyforgeError(`--pixel-range ${opts.pixelRange}: expected two numbers, e.g. 0,1 or -1,1`);
  return {
    labels: opts.labelsFile,
    inputKey: opts.inputKey,
    labelKey: opts.labelKey,
    labelColumn: opts.labelColumn,
    inputShape: inputShape.slice(1),
    pixelRange: range as [number, number],
    ...audioDataOptions(opts),
  };
}

/** --front-end, --stride and --sample-rate as the data loader takes them. */
export function audioDataOptions(opts: { frontEnd?: string; stride?: string; sampleRate?: string }): Pick<DataOptions, 'frontEnd' | 'stride' | 'sampleRate'> {
  return {
    ...(opts.frontEnd !== undefined ? { frontEnd: opts.frontEnd } : {}),
    ...(opts.stride !== undefined ? { stride: positiveNumber(opts.stride, '--stride', true) } : {}),
    sampleRate: positiveNumber(opts.sampleRate ?? '16000', '--sample-rate', true),
  };
}

export interface CalibrationCliOptions {
  ranges: RangeMethod;
  percentile: string;
  calibSamples: string;
  perChannelDense?: boolean;
}

/** The default output path: `<model>_<suffix>.tflite` beside the model. */
export function defaultOutput(modelPath: string, suffix: string): string {
  const base = basename(modelPath) === 'model.json' ? basename(dirname(modelPath)) : basename(modelPath, extname(modelPath));
  return join(
    dirname(modelPath) === '.' ? '.' : basename(modelPath) === 'model.json' ? dirname(dirname(modelPath)) : dirname(modelPath),
    `${base || 'model'}_${suffix}.tflite`,
  );
}
