// SPDX-License-Identifier: Apache-2.0
import { extname } from 'node:path';
import { TinyforgeError } from '../errors.ts';
import type { Graph } from '../ir/graph.ts';
import { type OnnxReadOptions, readOnnx } from './onnx/reader.ts';
import { readTflite } from './tflite/reader.ts';

/** The extensions of the model files tinyforge compiles. */
export const MODEL_EXTENSIONS = ['.tflite', '.onnx'] as const;

/** Whether a file is a model tinyforge compiles (a .tflite or .onnx), rather than a firmware image. */
export function isModelFile(file: string): boolean {
  return (MODEL_EXTENSIONS as readonly string[]).includes(extname(file).toLowerCase());
}

/** How a model file is read: for an ONNX model, the layout of its inputs and outputs (`onnxLayout`, default channels last). */
export interface LoadOptions {
  onnxLayout?: OnnxReadOptions['layout'];
  /** an ONNX model's graph inputs bound to constants: input name -> file (.pb, .npy or raw bytes) */
  bind?: OnnxReadOptions['bind'];
}

/** Reads a model file into the IR, by its extension. */
export function loadGraph(path: string, options: LoadOptions = {}): Graph {
  const ext = extname(path).toLowerCase();
  const bound = Object.keys(options.bind ?? {});
  if (ext === '.tflite') {
    if (bound.length > 0)
      throw new TinyforgeError(`${path}: --bind ${bound[0]}: binding inputs to constants is for ONNX models; a .tflite model's constants are in the file`);
    return readTflite(path);
  }
  if (ext === '.onnx') return readOnnx(path, { layout: options.onnxLayout, ...(bound.length > 0 ? { bind: options.bind } : {}) });
  // a TF.js model is float: the compression commands read it and write the int8 .tflite compiled here
  if (ext === '.json')
    throw new TinyforgeError(
      `${path}: a TensorFlow.js model (float) is quantized first: tinyforge quantize ${path} --data DATA -o ${path.replace(/\.json$/i, '')}_int8.tflite, then use that .tflite`,
    );
  throw new TinyforgeError(`${path}: unknown model format "${ext || '(no extension)'}" (expected .tflite or .onnx)`);
}
