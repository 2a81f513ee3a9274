// SPDX-License-Identifier: Apache-2.0
/**
 * The float models compression starts from: a float `.tflite` (read by tinyforge's reader, kept in
 * TFLite layouts) or a TensorFlow.js layers model (`model.json` + weights, converted to the same float
 * Graph). And the figures a report gives for a model at any step: weights, MACs, activation memory.
 */
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, byteSize, cIdentifier, elementCount } from '../core/ir/graph.ts';
import { readOnnx } from '../core/model/onnx/reader.ts';
import { readTflite } from '../core/model/tflite/reader.ts';
import { loadLayersModelFile, modelJsonPath } from '../core/model/tfjs/io.ts';
import { type KernelIsa } from '../core/ops/op.ts';
import { executedMacs, prepareGraph } from '../core/ops/prepare.ts';
import { checkFloatGraph } from './float_executor.ts';
import { layersModelToFloatGraph } from './from_layers.ts';
import { checkFiniteWeights, weightedLayers } from './trainable.ts';
import { saveTflite } from '../lab/model_files.ts';
import { letSignalsIn } from '../lab/lifecycle.ts';

/** Loads a float model as a float Graph; an int8 model or NaN weights are refused. */
export async function loadFloatModel(path: string): Promise<Graph> {
  if (!existsSync(path)) throw new TinyforgeError(`${path}: no such file`);
  const isDir = statSync(path).isDirectory();
  let graph: Graph;
  if (!isDir && extname(path).toLowerCase() === '.tflite') {
    graph = readTflite(path);
    const int8 = graph.tensors.find((t) => t.dtype === 'int8' && !t.data);
    if (int8) throw new TinyforgeError(`${path}: already an int8 model (tensor ${int8.index} "${int8.name}" is int8); compression starts from a float model`);
    checkFloatGraph(graph);
    graph = { ...graph, name: cIdentifier(graph.name) };
  } else if (!isDir && extname(path).toLowerCase() === '.onnx') {
    // the .tflite written keeps the ONNX model's own input layout: calibration data comes in it
    graph = readOnnx(path, { layout: 'as-exported' });
    const quantized = graph.ops.find((op) => op.attrs.arithmetic === 'onnxruntime');
    if (quantized)
      throw new TinyforgeError(`${path}: already a quantized (QDQ) model (op ${quantized.index} ${quantized.kind}); compression starts from a float model`);
    checkFloatGraph(graph);
    graph = { ...graph, name: cIdentifier(graph.name) };
  } else if (isDir || extname(path).toLowerCase() === '.json') {
    const model = await loadLayersModelFile(modelJsonPath(path));
    graph = layersModelToFloatGraph(model, cIdentifier(model.name));
    model.dispose();
  } else {
    throw new TinyforgeError(
      `${path}: unknown model format "${extname(path) || '(no extension)'}" (expected a float .tflite or .onnx, or a TensorFlow.js model.json)`,
    );
  }
  checkFiniteWeights(graph, path);
  if (graph.inputs.length !== 1) throw new TinyforgeError(`${path}: compression supports models with one input (this one has ${graph.inputs.length})`);
  return graph;
}

/** Multiply-accumulates of one inference of a float graph (conv, depthwise, dense). */
export function floatMacs(graph: Graph): number {
  let macs = 0;
  for (const layer of weightedLayers(graph)) {
    const out = elementCount(graph.tensors[layer.op.outputs[0]!]!.shape);
    const w = graph.tensors[layer.weights]!.shape;
    // per output value: a filter's taps (kh·kw·in for conv, kh·kw for depthwise, in for dense)
    const perOutput = layer.op.kind === 'DEPTHWISE_CONV_2D' ? w[1]! * w[2]! : elementCount(w.slice(1));
    macs += out * perOutput;
  }
  return macs;
}

/**
 * Multiply-accumulates one inference of an int8 graph executes on a target of `isa`: each layer asks
 * the kernel chosen for it (a sparse kernel counts the nonzero weights it multiplies, not the dense
 * shape), so a kernel that skips work is counted as it runs.
 */
export function int8ExecutedMacs(graph: Graph, isa: KernelIsa | undefined): number {
  return prepareGraph(graph, graph.name, isa).layers.reduce((n, l) => n + executedMacs(l), 0);
}

/** Bytes of the constant tensors (weights, biases, shapes) as the graph stores them. */
export function constantBytes(graph: Graph): number {
  return graph.tensors.reduce((n, t) => n + (t.data ? t.data.length : 0), 0);
}

/**
 * Peak bytes of activations alive at once when the ops run in order (each tensor from its
 * producer to its last reader): the arena a simple planner would need for this graph's dtypes.
 */
export function activationPeakBytes(graph: Graph): number {
  const lastUse = new Map<number, number>();
  const born = new Map<number, number>();
  for (const i of graph.inputs) born.set(i, 0);
  graph.ops.forEach((op, at) => {
    for (const i of op.inputs) if (i >= 0 && !graph.tensors[i]!.data) lastUse.set(i, at);
    for (const o of op.outputs) born.set(o, at);
  });
  for (const o of graph.outputs) lastUse.set(o, graph.ops.length);
  let peak = 0;
  for (let at = 0; at < graph.ops.length; at++) {
    let live = 0;
    for (const [t, start] of born) if (start <= at && (lastUse.get(t) ?? start) >= at) live += byteSize(graph.tensors[t]!);
    peak = Math.max(peak, live);
  }
  return peak;
}

/**
 * Writes a model (float or int8) as `.tflite`; NaN weights are refused. A Ctrl-C that came during the
 * synchronous work before it is honoured first (letSignalsIn), so an interrupted command writes nothing.
 */
export async function writeModel(graph: Graph, path: string): Promise<void> {
  if (extname(path).toLowerCase() !== '.tflite') throw new TinyforgeError(`${path}: the output must be a .tflite file`);
  checkFiniteWeights(graph, path);
  await letSignalsIn();
  saveTflite(path, graph);
}
