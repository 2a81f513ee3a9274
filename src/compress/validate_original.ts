// SPDX-License-Identifier: Apache-2.0
/**
 * `validate MODEL --original FLOAT --inputs DATA`: the compiled int8 model, run where validate runs
 * it (the host's native build, or a board or its emulator), against the float model it came from, on
 * the same inputs. The data set's float values go to the float model as they are and to the int8
 * model quantized with its input's scale and zero point; both outputs are compared as real values
 * (lab/run/accuracy.ts).
 */
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, elementCount } from '../core/ir/graph.ts';
import { loadGraph } from '../core/model/load.ts';
import { loadTarget } from '../core/targets/targets.ts';
import { type DataOptions, type Dataset, fitToInput, loadDataset, selectPart } from '../lab/data/dataset.ts';
import type { SamplePart } from '../lab/data/audio_folder.ts';
import { dequantizedOutput, dequantizedOutputBytes, isSoftmaxOutput } from '../lab/data/labels.ts';
import { type ClassAgreement, type OutputAgreement, classAgreement, outputDistances } from '../lab/run/accuracy.ts';
import { runModel } from '../lab/run/run.ts';
import { type ValidateOptions, validateModel } from '../lab/run/validate.ts';
import { runFloatGraph } from './float_executor.ts';
import { loadFloatModel } from './model_io.ts';
import { quantizeInput } from './ptq.ts';
import { useTrainingBackend } from './tfjs_kernels.ts';

export interface OriginalComparisonOptions extends Omit<ValidateOptions, 'inputs' | 'onOutputs' | 'carryState'> {
  /** the float model: a float `.tflite` or a TensorFlow.js model.json */
  original: string;
  /** the data set: what `quantize --data` takes (.npz, .npy, .csv, a folder of images or of WAV clips) */
  data: string;
  /** a `.npy` of true classes beside a `.npy` of inputs */
  truthFile?: string;
  /** the class names (`--labels`); default: an image or audio folder's sub-folder names */
  classLabels?: string[];
  /** a data set with its own lists: the part compared (default validation) */
  split?: SamplePart;
  /** a folder of WAV clips: the front-end, its hop and the clips' rate */
  audio?: Pick<DataOptions, 'frontEnd' | 'stride' | 'sampleRate'>;
}

export interface OriginalComparison {
  model: string;
  original: string;
  data: string;
  inputs: number;
  target: string;
  board: string | null;
  /** inputs whose compiled outputs on the target equal the host reference's byte for byte */
  bitExact: { matched: number; total: number };
  outputs: OutputAgreement[];
  /** for a classifier: accuracy, agreement and the confusion matrix; null otherwise */
  classes: ClassAgreement | null;
}

/** Inputs per float-model batch: bounds the memory tfjs holds at once. */
const FLOAT_BATCH = 64;

export async function compareWithOriginal(modelPath: string, options: OriginalComparisonOptions): Promise<OriginalComparison> {
  const progress = options.progress ?? (() => {});
  const graph = loadGraph(modelPath);
  if (graph.inputs.length !== 1) throw new TinyforgeError(`${modelPath}: --original compares models with one input (this one has ${graph.inputs.length})`);
  const input = graph.tensors[graph.inputs[0]!]!;
  const all = fitToInput(
    loadDataset(options.data, {
      labels: options.truthFile,
      inputShape: input.shape.slice(1),
      ...options.audio,
      parts: [options.split ?? 'validation'],
      model: { graph, label: basename(modelPath) },
    }),
    input.shape,
    input.name,
  );
  for (const note of all.notes ?? []) progress(note);
  const dataset = all.parts ? selectPart(all, options.split ?? 'validation') : all;
  progress(`running ${options.original} on ${dataset.count} inputs`);
  await useTrainingBackend();
  const float = await loadFloatModel(options.original);
  checkSameInterface(graph, float, modelPath, options.original);
  const originalOutputs = runOriginal(float, dataset);
  const quantized = Array.from({ length: dataset.count }, (_, i) => quantizeSample(graph, sample(dataset, i)));
  const target = loadTarget(options.target);
  let compiled: Float64Array[][];
  let bitExact: { matched: number; total: number };
  let board: string | null = null;
  if (target.firmware === 'host') {
    const report = await runModel(modelPath, { ...options, cases: quantized.map((bytes) => [bytes]) });
    compiled = report.cases.map((c) => c.outputs.map((values, o) => dequantizedOutput(graph, o, values)));
    bitExact = { matched: report.cases.filter((c) => c.matchesReference).length, total: report.cases.length };
  } else {
    compiled = [];
    const report = await validateModel(modelPath, {
      ...options,
      inputs: quantized.map((bytes, i) => ({ name: `${options.data}#${i}`, tensors: [bytes] })),
      onOutputs: (i, outputs) => (compiled[i] = outputs.map((bytes, o) => dequantizedOutputBytes(graph, o, bytes))),
    });
    bitExact = { matched: report.matched, total: report.total };
    board = report.board;
  }
  const outputs = graph.outputs.map((index, o) => {
    const tensor = graph.tensors[index]!;
    const elements = elementCount(tensor.shape);
    const a = new Float64Array(dataset.count * elements);
    const b = new Float64Array(dataset.count * elements);
    for (let i = 0; i < dataset.count; i++) {
      a.set(compiled[i]![o]!, i * elements);
      b.set(originalOutputs[i]![o]!, i * elements);
    }
    return { output: o, name: tensor.name, elements, ...outputDistances(a, b) };
  });
  return {
    model: modelPath,
    original: options.original,
    data: options.data,
    inputs: dataset.count,
    target: target.name,
    board,
    bitExact,
    outputs,
    classes: classesOf(graph, dataset, compiled, originalOutputs, options.classLabels),
  };
}

/** The classes figures when the model reads as a classifier: true classes, class names, or a softmax. */
function classesOf(
  graph: Graph,
  dataset: Dataset,
  compiled: Float64Array[][],
  original: Float32Array[][],
  classLabels: string[] | undefined,
): ClassAgreement | null {
  const count = elementCount(graph.tensors[graph.outputs[0]!]!.shape);
  const truth = dataset.labels?.kind === 'classes' ? dataset.labels.values : null;
  const labels = classLabels ?? (dataset.classNames?.length === count ? dataset.classNames : null);
  if (count < 2 || (!truth && !labels && !isSoftmaxOutput(graph))) return null;
  if (truth) {
    const outside = truth.findIndex((c) => c >= count);
    if (outside >= 0) throw new TinyforgeError(`${dataset.source}: input ${outside} is of class ${truth[outside]}; the model's output has ${count} classes`);
  }
  return classAgreement(
    compiled.map((outs) => outs[0]!),
    original.map((outs) => outs[0]!),
    count,
    truth,
    labels,
  );
}

function checkSameInterface(graph: Graph, float: Graph, modelPath: string, originalPath: string): void {
  const elements = (g: Graph, t: number) => elementCount(g.tensors[t]!.shape.slice(1));
  const floatInput = float.tensors[float.inputs[0]!]!;
  if (elements(float, float.inputs[0]!) !== elements(graph, graph.inputs[0]!))
    throw new TinyforgeError(
      `${originalPath}: input "${floatInput.name}" takes [${floatInput.shape.slice(1)}]; ${modelPath} takes [${graph.tensors[graph.inputs[0]!]!.shape.slice(1)}]`,
    );
  if (float.outputs.length !== graph.outputs.length)
    throw new TinyforgeError(`${originalPath}: ${float.outputs.length} outputs; ${modelPath} has ${graph.outputs.length}`);
  graph.outputs.forEach((t, o) => {
    if (elements(float, float.outputs[o]!) !== elements(graph, t))
      throw new TinyforgeError(
        `${originalPath}: output ${o} "${float.tensors[float.outputs[o]!]!.name}" has ${elements(float, float.outputs[o]!)} elements; ` +
          `${modelPath}'s "${graph.tensors[t]!.name}" has ${elements(graph, t)}`,
      );
  });
}

function sample(dataset: Dataset, i: number): Float32Array {
  const size = dataset.x.length / dataset.count;
  return dataset.x.subarray(i * size, (i + 1) * size);
}

/** The int8 model's input bytes for one float sample: quantized with its scale and zero point (a float input as it is). */
function quantizeSample(graph: Graph, values: Float32Array): Uint8Array {
  const t = graph.tensors[graph.inputs[0]!]!;
  if (t.dtype === 'float32') return new Uint8Array(Float32Array.from(values).buffer);
  return quantizeInput(graph, values);
}

/** The float model's outputs, per input, one array per output. */
function runOriginal(float: Graph, dataset: Dataset): Float32Array[][] {
  const shape = float.tensors[float.inputs[0]!]!.shape.slice(1);
  const size = dataset.x.length / dataset.count;
  const result: Float32Array[][] = [];
  for (let start = 0; start < dataset.count; start += FLOAT_BATCH) {
    const n = Math.min(FLOAT_BATCH, dataset.count - start);
    const x = tf.tensor(dataset.x.subarray(start * size, (start + n) * size), [n, ...shape]);
    const outs = runFloatGraph(float, [x]);
    const values = outs.map((t) => t.dataSync() as Float32Array);
    tf.dispose([x, ...outs]);
    for (let i = 0; i < n; i++) result.push(values.map((v) => v.slice((i * v.length) / n, ((i + 1) * v.length) / n)));
  }
  return result;
}
