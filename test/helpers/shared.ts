// SPDX-License-Identifier: Apache-2.0
/**
 * The one way tests reach `../shared/` beside the project root (read-only test data, never copied
 * into the project): every path into it comes from a function here, and each of them skips the test
 * or hook that asks, with one notice line, where the shared models are absent (a user's clone); on
 * the project's own CI their absence fails instead (`absent.ts`). `test/hygiene.test.ts` fails on a
 * test file that reaches the folder any other way.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { skipAbsent } from './absent.ts';

const SHARED_MODELS = resolve(import.meta.dirname, '../../../shared/models');
const SHARED_DATA = resolve(import.meta.dirname, '../../../shared/data');

const NOT_FOUND = `${SHARED_MODELS} not found`;
const SKIPPED = 'skipping tests on the real models';

function present(): boolean {
  return existsSync(join(SHARED_MODELS, 'MANIFEST.md'));
}

/**
 * Whether the shared models are here; otherwise one notice line and a skip of `ctx`'s test or hook
 * (else of the one running), or a failure on the project's CI.
 */
export function sharedModelsAvailable(ctx?: Mocha.Context): boolean {
  if (present()) return true;
  skipAbsent(NOT_FOUND, SKIPPED, ctx);
  return false;
}

/**
 * A path under `../shared/models` (`sharedFile('zoo', 'audio', 'yes_1000ms.wav')`). Where the shared
 * models are absent it skips the running test or hook; at describe time (nothing running) it returns
 * the path unchecked, for a test to open later.
 */
export function sharedFile(...parts: string[]): string {
  if (!present()) skipAbsent(NOT_FOUND, SKIPPED);
  return join(SHARED_MODELS, ...parts);
}

/**
 * The names in a folder under `../shared/models`, sorted, for tests made per file at describe time:
 * none where the folder is absent (the suite's hook then skips with its notice).
 */
export function sharedListing(...parts: string[]): string[] {
  const dir = join(SHARED_MODELS, ...parts);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/**
 * A data set under `../shared/data` (`sharedDataSet('speech_commands')`): its path where its README.md
 * is there, else a skip of the running test or hook with one notice line (a failure on the project's CI).
 */
export function sharedDataSet(name: string): string {
  const dir = join(SHARED_DATA, name);
  if (!existsSync(join(dir, 'README.md'))) skipAbsent(`${dir} not found`, 'skipping tests on the shared data set', undefined);
  return dir;
}

export const SHARED_MODEL_NAMES = ['hello_world_int8', 'micro_speech', 'person_detect', 'simple_add', 'mnist_lstm_int8'] as const;

export function sharedModelPath(name: string): string {
  return sharedFile(`${name}.tflite`);
}

export interface GoldenCase {
  name: string;
  input: Uint8Array;
  output: Uint8Array;
  /** directory of per-tensor activations recorded for this case */
  activationsDir: string;
}

/** The golden cases of a shared model (`zoo/golden/NAME` for a zoo model: `goldenCases('tflm_x', 'zoo')`). */
export function goldenCases(model: string, ...under: string[]): GoldenCase[] {
  const dir = sharedFile(...under, 'golden', model);
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
