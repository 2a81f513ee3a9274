// SPDX-License-Identifier: Apache-2.0
/**
 * TensorFlow.js layers models on the filesystem (`model.json` + weight shards), as Keras models
 * converted for TF.js and `model.save` write them. tfjs's own `file://` handler lives in tfjs-node,
 * which cannot be installed here, so this is an IO handler of ours over `node:fs` (the saving one is
 * lab/model_files.ts: the core writes no files).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../../errors.ts';
import { readUserFile } from '../read_file.ts';

function readJson(path: string): tf.io.ModelJSON {
  const text = readUserFile(path, 'TensorFlow.js model (model.json)', 64 * 1024 * 1024).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TinyforgeError(`${path}: not a JSON file (${(e as Error).message.split('\n')[0]})`);
  }
  if (!json || typeof json !== 'object' || !('modelTopology' in json)) {
    throw new TinyforgeError(`${path}: not a TensorFlow.js model (no modelTopology)`);
  }
  return json as tf.io.ModelJSON;
}

/** An IOHandler that loads `model.json` and the weight files its manifest names (relative to it). */
export function fileLoadHandler(path: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = readJson(path);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const shard of group.paths) {
            const file = join(dirname(path), shard);
            if (!existsSync(file)) throw new TinyforgeError(`${path}: weight file ${shard} is missing (expected at ${file})`);
            const bytes = readUserFile(file, 'TensorFlow.js weight file');
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          }
          specs.push(...group.weights);
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** `model.json` itself, or the one inside a folder. */
export function modelJsonPath(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.json') : path;
}

/** Loads a tfjs layers model from `model.json` (or a folder holding one). */
export async function loadLayersModelFile(path: string): Promise<tf.LayersModel> {
  const file = modelJsonPath(path);
  if (!existsSync(file)) throw new TinyforgeError(`${file}: no such file`);
  try {
    return await tf.loadLayersModel(fileLoadHandler(file));
  } catch (e) {
    if (e instanceof TinyforgeError) throw e;
    throw new TinyforgeError(`${file}: cannot load the TensorFlow.js layers model (${(e as Error).message.split('\n')[0]})`);
  }
}
