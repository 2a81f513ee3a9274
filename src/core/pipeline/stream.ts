// SPDX-License-Identifier: Apache-2.0
/**
 * A stream in, results out: the framing of a sample stream into frames, a front-end model turning
 * each frame into a feature vector, a ring of the last K feature vectors, and the model run on that
 * window each time it fills again (docs/pipeline.md). Without a front-end the stream is a sensor
 * recording: one row of channels is one frame, quantized with the model input's scale and zero point.
 * This file decides the shape of a pipeline from its two graphs and runs the TypeScript reference of
 * it; pipeline_c.ts generates the same pipeline in C.
 */
import { TinyforgeError } from '../errors.ts';
import { type Graph, type Tensor, elementCount } from '../ir/graph.ts';
import type { TensorBuffer } from '../ir/buffers.ts';
import { interpret } from '../ops/interpreter.ts';
import { type PreparedGraph, prepareGraph } from '../ops/prepare.ts';
import type { KernelIsa } from '../ops/op.ts';
import { optimizeGraph } from '../passes/index.ts';

export interface StreamShape {
  /** audio: int16 samples through a front-end model; sensor: rows of real values, no front-end */
  kind: 'audio' | 'sensor';
  /** samples in one frame: the front-end's input element count (1 row for a sensor stream) */
  frameSamples: number;
  /** samples from the start of one frame to the start of the next (1 row for a sensor stream) */
  hop: number;
  /** where the hop came from: `--stride`, the front-end's name, or half the window */
  hopSource: string;
  /** elements of one feature vector: the front-end's output (the channels of a sensor row) */
  features: number;
  /** feature vectors the model's input holds: its element count over `features` */
  frames: number;
  /** new frames between two model runs (`--window-stride`, sensor: `--stride`); default `frames` */
  windowStride: number;
}

export interface StreamOptions {
  /** audio: samples between frames (`--stride`); sensor: rows between model runs */
  stride?: number;
  /** audio: frames between model runs (`--window-stride`) */
  windowStride?: number;
}

const describe = (t: Tensor) => `${t.dtype} [${t.shape.join(',')}]`;

function positiveInteger(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TinyforgeError(`${flag} must be a whole number of at least 1, got ${value}`);
  return value;
}

/**
 * The front-end's own hop, where its file says it: its name, its description, or its input's or
 * output's name, such as `stride_320`, `hop320` or `step:320`. TFLite files carry no standard field
 * for it.
 */
export function declaredHop(frontEnd: Graph): number | null {
  // the model's own names and its input and output, not every tensor: a layer's `strides` is not a hop
  const texts = [frontEnd.name, frontEnd.description ?? '', ...[...frontEnd.inputs, ...frontEnd.outputs].map((i) => frontEnd.tensors[i]!.name)];
  for (const text of texts) {
    const m = /(?:hop|stride|step)(?:_length|_size)?[_:= -]?(\d+)/i.exec(text);
    if (m && Number(m[1]) > 0) return Number(m[1]);
  }
  return null;
}

/** The one input and the int8 output 0 a model in a pipeline needs. */
function modelInput(model: Graph, label: string): Tensor {
  if (model.inputs.length !== 1) throw new TinyforgeError(`${label}: a pipeline's model takes one input tensor, this one takes ${model.inputs.length}`);
  const input = model.tensors[model.inputs[0]!]!;
  if (input.dtype !== 'int8') throw new TinyforgeError(`${label}: a pipeline's model takes an int8 input, this one takes ${describe(input)}`);
  const out0 = model.tensors[model.outputs[0]!]!;
  if (out0.dtype !== 'int8')
    throw new TinyforgeError(`${label}: the pipeline hands the model's output 0 to its callback as int8 scores; this one is ${describe(out0)}`);
  return input;
}

/**
 * The pipeline's shape from a front-end (one int16 input of W samples, one int8 output of F
 * features) and a model (one int8 input of K x F elements): every refusal one line naming the file.
 */
export function audioStreamShape(frontEnd: Graph, frontEndLabel: string, model: Graph, modelLabel: string, options: StreamOptions = {}): StreamShape {
  const input = modelInput(model, modelLabel);
  return frontEndStreamShape(frontEnd, frontEndLabel, elementCount(input.shape), `${modelLabel}: its input ${describe(input)}`, options);
}

/**
 * The shape of a front-end's stream into a model input of `inputElements` values (`inputLabel` names
 * that input in messages): the same framing whether the model is the int8 one of a pipeline or the
 * float one a data set is made for.
 */
export function frontEndStreamShape(
  frontEnd: Graph,
  frontEndLabel: string,
  inputElements: number,
  inputLabel: string,
  options: StreamOptions = {},
): StreamShape {
  if (frontEnd.inputs.length !== 1 || frontEnd.outputs.length !== 1)
    throw new TinyforgeError(
      `${frontEndLabel}: a front-end takes one int16 input (a frame of samples) and gives one int8 output (its features); this one has ${frontEnd.inputs.length} inputs and ${frontEnd.outputs.length} outputs`,
    );
  const samples = frontEnd.tensors[frontEnd.inputs[0]!]!;
  const feats = frontEnd.tensors[frontEnd.outputs[0]!]!;
  if (samples.dtype !== 'int16') throw new TinyforgeError(`${frontEndLabel}: a front-end takes int16 samples, this one takes ${describe(samples)}`);
  if (feats.dtype !== 'int8') throw new TinyforgeError(`${frontEndLabel}: a front-end gives int8 features, this one gives ${describe(feats)}`);
  const frameSamples = elementCount(samples.shape);
  const features = elementCount(feats.shape);
  if (inputElements % features !== 0)
    throw new TinyforgeError(`${inputLabel} holds ${inputElements} values, not a whole number of ${frontEndLabel}'s ${features}-feature frames`);
  const frames = inputElements / features;
  const declared = declaredHop(frontEnd);
  const hop =
    options.stride !== undefined
      ? { hop: positiveInteger(options.stride, '--stride'), hopSource: '--stride' }
      : declared !== null
        ? { hop: declared, hopSource: `${frontEndLabel}'s names` }
        : { hop: Math.max(1, Math.floor(frameSamples / 2)), hopSource: 'half the window: the front-end names no hop' };
  const windowStride = options.windowStride !== undefined ? positiveInteger(options.windowStride, '--window-stride') : frames;
  return { kind: 'audio', frameSamples, ...hop, features, frames, windowStride };
}

/**
 * A sensor stream: rows of `channels` real values, the model's input a window of K rows. `stride`
 * is the rows between two runs of the model (default K: windows side by side).
 */
export function sensorStreamShape(model: Graph, modelLabel: string, channels: number, source: string, options: StreamOptions = {}): StreamShape {
  const input = modelInput(model, modelLabel);
  if (!input.quant) throw new TinyforgeError(`${modelLabel}: its input has no scale and zero point to quantize ${source}'s values with`);
  const total = elementCount(input.shape);
  if (channels < 1 || total % channels !== 0)
    throw new TinyforgeError(`${source}: ${channels} columns a row, but ${modelLabel}'s input ${describe(input)} is not a whole number of such rows`);
  const frames = total / channels;
  if (options.windowStride !== undefined)
    throw new TinyforgeError('--window-stride is for a front-end stream; a sensor stream moves its window by --stride rows');
  const windowStride = options.stride !== undefined ? positiveInteger(options.stride, '--stride') : frames;
  return { kind: 'sensor', frameSamples: 1, hop: 1, hopSource: 'one row', features: channels, frames, windowStride };
}

/** Frames a stream of `samples` gives: every whole frame that starts on the hop. */
export function frameCount(shape: StreamShape, samples: number): number {
  return samples < shape.frameSamples ? 0 : Math.floor((samples - shape.frameSamples) / shape.hop) + 1;
}

/** Model runs over `frames` frames: when the ring first fills, then each `windowStride` frames. */
export function windowCount(shape: StreamShape, frames: number): number {
  return frames < shape.frames ? 0 : Math.floor((frames - shape.frames) / shape.windowStride) + 1;
}

export interface StreamWindow {
  index: number;
  /** the sample (sensor: row) the window's first frame starts at */
  startSample: number;
  /** the model's outputs, raw bytes per output tensor */
  outputs: Uint8Array[];
}

export interface StreamResult {
  /** each frame's feature vector, as the model's input holds it */
  features: Int8Array[];
  windows: StreamWindow[];
}

/**
 * The float32 arithmetic of tf_pipeline.c's quantizer (that of the generated quantize_input): x /
 * scale in float, rounded half away from zero, plus the zero point, clamped to int8.
 */
export function quantizeInt8(x: number, scale: number, zeroPoint: number): number {
  let v = Math.fround(Math.fround(x) / Math.fround(scale));
  let q = zeroPoint;
  if (!Number.isNaN(v)) {
    v = Math.min(2147483520, Math.max(-2147483520, v));
    const whole = Math.trunc(v);
    const frac = Math.fround(v - whole);
    q += whole;
    if (frac >= 0.5) q++;
    else if (frac <= -0.5) q--;
  }
  return Math.min(127, Math.max(-128, q));
}

/** The model's input scale and zero point, for a sensor stream's rows; null for an input without them. */
export function inputQuantization(model: Graph): { scale: number; zeroPoint: number } | null {
  const q = model.tensors[model.inputs[0]!]!.quant;
  return q ? { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! } : null;
}

/** Runs the model over the ring each time a frame completes a window; state carried run to run, as the C does. */
function slideWindows(shape: StreamShape, model: PreparedGraph, features: Int8Array[], frameStart: (frame: number) => number): StreamWindow[] {
  const state = new Map<number, TensorBuffer>();
  const windows: StreamWindow[] = [];
  for (let last = shape.frames - 1; last < features.length; last += shape.windowStride) {
    const first = last - shape.frames + 1;
    const input = new Uint8Array(shape.frames * shape.features);
    for (let f = 0; f < shape.frames; f++)
      input.set(new Uint8Array(features[first + f]!.buffer, features[first + f]!.byteOffset, shape.features), f * shape.features);
    windows.push({ index: windows.length, startSample: frameStart(first), outputs: interpret(model, [input], state).outputs });
  }
  return windows;
}

/**
 * The reference of an audio pipeline: the front-end on every frame (its state carried frame to
 * frame), the model on every window. Bit for bit what tf_pipeline.c computes.
 */
export function runAudioReference(shape: StreamShape, frontEnd: PreparedGraph, model: PreparedGraph, samples: Int16Array): StreamResult {
  const features = frontEndFeatures(shape, frontEnd, samples);
  return { features, windows: slideWindows(shape, model, features, (f) => f * shape.hop) };
}

/**
 * The front-end on the first `frames` frames of `samples` (default: every whole frame), from a fresh
 * state carried frame to frame: each frame's int8 feature vector, as the pipeline's reference and the
 * C compute them. A data set of clips takes one window of these per clip.
 */
export function frontEndFeatures(shape: StreamShape, frontEnd: PreparedGraph, samples: Int16Array, frames = frameCount(shape, samples.length)): Int8Array[] {
  const state = new Map<number, TensorBuffer>();
  const features: Int8Array[] = [];
  const count = Math.min(frames, frameCount(shape, samples.length));
  for (let f = 0; f < count; f++) {
    const frame = samples.slice(f * shape.hop, f * shape.hop + shape.frameSamples);
    const out = interpret(frontEnd, [new Uint8Array(frame.buffer)], state).outputs[0]!;
    features.push(new Int8Array(out.buffer, out.byteOffset, out.length).slice());
  }
  return features;
}

/**
 * A model as the compiler prepares it: after the graph passes (constants folded, the state of signal
 * ops made variable tensors), its kernels chosen for `isa`.
 */
export function prepareStreamModel(graph: Graph, name: string, isa?: KernelIsa): PreparedGraph {
  return prepareGraph(optimizeGraph(graph, name), name, isa);
}

/** The reference of a sensor stream: `rows` of `shape.features` real values. */
export function runSensorReference(shape: StreamShape, model: PreparedGraph, rows: readonly (readonly number[])[]): StreamResult {
  // sensorStreamShape refused an input without a scale and zero point
  const { scale, zeroPoint } = inputQuantization(model.graph)!;
  const features = rows.map((row) => Int8Array.from(row, (x) => quantizeInt8(x, scale, zeroPoint)));
  return { features, windows: slideWindows(shape, model, features, (f) => f) };
}

/**
 * The features are copied into the model's input as they are (as micro_speech does): where the
 * front-end's output and the model's input are quantized differently, a line saying so; else null.
 * Unquantized features are the model's quantized values already (micro_speech's front-end): no note.
 */
export function featureQuantizationNote(frontEnd: Graph, frontEndLabel: string, model: Graph, modelLabel: string): string | null {
  const a = frontEnd.tensors[frontEnd.outputs[0]!]!.quant;
  const b = model.tensors[model.inputs[0]!]!.quant;
  // features without quantization are raw int8 values meant as the model's quantized input (micro_speech's front-end)
  const same = a && b ? Math.abs(a.scale[0]! - b.scale[0]!) <= 1e-6 * Math.abs(b.scale[0]!) && a.zeroPoint[0] === b.zeroPoint[0] : !a;
  if (same) return null;
  const show = (q: typeof a) => (q ? `scale ${q.scale[0]}, zero point ${q.zeroPoint[0]}` : 'no quantization');
  return `note: ${frontEndLabel}'s features (${show(a)}) go into ${modelLabel}'s input (${show(b)}) as they are`;
}
