// SPDX-License-Identifier: Apache-2.0
/**
 * Model files written to disk: `.tflite` (the bytes from core/model/tflite/writer.ts) and TensorFlow.js
 * layers models (`model.json` + `weights.bin`). The core makes the bytes; writing them is the lab's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
// types only: TF.js is optional and loaded where a layers model is saved; palettize saves a .tflite here without it
import type * as tf from '@tensorflow/tfjs';
import type { Graph } from '../core/ir/graph.ts';
import { isTinyforgeModel, writeTflite } from '../core/model/tflite/writer.ts';
import { writeFileAtomically } from './output.ts';

const WEIGHTS_FILE = 'weights.bin';

/**
 * Writes a `.tflite` atomically (a temporary sibling renamed into place). An existing file is
 * replaced only when it is a model tinyforge wrote (its description names tinyforge): a user's model
 * of the same name, or the input itself, is never overwritten.
 */
export function saveTflite(path: string, graph: Graph, description?: string): void {
  const given = description ?? graph.description;
  const marked = given ? (/tinyforge/.test(given) ? given : `${given} (written by tinyforge)`) : 'written by tinyforge';
  const bytes = writeTflite(graph, marked);
  writeFileAtomically(path, bytes, isTinyforgeModel);
}

/** An IOHandler that writes `model.json` and one `weights.bin` beside it. */
export function fileSaveHandler(path: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      const tf = await import('@tensorflow/tfjs');
      mkdirSync(dirname(path), { recursive: true });
      const weights = artifacts.weightData ? new Uint8Array(tf.io.concatenateArrayBuffers([artifacts.weightData].flat() as ArrayBuffer[])) : new Uint8Array(0);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'tinyforge',
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeFileSync(join(dirname(path), WEIGHTS_FILE), weights);
      writeFileSync(path, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Saves a tfjs layers model as `path` (a `model.json` path, or a folder to hold one). */
export async function saveLayersModelFile(model: tf.LayersModel, path: string): Promise<string> {
  const file = basename(path).endsWith('.json') ? path : join(path, 'model.json');
  await model.save(fileSaveHandler(file));
  return file;
}
