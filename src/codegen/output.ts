// SPDX-License-Identifier: Apache-2.0
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, accessSync, constants, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { TinyforgeError } from '../errors.ts';
import type { GeneratedFile } from './generate.ts';

/**
 * The marker tinyforge writes into every output directory: a JSON list of the files it wrote there.
 * An existing directory is only ever replaced when it holds this marker and nothing beyond the files
 * the marker lists, so tinyforge never deletes a file it did not create.
 */
export const OUTPUT_MARKER = '.tinyforge-output';

interface MarkerContents {
  tool: 'tinyforge';
  files: string[];
}

export interface WriteOutputOptions {
  /**
   * Write into a non-empty directory tinyforge did not create: the generated files are written
   * (replacing same-named files), everything else already there is left untouched.
   */
  force?: boolean;
}

/** Every file below `dir`, as paths relative to it with forward slashes. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

function readMarker(dir: string): MarkerContents | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, OUTPUT_MARKER), 'utf8')) as Partial<MarkerContents>;
    if (parsed.tool === 'tinyforge' && Array.isArray(parsed.files)) return { tool: 'tinyforge', files: parsed.files.map(String) };
  } catch {
    // no marker, or not ours
  }
  return undefined;
}

/** The files in `dir` tinyforge did not write there (by its marker); all of them when there is no marker. */
export function foreignFiles(dir: string): string[] {
  const marker = readMarker(dir);
  const ours = new Set([OUTPUT_MARKER, ...(marker?.files ?? [])]);
  return listFiles(dir).filter((f) => !marker || !ours.has(f));
}

function markerFile(files: GeneratedFile[]): GeneratedFile {
  const contents: MarkerContents = { tool: 'tinyforge', files: files.map((f) => f.name).sort() };
  return { name: OUTPUT_MARKER, text: `${JSON.stringify(contents, null, 1)}\n` };
}

/**
 * Writes a set of files as one directory, atomically: everything goes to a hidden sibling first and is
 * renamed into place only when complete, so a failure never leaves a half-written directory that looks
 * good. An existing directory is replaced only when it is empty or a previous tinyforge output holding
 * nothing but what tinyforge wrote (its marker says what); any other non-empty directory is refused,
 * or with `force` written into file by file, leaving what is already there.
 */
export function writeDirectoryAtomically(outDir: string, files: GeneratedFile[], options: WriteOutputOptions = {}): string {
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
  const withMarker = [...files.filter((f) => f.name !== OUTPUT_MARKER), markerFile(files)];
  const foreign = existsSync(target) ? foreignFiles(target) : [];
  if (foreign.length > 0) {
    if (!options.force) {
      const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, ... (${foreign.length} files)` : '');
      throw new TinyforgeError(
        `${outDir}: not empty and not a tinyforge output (holds ${shown}); pick an empty or new directory, or pass --force to write into it (nothing already there is deleted)`,
      );
    }
    writeIntoDirectory(outDir, target, withMarker);
    return target;
  }
  const staging = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(staging);
    for (const f of withMarker) {
      const path = join(staging, f.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.text);
    }
    // only our own earlier output (checked above: nothing foreign in it) or an empty directory goes
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw new TinyforgeError(`${outDir}: could not write the output (${(e as Error).message.split('\n')[0]})`);
  }
  return target;
}

/** `--force` into a directory with other files: each file written beside its final name, then renamed over it. */
function writeIntoDirectory(outDir: string, target: string, files: GeneratedFile[]): void {
  const written: string[] = [];
  try {
    for (const f of files) {
      const path = join(target, f.name);
      mkdirSync(dirname(path), { recursive: true });
      const temp = `${path}.tmp-${process.pid}`;
      writeFileSync(temp, f.text);
      written.push(temp);
      renameSync(temp, path);
      written.pop();
    }
  } catch (e) {
    for (const temp of written) rmSync(temp, { force: true });
    throw new TinyforgeError(`${outDir}: could not write the output (${(e as Error).message.split('\n')[0]})`);
  }
}

/**
 * Fails unless `path` is free or holds a file `isOurs` recognises as an earlier tinyforge output of
 * the same kind (an earlier report): a user's file of the same name is never overwritten. Commands
 * call it before their work, so a refusal costs nothing.
 */
export function assertReplaceable(path: string, isOurs: (existing: Uint8Array) => boolean): void {
  const target = resolve(path);
  if (!existsSync(target)) {
    if (!existsSync(dirname(target))) throw new TinyforgeError(`${path}: the folder ${dirname(target)} does not exist`);
    return;
  }
  let existing: Uint8Array;
  try {
    if (!statSync(target).isFile()) throw new Error('not a regular file');
    existing = readFileSync(target);
  } catch {
    throw new TinyforgeError(`${path}: exists and is not a file tinyforge wrote; pick another name`);
  }
  if (!isOurs(existing)) throw new TinyforgeError(`${path}: exists and is not a file tinyforge wrote; pick another name or remove it`);
}

/** Writes one file atomically: a temporary sibling renamed over it, after `assertReplaceable`. */
export function writeFileAtomically(path: string, text: string | Uint8Array, isOurs: (existing: Uint8Array) => boolean): void {
  assertReplaceable(path, isOurs);
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new TinyforgeError(`${path}: could not write it (${(e as Error).message.split('\n')[0]})`);
  }
}
