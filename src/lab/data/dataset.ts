// SPDX-License-Identifier: Apache-2.0
/**
 * Data sets for calibration, fine-tuning and evaluation, from the formats people keep them in:
 * - `.npz`: inputs under `x` (or `inputs`, `data`, `images`, `features`, `x_train`, `x_test`), labels
 *   under `y` (or `labels`, `targets`, `y_train`, `y_test`); the keys can be named explicitly;
 * - `.npy`: the inputs; labels from a second `.npy` given with `labels`;
 * - `.csv`: one sample per row; the label is the column named by `labelColumn`, else a column
 *   called label/class/target/y, else the last column when the row has one value more than the
 *   model input takes;
 * - a folder of labelled sub-folders of PNG/JPEG images (class = sub-folder, in sorted order), or a
 *   folder of images without labels (calibration only);
 * - a folder of labelled sub-folders of WAV clips (Speech Commands' layout), turned into features by
 *   a front-end model (audio_folder.ts), with the folder's own validation and testing lists.
 * Labels that are integers (or one-hot rows) are classes; anything else is a regression target.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../../core/errors.ts';
import type { Graph } from '../../core/ir/graph.ts';
import { readUserFile } from '../../core/model/read_file.ts';
import { type SamplePart, LIST_FILES, isAudioFolder, loadAudioFolder } from './audio_folder.ts';
import { parseCsv } from './csv.ts';
import { decodeImage, imageToInput, isImageFile } from './images.ts';
import { type NumericArray, parseNpyArray } from './npy.ts';
import { readZip } from './zip.ts';

export type Labels = { kind: 'classes'; values: Int32Array } | { kind: 'targets'; values: Float32Array; sampleShape: number[] };

export interface Dataset {
  /** where it came from, for messages */
  source: string;
  count: number;
  /** one sample's shape */
  sampleShape: number[];
  /** count · ∏sampleShape input values, sample after sample */
  x: Float32Array;
  labels?: Labels;
  /** class names, for labelled image and audio folders */
  classNames?: string[];
  /** each sample's part by the data set's own lists (an audio folder with validation_list.txt / testing_list.txt) */
  parts?: SamplePart[];
  /** each sample's group (an audio clip's speaker, else its file): a split keeps a group on one side */
  groups?: string[];
  /** the int8 scale and zero point the inputs are dequantized features of: a quantized model's input takes them so */
  inputQuant?: { scale: number; zeroPoint: number };
  /** lines the command states: how the samples were made */
  notes?: string[];
}

export interface DataOptions {
  /** a `.npy` of labels beside a `.npy` of inputs */
  labels?: string;
  /** `.npz` member names */
  inputKey?: string;
  labelKey?: string;
  /** CSV label column (name or 0-based index) */
  labelColumn?: string;
  /** the model input's shape without the batch axis: images are decoded to it, CSV columns matched */
  inputShape?: number[];
  /** pixel values 0 and 255 map to these (default [0, 1]) */
  pixelRange?: [number, number];
  /** a folder of WAV clips: the front-end model that turns each clip into features */
  frontEnd?: string;
  /** a folder of WAV clips: samples between the front-end's frames (default: its own hop, else half its frame) */
  stride?: number;
  /** a folder of WAV clips: their sample rate (default 16000) */
  sampleRate?: number;
  /** a folder of WAV clips: called as clips are turned into features */
  onClip?: (done: number, total: number) => void;
  /** a folder of WAV clips with its own lists: only the clips of these parts are read */
  parts?: SamplePart[];
  /** a folder of WAV clips: the model the data are for (an int8 input's scale and zero point) */
  model?: { graph: Graph; label: string };
}

const INPUT_KEYS = ['x', 'inputs', 'data', 'images', 'features', 'x_train', 'x_test'];
const LABEL_KEYS = ['y', 'labels', 'targets', 'y_train', 'y_test'];
const LABEL_COLUMNS = ['label', 'labels', 'class', 'target', 'y'];

export function loadDataset(path: string, options: DataOptions = {}): Dataset {
  if (!existsSync(path)) throw new TinyforgeError(`${path}: no such file or folder`);
  let dataset: Dataset;
  if (statSync(path).isDirectory())
    dataset = options.frontEnd !== undefined || isAudioFolder(path) ? loadAudioFolder(path, options) : loadImageFolder(path, options);
  else {
    const ext = extname(path).toLowerCase();
    if (ext === '.npz') dataset = loadNpz(path, options);
    else if (ext === '.npy') dataset = loadNpy(path, options);
    else if (ext === '.csv') dataset = loadCsv(path, options);
    else throw new TinyforgeError(`${path}: unknown data format "${ext || '(no extension)'}" (expected .npz, .npy, .csv, or a folder of images or WAV clips)`);
  }
  if (dataset.count === 0) throw new TinyforgeError(`${path}: the data set is empty`);
  for (let i = 0; i < dataset.x.length; i++) {
    if (!Number.isFinite(dataset.x[i]!))
      throw new TinyforgeError(`${path}: input value ${i} (sample ${Math.floor(i / (dataset.x.length / dataset.count))}) is not finite`);
  }
  return dataset;
}

function fromArrays(source: string, inputs: NumericArray, labels: NumericArray | undefined, labelSource: string): Dataset {
  const count = inputs.shape[0] ?? 0;
  if (inputs.shape.length < 2) throw new TinyforgeError(`${source}: inputs have shape [${inputs.shape}]; expected [samples, ...]`);
  const dataset: Dataset = { source, count, sampleShape: inputs.shape.slice(1), x: Float32Array.from(inputs.values) };
  if (labels) {
    if (labels.shape[0] !== count) throw new TinyforgeError(`${labelSource}: ${labels.shape[0]} labels for ${count} samples`);
    dataset.labels = toLabels(labels);
  }
  return dataset;
}

/** Integer labels [N] or one-hot rows [N, C] are classes; other values are targets. */
export function toLabels(a: NumericArray): Labels {
  const count = a.shape[0]!;
  const width = a.values.length / Math.max(1, count);
  if (a.shape.length === 1 || (a.shape.length === 2 && width === 1)) {
    if (a.integer || Array.from(a.values).every((v) => Number.isInteger(v) && v >= 0)) {
      return { kind: 'classes', values: Int32Array.from(a.values) };
    }
  } else if (a.shape.length === 2) {
    const oneHot = Array.from({ length: count }, (_, n) => {
      const row = Array.from(a.values.subarray(n * width, (n + 1) * width));
      return row.every((v) => v === 0 || v === 1) && row.filter((v) => v === 1).length === 1 ? row.indexOf(1) : -1;
    });
    if (oneHot.every((c) => c >= 0)) return { kind: 'classes', values: Int32Array.from(oneHot) };
  }
  return { kind: 'targets', values: Float32Array.from(a.values), sampleShape: a.shape.slice(1) };
}

function loadNpz(path: string, options: DataOptions): Dataset {
  const members = readZip(readUserFile(path, 'dataset (.npz)'), path);
  const arrays = new Map<string, Uint8Array>();
  for (const [name, data] of members) arrays.set(name.replace(/\.npy$/, ''), data);
  const pick = (explicit: string | undefined, candidates: string[], what: string, required: boolean) => {
    if (explicit !== undefined) {
      if (!arrays.has(explicit)) throw new TinyforgeError(`${path}: no array "${explicit}" (has ${[...arrays.keys()].join(', ')})`);
      return explicit;
    }
    const found = candidates.find((k) => arrays.has(k));
    if (!found && required) throw new TinyforgeError(`${path}: no ${what} array (looked for ${candidates.join(', ')}; has ${[...arrays.keys()].join(', ')})`);
    return found;
  };
  const inputKey = pick(options.inputKey, INPUT_KEYS, 'input', true)!;
  const labelKey = pick(options.labelKey, LABEL_KEYS, 'label', false);
  const inputs = parseNpyArray(arrays.get(inputKey)!, `${path}:${inputKey}`);
  const labels = labelKey ? parseNpyArray(arrays.get(labelKey)!, `${path}:${labelKey}`) : undefined;
  return fromArrays(path, inputs, labels, `${path}:${labelKey}`);
}

function loadNpy(path: string, options: DataOptions): Dataset {
  const inputs = parseNpyArray(readUserFile(path, 'dataset (.npy)'), path);
  const labels = options.labels ? parseNpyArray(readUserFile(options.labels, 'labels file (.npy)'), options.labels) : undefined;
  return fromArrays(path, inputs, labels, options.labels ?? path);
}

function loadCsv(path: string, options: DataOptions): Dataset {
  const table = parseCsv(readUserFile(path, 'dataset (.csv)').toString('utf8'), path);
  const width = table.columns.length;
  const inputSize = options.inputShape?.reduce((n, d) => n * d, 1);
  let labelColumn: number | undefined;
  if (options.labelColumn !== undefined) {
    const byName = table.columns.indexOf(options.labelColumn);
    labelColumn = byName >= 0 ? byName : /^\d+$/.test(options.labelColumn) ? Number(options.labelColumn) : -1;
    if (labelColumn < 0 || labelColumn >= width) throw new TinyforgeError(`${path}: no column "${options.labelColumn}" (columns: ${table.columns.join(', ')})`);
  } else {
    const named = table.columns.findIndex((c) => LABEL_COLUMNS.includes(c.toLowerCase()));
    if (named >= 0) labelColumn = named;
    else if (inputSize !== undefined && width === inputSize + 1) labelColumn = width - 1;
  }
  const count = table.rows.length;
  const features = width - (labelColumn === undefined ? 0 : 1);
  const x = new Float32Array(count * features);
  const y = new Float64Array(count);
  table.rows.forEach((row, n) => {
    let at = n * features;
    row.forEach((v, c) => {
      if (c === labelColumn) y[n] = v;
      else x[at++] = v;
    });
  });
  const dataset: Dataset = { source: path, count, sampleShape: [features], x };
  if (labelColumn !== undefined) dataset.labels = toLabels({ shape: [count], values: y, integer: false });
  return dataset;
}

function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => isImageFile(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

function loadImageFolder(path: string, options: DataOptions): Dataset {
  const shape = options.inputShape;
  if (!shape || shape.length !== 3) {
    throw new TinyforgeError(`${path}: a folder of images needs a model with an image input [height, width, channels]${shape ? `, not [${shape}]` : ''}`);
  }
  const [height, width, channels] = shape as [number, number, number];
  const classNames = readdirSync(path)
    .filter((f) => statSync(join(path, f)).isDirectory() && !f.startsWith('.'))
    .sort();
  const files: { file: string; label?: number }[] =
    classNames.length > 0
      ? classNames.flatMap((name, label) => listImages(join(path, name)).map((file) => ({ file, label })))
      : listImages(path).map((file) => ({ file }));
  if (files.length === 0) throw new TinyforgeError(`${path}: no PNG or JPEG images found (in the folder or its class sub-folders)`);
  const size = height * width * channels;
  const x = new Float32Array(files.length * size);
  files.forEach(({ file }, n) => x.set(imageToInput(decodeImage(file), height, width, channels, options.pixelRange ?? [0, 1]), n * size));
  const dataset: Dataset = { source: path, count: files.length, sampleShape: [height, width, channels], x };
  if (classNames.length > 0) {
    dataset.labels = { kind: 'classes', values: Int32Array.from(files, (f) => f.label!) };
    dataset.classNames = classNames;
  }
  return dataset;
}

/**
 * The data set with samples shaped as the model input `[1, ...sample]` takes them; a data set whose
 * samples hold a different number of values is refused.
 */
export function fitToInput(dataset: Dataset, inputShape: readonly number[], inputName: string): Dataset {
  const want = inputShape.slice(1);
  const wantSize = want.reduce((n, d) => n * d, 1);
  const haveSize = dataset.sampleShape.reduce((n, d) => n * d, 1);
  if (wantSize !== haveSize) {
    throw new TinyforgeError(
      `${dataset.source}: samples have shape [${dataset.sampleShape}] (${haveSize} values) but model input "${inputName}" takes [${want}] (${wantSize} values)`,
    );
  }
  return { ...dataset, sampleShape: [...want] };
}

/** Samples `indices` of the data set, in that order. */
export function subset(dataset: Dataset, indices: readonly number[], source = dataset.source): Dataset {
  const size = dataset.x.length / dataset.count;
  const x = new Float32Array(indices.length * size);
  indices.forEach((i, n) => x.set(dataset.x.subarray(i * size, (i + 1) * size), n * size));
  const out: Dataset = { ...dataset, source, count: indices.length, x };
  const { parts, groups } = dataset;
  if (parts) out.parts = indices.map((i) => parts[i]!);
  if (groups) out.groups = indices.map((i) => groups[i]!);
  const labels = dataset.labels;
  if (labels?.kind === 'classes') out.labels = { kind: 'classes', values: Int32Array.from(indices, (i) => labels.values[i]!) };
  else if (labels) {
    const w = labels.values.length / dataset.count;
    const values = new Float32Array(indices.length * w);
    indices.forEach((i, n) => values.set(labels.values.subarray(i * w, (i + 1) * w), n * w));
    out.labels = { kind: 'targets', values, sampleShape: labels.sampleShape };
  }
  return out;
}

/** mulberry32: a small seeded PRNG, so that a seed gives the same split everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffledIndices(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * A seeded split into a training part and a held-out part of `heldOut` (a fraction) of the samples;
 * `rule` states it. Samples with groups (speakers) are split by group: no group on both sides.
 */
export function splitDataset(dataset: Dataset, heldOut: number, seed = 1): { train: Dataset; test: Dataset; rule: string } {
  if (dataset.count < 2) throw new TinyforgeError(`${dataset.source}: ${dataset.count} sample(s) cannot be split into training and held-out data`);
  const testCount = Math.min(dataset.count - 1, Math.max(1, Math.round(dataset.count * heldOut)));
  const share = `${Math.round(heldOut * 100)}% held out, seed ${seed}`;
  if (dataset.groups) return splitByGroup(dataset, dataset.groups, testCount, seed, share);
  const order = shuffledIndices(dataset.count, seed);
  return {
    train: subset(dataset, order.slice(testCount), `${dataset.source} (training part)`),
    test: subset(dataset, order.slice(0, testCount), `${dataset.source} (held-out part)`),
    rule: `a seeded split by sample (${share})`,
  };
}

/** Whole groups go to the held-out part, in a seeded order, until it holds `testCount` samples. */
function splitByGroup(dataset: Dataset, groups: readonly string[], testCount: number, seed: number, share: string) {
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => (members.get(g) ?? members.set(g, []).get(g)!).push(i));
  const names = [...members.keys()].sort();
  if (names.length < 2) throw new TinyforgeError(`${dataset.source}: every sample is of one speaker: a speaker-disjoint split needs two`);
  const held: number[] = [];
  const heldGroups = new Set<string>();
  for (const g of shuffledIndices(names.length, seed).map((i) => names[i]!)) {
    if (held.length >= testCount || heldGroups.size === names.length - 1) break;
    heldGroups.add(g);
    held.push(...members.get(g)!);
  }
  const kept = groups.flatMap((g, i) => (heldGroups.has(g) ? [] : [i]));
  // shuffled, as a split by sample is: the first training samples (calibration's) span the classes
  const train = shuffledIndices(kept.length, seed).map((i) => kept[i]!);
  held.sort((a, b) => a - b);
  const speakers = (set: Iterable<string>) => [...set].filter((g) => g.startsWith('speaker ')).length;
  const trainGroups = new Set(train.map((i) => groups[i]!));
  const bySpeaker = names.some((g) => g.startsWith('speaker '));
  return {
    train: subset(dataset, train, `${dataset.source} (training part)`),
    test: subset(dataset, held, `${dataset.source} (held-out part)`),
    rule: bySpeaker
      ? `a seeded split by speaker, the file-name part before _nohash_ (${share}): ${speakers(trainGroups)} speakers training, ${speakers(heldGroups)} held out, none in both; clips without a speaker split by file`
      : `a seeded split by file (${share}): the file names carry no speaker`,
  };
}

/** The samples of one part of the data set's own lists (training: those in neither list). */
export function selectPart(dataset: Dataset, part: SamplePart): Dataset {
  const parts = dataset.parts;
  if (!parts) throw new TinyforgeError(`${dataset.source}: has no ${Object.values(LIST_FILES).join(' or ')} to take a part from`);
  const indices = parts.flatMap((p, i) => (p === part ? [i] : []));
  const name = part === 'train' ? 'training part: clips in neither list' : `${part} part: ${LIST_FILES[part]}`;
  if (indices.length === 0) throw new TinyforgeError(`${dataset.source}: its ${name} is empty`);
  return subset(dataset, indices, `${dataset.source} (${name})`);
}

/** The inputs as one tensor [N, ...sampleShape]. */
export function inputTensor(dataset: Dataset): tf.Tensor {
  return tf.tensor(dataset.x, [dataset.count, ...dataset.sampleShape], 'float32');
}

export function datasetName(dataset: Dataset): string {
  return basename(dataset.source);
}
