import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, accessSync, constants, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TinyforgeError } from '../errors.ts';
import type { GeneratedFile } from './generate.ts';

/**
 * Writes a set of files as one directory, atomically: everything goes to a hidden sibling first and is
 * renamed into place only when complete, so a failure never leaves a half-written directory that looks
 * good. An existing directory of that name is replaced.
 */
export function writeDirectoryAtomically(outDir: string, files: GeneratedFile[]): string {
  const target = resolve(outDir);
  const parent = dirname(target);
  try {
    mkdirSync(parent, { recursive: true });
    accessSync(parent, constants.W_OK);
  } catch {
    throw new TinyforgeError(`${outDir}: cannot write the output directory (parent ${parent} is not writable)`);
  }
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new TinyforgeError(`${outDir}: exists and is not a directory`);
  }
  const staging = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(staging);
    for (const f of files) {
      const path = join(staging, f.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.text);
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw new TinyforgeError(`${outDir}: could not write the output (${(e as Error).message.split('\n')[0]})`);
  }
  return target;
}
