// SPDX-License-Identifier: Apache-2.0
/** Shared set-up of the build and device tests: fixture models, scratch directories, tool checks. */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { TinyforgeError } from '../../src/core/errors.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { skipAbsent } from '../helpers/absent.ts';

export const FAKE_MODEL_DIR = resolve(import.meta.dirname, 'fixtures/fake_model');
export const LOOP_MODEL_DIR = resolve(import.meta.dirname, '../device/fixtures/loop_model');

/** The fake model computes out[i] = in[i] ^ 0x5a over 16 bytes. */
export const FAKE_IO_BYTES = 16;
export const fakeModelExpected = (input: Uint8Array) => input.map((b) => b ^ 0x5a);

/** A fresh scratch directory removed by the returned cleanup. */
export function scratchDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tinyforge-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A copy of the fake model under `parent`, with `patch` applied to its model.c, for tests that need
 * a broken, hanging or faulting model.
 */
export function fakeModelVariant(parent: string, name: string, patch: (modelC: string) => string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(FAKE_MODEL_DIR)) copyFileSync(join(FAKE_MODEL_DIR, file), join(dir, file));
  const modelC = readFileSync(join(dir, 'model.c'), 'utf8');
  const patched = patch(modelC);
  if (patched === modelC) throw new Error(`variant ${name}: patch changed nothing`);
  writeFileSync(join(dir, 'model.c'), patched);
  return dir;
}

/** Inserts C statements at the start of the fake model's invoke function. */
export function atInvokeStart(statements: string): (modelC: string) => string {
  return (modelC) => modelC.replace('int tf_fake_xor_invoke(void) {', `int tf_fake_xor_invoke(void) {\n  ${statements}`);
}

/** The loop model's input: N as a little-endian uint32. */
export function loopCase(iterations: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, iterations, true);
  return bytes;
}

/**
 * Skips the test or suite with a notice line when a tool is missing on a user's machine; on the
 * project's own CI, where scripts/setup.sh installs them, a missing tool fails instead (absent.ts).
 */
export function requireTools(ctx: Mocha.Context, tools: string[]): void {
  for (const tool of tools) {
    try {
      findTool(tool, 'see README');
    } catch {
      skipAbsent(`${tool} not found`, 'skipping', ctx);
    }
  }
}

/** Runs `body` with PATH emptied, as on a machine without any toolchain. */
export async function withEmptyPath<T>(body: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = '';
  try {
    return await body();
  } finally {
    process.env.PATH = saved;
  }
}

/** Awaits `promise`, expecting a TinyforgeError whose one-line message matches `pattern`. */
export async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<TinyforgeError> {
  try {
    await promise;
  } catch (e) {
    expect(e).to.be.instanceOf(TinyforgeError);
    expect((e as Error).message).to.match(pattern);
    return e as TinyforgeError;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}
