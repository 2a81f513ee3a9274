// SPDX-License-Identifier: Apache-2.0
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
  accessSync,
  constants,
  statSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { TinyforgeError } from '../core/errors.ts';
import type { GeneratedFile } from '../core/codegen/generate.ts';

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

/** How many foreign entries a refusal names; the walk stops there (`-o /` must not read the whole disk). */
const FOREIGN_SHOWN = 3;

/**
 * The entries below `dir` that `isOurs` does not claim, as paths relative to it with forward slashes,
 * in directory order, at most `limit`: files and links by name, empty and unreadable folders as
 * `name/` (a user's empty folder is theirs; a folder that cannot be read may hold anything).
 */
function foreignEntries(dir: string, isOurs: (rel: string) => boolean, limit: number): string[] {
  const out: string[] = [];
  const rel = (path: string) => relative(dir, path).split(sep).join('/');
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      out.push(`${rel(d)}/`);
      return;
    }
    if (entries.length === 0 && d !== dir) out.push(`${rel(d)}/`);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (out.length >= limit) return;
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!isOurs(rel(path))) out.push(rel(path));
    }
  };
  walk(dir);
  return out.slice(0, limit);
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

/**
 * The first entries in `dir` tinyforge did not write there (by its marker; all of them when there is
 * no marker), at most `limit`: an empty list means the directory holds only tinyforge's output.
 */
export function foreignFiles(dir: string, limit = FOREIGN_SHOWN + 1): string[] {
  const marker = readMarker(dir);
  const ours = new Set([OUTPUT_MARKER, ...(marker?.files ?? [])]);
  return foreignEntries(dir, (f) => marker !== undefined && ours.has(f), limit);
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
  // a link to a folder is written through, never replaced by a folder of its own
  const target = resolveLink(resolve(outDir));
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
      const shown = foreign.slice(0, FOREIGN_SHOWN).join(', ') + (foreign.length > FOREIGN_SHOWN ? ', ...' : '');
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
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw new TinyforgeError(`${outDir}: could not write the output (${(e as Error).message.split('\n')[0]})`);
  }
  // Only our own earlier output (checked above: nothing foreign in it) or an empty directory is
  // replaced: moved aside, the new one renamed into place, then the old removed. A rename onto a
  // non-empty directory fails, so of two compiles into one folder at once exactly one succeeds.
  let old: string | undefined = join(parent, `.${basename(target)}.old-${process.pid}-${Date.now()}`);
  try {
    renameSync(target, old);
  } catch {
    old = undefined; // absent, or moved aside by another compile just now
  }
  try {
    renameSync(staging, target);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (old) {
      try {
        renameSync(old, target); // the earlier output back
      } catch {
        rmSync(old, { recursive: true, force: true }); // the other run's output is there now
      }
    }
    throw new TinyforgeError(
      `${outDir}: could not put the output in place; another tinyforge wrote it at the same moment? (${(e as Error).message.split('\n')[0]})`,
    );
  }
  if (old) rmSync(old, { recursive: true, force: true });
  return target;
}

/** `path` itself, or where it points when it is a symbolic link to a directory. */
function resolveLink(path: string): string {
  try {
    return lstatSync(path).isSymbolicLink() && statSync(path).isDirectory() ? realpathSync(path) : path;
  } catch {
    return path;
  }
}

/**
 * `--force` into a directory with other files, all or nothing: every file is first written whole
 * beside its final name (where a full disk or a permission strikes), and only when all are written
 * are they renamed over their names; a failure removes every temporary file and folder it made and
 * leaves the earlier files as they were.
 */
function writeIntoDirectory(outDir: string, target: string, files: GeneratedFile[]): void {
  const temps: { temp: string; path: string }[] = [];
  const madeDirs: string[] = [];
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  try {
    for (const f of files) {
      const path = join(target, f.name);
      // mkdirSync answers the first folder it had to make: removing it removes all it made
      const made = mkdirSync(dirname(path), { recursive: true });
      if (made !== undefined) madeDirs.push(made);
      const temp = join(dirname(path), `.${basename(path)}${suffix}`);
      temps.push({ temp, path });
      writeFileSync(temp, f.text);
    }
  } catch (e) {
    for (const { temp } of temps) rmSync(temp, { force: true });
    for (const d of madeDirs) rmSync(d, { recursive: true, force: true });
    throw new TinyforgeError(`${outDir}: could not write the output, nothing changed (${(e as Error).message.split('\n')[0]})`);
  }
  for (const { temp, path } of temps) renameSync(temp, path);
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
