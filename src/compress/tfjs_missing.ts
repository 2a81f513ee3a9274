// SPDX-License-Identifier: Apache-2.0
/**
 * TensorFlow.js (~290 MB installed) is an optional dependency: the compiler, the runner and the
 * reports never load it, so `npm install tinyforge --omit=optional` stays small. The compression
 * commands load it on demand; where it is not installed they say in one line what to install.
 */
import { TinyforgeError } from '../core/errors.ts';

export const TFJS_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] as const;
export const TFJS_INSTALL = `npm install ${TFJS_PACKAGES.join(' ')}`;

/** Whether `e` is Node's failure to resolve one of the TF.js packages (not a missing file of ours). */
export function isTfjsMissing(e: unknown): boolean {
  if (!(e instanceof Error) || (e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return false;
  return /['"]@tensorflow\/tfjs[\w-]*['"]/.test(e.message);
}

export function tfjsMissingError(what: string): TinyforgeError {
  return new TinyforgeError(`${what} needs TensorFlow.js, an optional dependency that is not installed: ${TFJS_INSTALL}`);
}

/** Runs `load` (a dynamic import of code that uses TF.js), turning a missing TF.js into that one line. */
export async function withTfjs<T>(what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isTfjsMissing(e)) throw tfjsMissingError(what);
    throw e;
  }
}
