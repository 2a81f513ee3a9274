// SPDX-License-Identifier: Apache-2.0
/**
 * A folder of WAV clips, one sub-folder per label (the layout of Google's Speech Commands): each clip
 * becomes the features the firmware computes from it. The front-end model runs on the clip's frames
 * from a fresh state (core/pipeline/stream.ts's `frontEndFeatures`, the function the pipeline's
 * reference runs), the first window of frames the model's input holds is the sample, and its int8
 * features go to training as the real values they dequantize to with the front-end output's scale
 * and zero point. An unquantized output is the model's quantized input already (micro_speech's
 * front-end): an int8 model's input scale and zero point dequantize it, for a float model the int8
 * values are the real values (scale 1, zero point 0).
 *
 * Splits: `validation_list.txt` and `testing_list.txt` at the top (paths relative to the folder)
 * mark each clip's part: training is every clip in neither list. Without them each clip carries a
 * group for a seeded split (dataset.ts `splitDataset`): its speaker, the file-name part before
 * `_nohash_` (after the `<word>_` prefix of `_unknown_`), else its own file.
 * Class order: the label folders sorted (`_silence_`, `_unknown_`, then the words).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import type { Graph } from '../../core/ir/graph.ts';
import { loadGraph } from '../../core/model/load.ts';
import type { PreparedGraph } from '../../core/ops/prepare.ts';
import {
  type StreamShape,
  featureQuantizationNote,
  frameCount,
  frontEndFeatures,
  frontEndStreamShape,
  inputQuantization,
  prepareStreamModel,
} from '../../core/pipeline/stream.ts';
import { readUserFile } from '../../core/model/read_file.ts';
import { parseWav } from './wav.ts';

export type SamplePart = 'train' | 'validation' | 'test';

export const LIST_FILES: Record<Exclude<SamplePart, 'train'>, string> = { validation: 'validation_list.txt', test: 'testing_list.txt' };

/** Speech Commands' folder of long noise recordings: material for `_silence_`, not a label. */
const BACKGROUND_FOLDER = '_background_noise_';

export interface AudioFolderOptions {
  /** the front-end model (.tflite): one int16 frame in, one int8 feature vector out */
  frontEnd?: string;
  /** the model input's shape without the batch axis: its element count over the features is the window's frames */
  inputShape?: number[];
  /** samples between frames (as `--stride` of a pipeline); default: the front-end's own hop, else half its frame */
  stride?: number;
  /** the clips' sample rate (default 16000) */
  sampleRate?: number;
  /** called as clips are turned into features */
  onClip?: (done: number, total: number) => void;
  /** a folder with its own lists: only the clips of these parts are read */
  parts?: SamplePart[];
  /** the model the data are for: an int8 input's scale and zero point, and a note where they differ from the front-end's */
  model?: { graph: Graph; label: string };
}

export interface AudioFolder {
  source: string;
  count: number;
  sampleShape: number[];
  x: Float32Array;
  labels: { kind: 'classes'; values: Int32Array };
  classNames: string[];
  /** each clip's part, where the folder has its lists */
  parts?: SamplePart[];
  /** each clip's group (speaker, else file), where it has none */
  groups?: string[];
  /** the clips' paths relative to the folder */
  files: string[];
  /** the quantization the features were dequantized with */
  inputQuant: { scale: number; zeroPoint: number };
  /** lines stating the front-end, the window and the class order */
  notes: string[];
}

export const DEFAULT_SAMPLE_RATE = 16000;

const isWav = (name: string) => name.toLowerCase().endsWith('.wav');

/** Whether `path` is a folder of audio: lists at its top, or a label sub-folder holding .wav clips. */
export function isAudioFolder(path: string): boolean {
  if (Object.values(LIST_FILES).some((f) => existsSync(join(path, f)))) return true;
  return readdirSync(path).some((d) => {
    const dir = join(path, d);
    return !d.startsWith('.') && statSync(dir).isDirectory() && readdirSync(dir).some(isWav);
  });
}

const noFrontEnd = (path: string) =>
  new TinyforgeError(
    `${path}: a folder of WAV clips is turned into features by the front-end the firmware runs: give --front-end FILE (e.g. an audio preprocessor .tflite)`,
  );

/** A folder of WAV clips without a front-end: refused in one line saying to give one. */
export function requireFrontEnd(path: string, frontEnd: string | undefined): void {
  if (frontEnd === undefined && existsSync(path) && statSync(path).isDirectory() && isAudioFolder(path)) throw noFrontEnd(path);
}

/** The speaker a Speech Commands file name carries (`<speaker>_nohash_<n>.wav`, `<word>_<speaker>_nohash_<n>.wav`), else null. */
export function speakerOf(file: string): string | null {
  const name = basename(file);
  const at = name.indexOf('_nohash_');
  if (at <= 0) return null;
  return name.slice(0, at).split('_').pop() || null;
}

/** The clips of every label folder (relative paths, `/`-separated), in sorted order. */
function listClips(path: string): { classNames: string[]; clips: { file: string; label: number }[] } {
  const classNames = readdirSync(path)
    .filter((d) => !d.startsWith('.') && d !== BACKGROUND_FOLDER && statSync(join(path, d)).isDirectory())
    .sort();
  if (classNames.length === 0) throw new TinyforgeError(`${path}: no label folders (a folder of WAV clips holds one sub-folder of clips per label)`);
  const clips = classNames.flatMap((name, label) => {
    const files = readdirSync(join(path, name))
      .filter((f) => isWav(f) && statSync(join(path, name, f)).isFile())
      .sort();
    if (files.length === 0) throw new TinyforgeError(`${join(path, name)}: label folder "${name}" holds no .wav clips`);
    return files.map((f) => ({ file: `${name}/${f}`, label }));
  });
  return { classNames, clips };
}

/** Each clip's part by the folder's own lists; null without lists. A listed file that is not there: one line naming it. */
function readParts(path: string, files: readonly string[]): SamplePart[] | null {
  const present = Object.entries(LIST_FILES).filter(([, f]) => existsSync(join(path, f)));
  if (present.length === 0) return null;
  const index = new Map(files.map((f, i) => [f, i]));
  const parts: SamplePart[] = files.map(() => 'train');
  for (const [part, listFile] of present) {
    const list = join(path, listFile);
    const lines = readUserFile(list, 'list of clips').toString('utf8').split(/\r?\n/);
    lines.forEach((raw, n) => {
      const entry = raw.trim().replace(/\\/g, '/').replace(/^\.\//, '');
      if (entry === '') return;
      const at = index.get(entry);
      if (at === undefined) {
        if (!existsSync(join(path, entry))) throw new TinyforgeError(`${list}:${n + 1}: ${join(path, entry)}: no such file`);
        return; // a file outside the label folders (background noise): not a clip of the data set
      }
      if (parts[at] !== 'train' && parts[at] !== part)
        throw new TinyforgeError(`${list}:${n + 1}: ${entry} is in ${LIST_FILES[parts[at] as 'validation']} too: a clip belongs to one part`);
      parts[at] = part as SamplePart;
    });
  }
  return parts;
}

interface FrontEnd {
  path: string;
  graph: Graph;
  prepared: PreparedGraph;
}

/** Front-ends and clip features already computed in this process: a second load of the same clips reads them back. */
const frontEnds = new Map<string, FrontEnd>();
const featureCache = new Map<string, Int8Array>();

function frontEndOf(path: string): FrontEnd {
  const key = resolve(path);
  let fe = frontEnds.get(key);
  if (!fe) {
    const graph = loadGraph(path);
    fe = { path, graph, prepared: prepareStreamModel(graph, basename(path)) };
    frontEnds.set(key, fe);
  }
  return fe;
}

/** One clip's window of features: the front-end on its first `shape.frames` frames. */
function clipFeatures(file: string, fe: FrontEnd, shape: StreamShape, sampleRate: number): Int8Array {
  const key = `${resolve(fe.path)}\u0000${shape.hop}\u0000${shape.frames}\u0000${resolve(file)}`;
  const cached = featureCache.get(key);
  if (cached) return cached;
  const clip = parseWav(new Uint8Array(readUserFile(file, 'audio clip')), file);
  if (clip.sampleRate !== sampleRate)
    throw new TinyforgeError(
      `${file}: ${clip.sampleRate} Hz; the clips of this data set are ${sampleRate} Hz (--sample-rate), resample it, e.g. sox in.wav -r ${sampleRate} out.wav`,
    );
  const frames = frameCount(shape, clip.samples.length);
  if (frames < shape.frames) {
    const need = (shape.frames - 1) * shape.hop + shape.frameSamples;
    throw new TinyforgeError(
      `${file}: ${clip.samples.length} samples give ${frames} frames of ${shape.frameSamples} samples every ${shape.hop}; the model's window takes ${shape.frames} frames (${need} samples)`,
    );
  }
  const window = new Int8Array(shape.frames * shape.features);
  frontEndFeatures(shape, fe.prepared, clip.samples, shape.frames).forEach((f, i) => window.set(f, i * shape.features));
  featureCache.set(key, window);
  return window;
}

/** The scale and zero point the int8 features are dequantized with (module comment), how, and a note where the model's input differs. */
function featureQuant(frontEnd: Graph, feName: string, model: AudioFolderOptions['model']) {
  const q = frontEnd.tensors[frontEnd.outputs[0]!]!.quant;
  const int8Model = model && model.graph.tensors[model.graph.inputs[0]!]!.dtype === 'int8' ? model : undefined;
  const modelQuant = int8Model ? inputQuantization(int8Model.graph) : null;
  const note = int8Model ? featureQuantizationNote(frontEnd, feName, int8Model.graph, int8Model.label) : null;
  if (q) {
    const inputQuant = { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! };
    return { inputQuant, how: `the features dequantized with ${feName}'s output scale ${inputQuant.scale}, zero point ${inputQuant.zeroPoint}`, note };
  }
  if (modelQuant)
    return {
      inputQuant: modelQuant,
      how: `${feName}'s unquantized features are ${int8Model!.label}'s input bytes: dequantized with its scale ${modelQuant.scale}, zero point ${modelQuant.zeroPoint}`,
      note,
    };
  return {
    inputQuant: { scale: 1, zeroPoint: 0 },
    how: `the int8 features as they are (${feName}'s output has no scale and zero point: scale 1, zero point 0)`,
    note,
  };
}

/** The folder's clips as a data set of front-end features (module comment). */
export function loadAudioFolder(path: string, options: AudioFolderOptions): AudioFolder {
  if (options.frontEnd === undefined) throw noFrontEnd(path);
  const inputShape = options.inputShape;
  if (!inputShape || inputShape.length === 0) throw new TinyforgeError(`${path}: a folder of WAV clips needs the model's input shape to frame its features`);
  const inputElements = inputShape.reduce((n, d) => n * d, 1);
  const fe = frontEndOf(options.frontEnd);
  const shape = frontEndStreamShape(fe.graph, basename(fe.path), inputElements, `the model's input [${inputShape}]`, { stride: options.stride });
  const listed = listClips(path);
  const { classNames } = listed;
  const allParts = readParts(
    path,
    listed.clips.map((c) => c.file),
  );
  const wanted = allParts && options.parts ? listed.clips.flatMap((c, i) => (options.parts!.includes(allParts[i]!) ? [i] : [])) : null;
  const clips = wanted ? wanted.map((i) => listed.clips[i]!) : listed.clips;
  const parts = allParts && wanted ? wanted.map((i) => allParts[i]!) : allParts;
  const files = clips.map((c) => c.file);
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const feName = basename(fe.path);
  const { inputQuant, how, note } = featureQuant(fe.graph, feName, options.model);
  const size = shape.frames * shape.features;
  const x = new Float32Array(clips.length * size);
  clips.forEach(({ file }, n) => {
    const window = clipFeatures(join(path, file), fe, shape, sampleRate);
    for (let i = 0; i < size; i++) x[n * size + i] = (window[i]! - inputQuant.zeroPoint) * inputQuant.scale;
    options.onClip?.(n + 1, clips.length);
  });
  const notes = [
    `${path}: ${clips.length} clips; features: ${feName} on frames of ${shape.frameSamples} samples every ${shape.hop} (${shape.hopSource}), ` +
      `${shape.features} int8 features a frame, from a fresh state per clip; the clip's first ${shape.frames} frames make the model's window; ${how}`,
    `${path}: classes ${classNames.map((c, i) => `${i} ${c}`).join(', ')} (label folders in sorted order)`,
    ...(note ? [note] : []),
  ];
  const folder: AudioFolder = {
    source: path,
    count: clips.length,
    sampleShape: [...inputShape],
    x,
    labels: { kind: 'classes', values: Int32Array.from(clips, (c) => c.label) },
    classNames,
    files,
    inputQuant,
    notes,
  };
  if (parts) folder.parts = parts;
  else folder.groups = files.map((f) => (speakerOf(f) !== null ? `speaker ${speakerOf(f)}` : `file ${f}`));
  return folder;
}
