// SPDX-License-Identifier: Apache-2.0
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `../shared/` beside the project root: read-only test data, never copied into the project. */
export const SHARED_DIR = resolve(import.meta.dirname, '../../../shared');
export const SHARED_MODELS = join(SHARED_DIR, 'models');

/**
 * Whether the shared models are here. Where they are absent (a user's clone) the caller skips with a
 * visible notice; under CI (CI=true) their absence is a failure, never a silent skip.
 */
export function sharedModelsAvailable(ctx?: Mocha.Context): boolean {
  if (existsSync(join(SHARED_MODELS, 'MANIFEST.md'))) return true;
  if (process.env.CI === 'true') throw new Error(`shared models missing at ${SHARED_MODELS} (required under CI)`);
  console.warn(`  NOTICE: ${SHARED_MODELS} not found: skipping tests on the real models`);
  ctx?.skip();
  return false;
}

export const SHARED_MODEL_NAMES = ['hello_world_int8', 'micro_speech', 'person_detect', 'simple_add', 'mnist_lstm_int8'] as const;

export function sharedModelPath(name: string): string {
  return join(SHARED_MODELS, `${name}.tflite`);
}

export interface GoldenCase {
  name: string;
  input: Uint8Array;
  output: Uint8Array;
  /** directory of per-tensor activations recorded for this case */
  activationsDir: string;
}

export function goldenCases(model: string): GoldenCase[] {
  const dir = join(SHARED_MODELS, 'golden', model);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    cases: { name: string; input: string; output: string; activations: string }[];
  };
  return index.cases.map((c) => ({
    name: c.name,
    input: new Uint8Array(readFileSync(join(dir, c.input))),
    output: new Uint8Array(readFileSync(join(dir, c.output))),
    activationsDir: join(dir, c.activations),
  }));
}

/** The recorded bytes of tensor `index` in one golden case, or undefined if it was not recorded. */
export function goldenActivation(c: GoldenCase, index: number): Uint8Array | undefined {
  const file = join(c.activationsDir, `t${String(index).padStart(3, '0')}.bin`);
  return existsSync(file) ? new Uint8Array(readFileSync(file)) : undefined;
}
