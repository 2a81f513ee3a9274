// SPDX-License-Identifier: Apache-2.0
/**
 * The one place that finds the reference runtimes: TensorFlow Lite Micro built on this machine,
 * never committed (docs/reference-runtimes.md says how to build them). Tests, `npm run fuzz`,
 * `npm run bench` and `npm run oracle:record` look here:
 *
 *   $TINYFORGE_TFLM_TOOLS            when set
 *   ../tflm-tools/                   beside the project checkout otherwise
 *
 * and under it `tflm-ref` (the oracle: reference kernels on the host), `tflm-cmsis-m4/run` (TFLite
 * Micro + CMSIS-NN on the emulated Cortex-M4, the yardstick), `tflm-cmsis-m0/run` (the same on
 * the RP2040 in rp2040js), `tflm-cmsis-m55/run` (the same with CMSIS-NN's MVE kernels on the
 * emulated Cortex-M55) and `esp-nn/<chip>/run` (esp-tflite-micro + ESP-NN on Espressif's QEMU). A runtime that is absent is a one-line notice and a skip, CI included.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The runtimes a test or a benchmark may ask for, by name, and where each lives in the tools folder. */
export const RUNTIMES = {
  'tflm-ref': 'tflm-ref',
  'tflm-cmsis-m4': join('tflm-cmsis-m4', 'run'),
  'tflm-cmsis-m4-elf': join('tflm-cmsis-m4', 'tflm_cmsis_m4.elf'),
  'tflm-cmsis-m0': join('tflm-cmsis-m0', 'run'),
  'tflm-cmsis-m55': join('tflm-cmsis-m55', 'run'),
  'esp-nn-esp32c3': join('esp-nn', 'esp32c3', 'run'),
  'esp-nn-esp32s3': join('esp-nn', 'esp32s3', 'run'),
  'esp-nn-esp32': join('esp-nn', 'esp32', 'run'),
} as const;

export type RuntimeName = keyof typeof RUNTIMES;

/** The folder the runtimes are looked for in (whether or not it exists). */
export function runtimesDir(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.TINYFORGE_TFLM_TOOLS;
  return set ? resolve(set) : resolve(import.meta.dirname, '..', '..', '..', 'tflm-tools');
}

/** Where runtime `name` is expected. */
export function runtimePath(name: RuntimeName, env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimesDir(env), RUNTIMES[name]);
}

/** Runtime `name`'s path when it is there, else undefined. */
export function findRuntime(name: RuntimeName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = runtimePath(name, env);
  return existsSync(path) ? path : undefined;
}

/** The one line printed when a runtime is absent: what is skipped and where it was looked for. */
export function missingRuntimeNotice(name: RuntimeName, skipped: string): string {
  return `NOTICE: ${name} not found at ${runtimePath(name)} (set TINYFORGE_TFLM_TOOLS, see docs/reference-runtimes.md): ${skipped}`;
}

/**
 * Whether runtime `name` is here; otherwise one notice line and, given a mocha context, a skip of
 * the test or hook (its suite's tests then count as skipped).
 */
export function requireRuntime(name: RuntimeName, skipped: string, ctx?: Mocha.Context): boolean {
  if (findRuntime(name)) return true;
  console.warn(`  ${missingRuntimeNotice(name, skipped)}`);
  ctx?.skip();
  return false;
}
