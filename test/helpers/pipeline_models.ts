// SPDX-License-Identifier: Apache-2.0
/**
 * Stand-in pipeline models: a front-end (one int16 input of W samples, one int8 output of F features,
 * with state carried frame to frame as a real audio front-end's noise estimate is) and a classifier
 * whose int8 input holds K frames of F features. Any W, F, K; deterministic weights.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../src/core/ir/graph.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

export interface FrontEndSpec {
  window: number;
  features: number;
  /** a tensor name of the form `stride_<hop>`, as a front-end that says its hop */
  hopInName?: number;
  seed?: number;
}

/** int16 [1,W] -> QUANTIZE int8 -> FULLY_CONNECTED [F,W] -> ADD the previous frame's features (a variable) -> int8 [1,F]. */
export function standInFrontEnd(spec: FrontEndSpec): Graph {
  const rand = rng(spec.seed ?? 11);
  const { window: W, features: F } = spec;
  const b = new GraphBuilder('front_end');
  const samples = b.input({
    shape: [1, W],
    dtype: 'int16',
    q: { scale: 1 / 32768, zeroPoint: 0 },
    name: spec.hopInName ? `audio_stride_${spec.hopInName}` : 'audio',
  });
  const [q8] = b.op('QUANTIZE', [samples], [{ shape: [1, W], q: { scale: 1 / 256, zeroPoint: 0 }, name: 'audio_int8' }]);
  const w = b.constant({ shape: [F, W], q: { scale: 0.02, zeroPoint: 0 }, name: 'filterbank' }, randomInt8(rand, F * W, -127, 127));
  const bias = b.constant(
    { shape: [F], dtype: 'int32', name: 'filterbank_bias' },
    Int32Array.from({ length: F }, () => randomInt(rand, -200, 200)),
  );
  const featQ = { scale: 0.05, zeroPoint: -3 };
  const [now] = b.op('FULLY_CONNECTED', [q8!, w, bias], [{ shape: [1, F], q: featQ, name: 'energies' }], { activation: 'NONE', keepNumDims: false });
  const state = b.tensor({ shape: [1, F], q: featQ, variable: true, name: 'previous_energies' });
  const [past] = b.op('READ_VARIABLE', [state], [{ shape: [1, F], q: featQ, name: 'past' }]);
  const [out] = b.op('ADD', [now!, past!], [{ shape: [1, F], q: { scale: 0.08, zeroPoint: -10 }, name: 'features' }], { activation: 'NONE' });
  b.op('ASSIGN_VARIABLE', [state, now!], []);
  b.output(out!);
  return b.build();
}

/** int8 [1,K,F] -> RESHAPE [1,K*F] -> FULLY_CONNECTED -> SOFTMAX over `classes`. */
export function standInClassifier(frames: number, features: number, classes = 4, seed = 23): Graph {
  const rand = rng(seed);
  const n = frames * features;
  const b = new GraphBuilder('classifier');
  const x = b.input({ shape: [1, frames, features], q: { scale: 0.08, zeroPoint: -10 }, name: 'window' });
  const [flat] = b.op('RESHAPE', [x, b.ints([1, n])], [{ shape: [1, n], q: { scale: 0.08, zeroPoint: -10 }, name: 'flat' }], { newShape: [1, n] });
  const w = b.constant({ shape: [classes, n], q: { scale: 0.004, zeroPoint: 0 }, name: 'dense' }, randomInt8(rand, classes * n, -127, 127));
  const bias = b.constant(
    { shape: [classes], dtype: 'int32', name: 'dense_bias' },
    Int32Array.from({ length: classes }, () => randomInt(rand, -500, 500)),
  );
  const [logits] = b.op('FULLY_CONNECTED', [flat!, w, bias], [{ shape: [1, classes], q: { scale: 0.1, zeroPoint: 0 }, name: 'logits' }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  const [probs] = b.op('SOFTMAX', [logits!], [{ shape: [1, classes], q: { scale: 1 / 256, zeroPoint: -128 }, name: 'scores' }], { beta: 1 });
  b.output(probs!);
  return b.build();
}

/** Writes a graph as a .tflite file in `dir`; returns its path. */
export function writeModelFile(dir: string, name: string, graph: Graph): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.tflite`);
  writeFileSync(path, writeTflite({ ...graph, name }));
  return path;
}

/** A 16-bit PCM mono WAV of these samples. */
export function wavBytes(samples: Int16Array, sampleRate = 16000, channels = 1, bits = 16): Uint8Array {
  const data = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(44 + data.length);
  const v = new DataView(out.buffer);
  const tag = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  tag(0, 'RIFF');
  v.setUint32(4, 36 + data.length, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, (sampleRate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  tag(36, 'data');
  v.setUint32(40, data.length, true);
  out.set(data, 44);
  return out;
}

/** A deterministic clip: a chirp with noise, `n` samples. */
export function testClip(n: number, seed = 5): Int16Array {
  const rand = rng(seed);
  return Int16Array.from({ length: n }, (_, i) => Math.round(12000 * Math.sin((i * i) / 9000) + randomInt(rand, -2000, 2000)));
}
