// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro itself as the test oracle: `../shared/tools/tflm-ref` (reference kernels, the commit
 * of the goldens) runs any .tflite and writes its outputs, and with --layers every tensor. Test-only:
 * where `../shared/` is absent the caller skips with a notice; under CI=true its absence fails.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Graph } from '../../src/ir/graph.ts';
import { writeTflite } from '../../src/model/tflite/writer.ts';
import { concat } from '../../src/run/bytes.ts';
import { SHARED_DIR } from './shared.ts';

export const TFLM_REF = join(SHARED_DIR, 'tools', 'tflm-ref');

/** Whether tflm-ref is here; otherwise a visible skip (or a failure under CI=true). */
export function tflmRefAvailable(ctx?: Mocha.Context): boolean {
  if (existsSync(TFLM_REF)) return true;
  if (process.env.CI === 'true') throw new Error(`tflm-ref missing at ${TFLM_REF} (required under CI)`);
  console.warn(`  NOTICE: ${TFLM_REF} not found: skipping the checks against TensorFlow Lite Micro`);
  ctx?.skip();
  return false;
}

/** One tensor as tflm-ref's --layers index.json describes it. */
export interface TflmTensorInfo {
  index: number;
  name: string;
  type: string;
  shape: number[];
  scale: number;
  zero_point: number;
  bytes: number;
}

export interface TflmRun {
  /** outputs of every inference, each output tensor's bytes concatenated, one record per inference */
  outputs: Uint8Array;
  /** with `layers`: every tensor of subgraph 0 after the last inference */
  tensors?: { info: TflmTensorInfo; bytes: Uint8Array }[];
}

export class TflmRefError extends Error {}

export interface TflmOptions {
  /** also read every tensor after the last inference */
  layers?: boolean;
  /** reset variable tensors before every inference */
  resetEach?: boolean;
}

function args(modelPath: string, dir: string, hasInput: boolean, options: TflmOptions): string[] {
  const a = [modelPath, '--output', join(dir, 'out.bin')];
  if (hasInput) a.push('--input', join(dir, 'in.bin'));
  if (options.layers) a.push('--layers', join(dir, 'layers'));
  if (options.resetEach) a.push('--reset-each');
  return a;
}

function collect(dir: string, options: TflmOptions): TflmRun {
  const run: TflmRun = { outputs: new Uint8Array(readFileSync(join(dir, 'out.bin'))) };
  if (options.layers) {
    const index = JSON.parse(readFileSync(join(dir, 'layers', 'index.json'), 'utf8')) as TflmTensorInfo[];
    run.tensors = index.map((info) => ({ info, bytes: new Uint8Array(readFileSync(join(dir, 'layers', `${info.index}.bin`))) }));
  }
  return run;
}

function prepareDir(model: Uint8Array | string, input: Uint8Array | undefined, options: TflmOptions): { dir: string; modelPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-tflm-'));
  let modelPath = typeof model === 'string' ? model : join(dir, 'model.tflite');
  if (typeof model !== 'string') writeFileSync(modelPath, model);
  if (input) writeFileSync(join(dir, 'in.bin'), input);
  if (options.layers) mkdirSync(join(dir, 'layers'));
  return { dir, modelPath };
}

/** Runs a model (a path, or the bytes of a .tflite) on `input` (every inference's inputs concatenated). */
export function runTflmRef(model: Uint8Array | string, input?: Uint8Array, options: TflmOptions = {}): TflmRun {
  const { dir, modelPath } = prepareDir(model, input, options);
  try {
    try {
      execFileSync(TFLM_REF, args(modelPath, dir, input !== undefined, options), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    } catch (e) {
      throw new TflmRefError(`tflm-ref: ${((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).trim()}`);
    }
    return collect(dir, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same without blocking the event loop (the fuzzer runs it beside builds and emulators). */
export async function runTflmRefAsync(model: Uint8Array | string, input?: Uint8Array, options: TflmOptions = {}): Promise<TflmRun> {
  const { dir, modelPath } = prepareDir(model, input, options);
  try {
    try {
      await promisify(execFile)(TFLM_REF, args(modelPath, dir, input !== undefined, options), { timeout: 120_000, encoding: 'buffer' });
    } catch (e) {
      throw new TflmRefError(`tflm-ref: ${((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).trim()}`);
    }
    return collect(dir, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A graph written by our writer, run by TFLite Micro: the output tensors' bytes, one array each. */
export function tflmOutputs(graph: Graph, inputs: Uint8Array[]): Uint8Array[] {
  const input = concatBytes(inputs);
  const run = runTflmRef(writeTflite(graph), input.length > 0 ? input : undefined, { layers: true });
  const byIndex = new Map(run.tensors!.map((t) => [t.info.index, t.bytes]));
  return graph.outputs.map((o) => byIndex.get(o)!);
}

/** Byte arrays end to end (src/run/bytes.ts's concat, under the name the tests import). */
export const concatBytes = concat;
