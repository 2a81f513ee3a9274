// SPDX-License-Identifier: Apache-2.0
import { extname } from 'node:path';
import { TinyforgeError } from '../errors.ts';
import type { Graph } from '../ir/graph.ts';
import { readTflite } from './tflite/reader.ts';

/** Reads a model file into the IR, by its extension. */
/** Whether a file is a model tinyforge compiles (a .tflite), rather than a firmware image. */
export function isModelFile(file: string): boolean {
  return extname(file).toLowerCase() === '.tflite';
}

export function loadGraph(path: string): Graph {
  const ext = extname(path).toLowerCase();
  if (ext === '.tflite') return readTflite(path);
  throw new TinyforgeError(`${path}: unknown model format "${ext || '(no extension)'}" (expected .tflite)`);
}
