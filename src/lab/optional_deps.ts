// SPDX-License-Identifier: Apache-2.0
/**
 * The optional dependencies (package.json's optionalDependencies): packages only some commands need,
 * so that `npm install --omit=optional` stays small. Each is loaded where it is used (a dynamic
 * import, or createRequire for a CommonJS package), never by a static import on a path every command
 * loads (test/layers.test.ts checks that). Where one is not installed, the command that needs it says
 * in one line what to install:
 *
 *   error: tinyforge quantize needs TensorFlow.js, an optional dependency that is not installed: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm
 */
import { TinyforgeError } from '../core/errors.ts';

export interface OptionalDependency {
  /** what the message calls it */
  name: string;
  /** what to install */
  packages: readonly string[];
  /** the packages whose absence means it is not installed (default: `packages`) */
  owns?: (pkg: string) => boolean;
}

/** The compression commands' training and float evaluation (~290 MB installed). */
export const TFJS: OptionalDependency = {
  name: 'TensorFlow.js',
  packages: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'],
  // any of its parts (tfjs-core, tfjs-layers, ...)
  owns: (pkg) => /^@tensorflow\/tfjs(-[\w-]+)?$/.test(pkg),
};
/** `compile --client`: the typed host client is written with it (it carries the TypeScript compiler). */
export const TS_MORPH: OptionalDependency = { name: 'ts-morph', packages: ['ts-morph'] };
/** The HTML report (`profile --html`, `report --html`, `farm sweep --html`) inlines its charts. */
export const CHART_JS: OptionalDependency = { name: 'Chart.js', packages: ['chart.js'] };
/** The board farm (`farm ...`, `--farm`): queues on Redis. */
export const BULLMQ: OptionalDependency = { name: 'BullMQ', packages: ['bullmq', 'ioredis'] };
/**
 * `validate --reference onnxruntime`: native ONNX Runtime's CPU execution provider (~45 MB installed
 * on Linux x64; its install script fetches only GPU parts, which `.npmrc`'s
 * `onnxruntime-node-install=skip` turns off).
 */
export const ONNX_RUNTIME: OptionalDependency = {
  name: 'ONNX Runtime',
  packages: ['onnxruntime-node'],
  owns: (pkg) => pkg === 'onnxruntime-node' || pkg === 'onnxruntime-common',
};

export const installLine = (dep: OptionalDependency) => `npm install ${dep.packages.join(' ')}`;

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || /^[a-z]+:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Whether `e` is Node's failure to find one of `dep`'s packages (ESM import or require), not a missing file of ours. */
export function isMissing(dep: OptionalDependency, e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const specifier = /Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1];
  const pkg = specifier !== undefined ? packageOf(specifier) : undefined;
  if (pkg === undefined) return false;
  return dep.owns ? dep.owns(pkg) : dep.packages.includes(pkg);
}

/** The one line: `what` (a command, `tinyforge quantize`) needs `dep`, and how to install it. */
export function missingError(dep: OptionalDependency, what: string): TinyforgeError {
  return new TinyforgeError(`${what} needs ${dep.name}, an optional dependency that is not installed: ${installLine(dep)}`);
}

/** What a failed load of `dep` throws: the one line where `dep` is absent, else the failure itself. */
function loadFailure(dep: OptionalDependency, what: string, e: unknown): unknown {
  return isMissing(dep, e) ? missingError(dep, what) : e;
}

/** Runs `load` (a dynamic import of `dep` or of code that imports it), turning its absence into the one line. */
export async function loadOptional<T>(dep: OptionalDependency, what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw loadFailure(dep, what, e);
  }
}

/** `loadOptional` for a synchronous load: a `createRequire(...)(name)` or `.resolve(name)`. */
export function requireOptional<T>(dep: OptionalDependency, what: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    throw loadFailure(dep, what, e);
  }
}
