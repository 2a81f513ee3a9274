// SPDX-License-Identifier: Apache-2.0
/**
 * Which C files a generated model ships: exactly those its layers' kernel variants declare
 * (`KernelVariant.cFiles`), the shared helpers of `src/core/ops/common/` whose names the emitted code
 * uses, and whatever those include (`#include "x.h"`), nothing else. Files are found by name under
 * `src/core/ops/`; names are unique there, because the output is one flat folder.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { IsaFamily } from '../ops/op.ts';
import { ISA_HEADERS, ISA_SELECTOR, familyFiles, isaHeader } from '../ops/common/isa/isa.ts';

export const OPS_DIR = resolve(import.meta.dirname, '../ops');
const C_FILE = /\.(h|c|S)$/;

export interface CFile {
  /** the file's name in the output folder */
  name: string;
  /** its path under src/core/ops */
  path: string;
  text: string;
}

let registry: Map<string, CFile> | undefined;

/** Every C file under src/core/ops by name (read once). */
function cFileRegistry(): Map<string, CFile> {
  if (registry) return registry;
  const files = new Map<string, CFile>();
  // op folders and common/'s rooms (common/numerics, common/isa, ...), at any depth
  for (const entry of readdirSync(OPS_DIR, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !C_FILE.test(entry.name)) continue;
    const path = relative(OPS_DIR, join(entry.parentPath, entry.name));
    if (!path.includes(sep)) continue;
    const clash = files.get(entry.name);
    if (clash) throw new Error(`internal: two C files named ${entry.name} (${clash.path}, ${path}); generated output is one folder`);
    files.set(entry.name, { name: entry.name, path, text: readFileSync(join(OPS_DIR, path), 'utf8') });
  }
  registry = files;
  return files;
}

/** The identifiers a shared header defines (functions, macros, types): how codegen sees it is used. */
function definedNames(text: string): string[] {
  const names = new Set<string>();
  // `static inline __attribute__((always_inline)) T f(`: the attribute is no function name
  const plain = text.replace(/__attribute__\s*\(\([^()]*(?:\([^()]*\)[^()]*)*\)\)/g, '');
  for (const m of plain.matchAll(/^\s*#\s*define\s+([A-Za-z_]\w*)/gm)) names.add(m[1]!);
  // static functions, inline or (sparse_dot.h) kept out of line on purpose
  for (const m of plain.matchAll(/^static\s+(?:inline\b)?[^(;=]*?\b([A-Za-z_]\w*)\s*\(/gm)) names.add(m[1]!);
  // `typedef struct { fields; } name;`: the name after the body, not the first field
  for (const m of plain.matchAll(/^typedef\b(?:[^;{]*\{[^}]*\})?[^;]*?\b([A-Za-z_]\w*)\s*;/gm)) names.add(m[1]!);
  // include guards say nothing about use
  return [...names].filter((n) => !/^TF_\w+_H$/.test(n));
}

const sharedIndex = new Map<IsaFamily, { file: CFile; uses: RegExp }[]>();

/**
 * The headers of common/ codegen ships when the code names them: every room's, but of common/isa/
 * only the target family's files (its header then stands for portable.h's names too, which it
 * includes).
 */
function sharedHeaders(family: IsaFamily): { file: CFile; uses: RegExp }[] {
  const known = sharedIndex.get(family);
  if (known) return known;
  const files = cFileRegistry();
  const isaDir = join('common', 'isa') + sep;
  const shippable = familyFiles(family);
  const headers = [...files.values()]
    .filter((f) => f.path.startsWith(`common${sep}`) && f.name.endsWith('.h'))
    .filter((f) => !f.path.startsWith(isaDir) || shippable.includes(f.name))
    .map((file) => {
      const names = definedNames(file.text);
      // the family header stands for the headers it includes (portable.h; MVE's also arm_dsp.h)
      if (file.name === ISA_HEADERS[family]) for (const dep of includedIsaHeaders(file, files)) names.push(...definedNames(dep.text));
      return { file, names };
    })
    .filter((h) => h.names.length > 0)
    .map(({ file, names }) => ({ file, uses: new RegExp(`\\b(?:${names.join('|')})\\b`) }));
  sharedIndex.set(family, headers);
  return headers;
}

/** The family headers (ISA_HEADERS) `file` includes, directly or through another. */
function includedIsaHeaders(file: CFile, files: Map<string, CFile>): CFile[] {
  const found = new Map<string, CFile>();
  const walk = (f: CFile) => {
    for (const name of includesOf(f)) {
      const dep = files.get(name);
      if (!dep || found.has(name) || !Object.values(ISA_HEADERS).includes(name)) continue;
      found.set(name, dep);
      walk(dep);
    }
  };
  walk(file);
  return [...found.values()];
}

function includesOf(file: CFile): string[] {
  return [...file.text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)].map((m) => basename(m[1]!));
}

/**
 * The files to ship for `declared` (paths relative to src/core/ops) and the emitted `code`, with their
 * includes, each after the files it includes; a kernel's `#include "isa.h"` becomes `family`'s header.
 * `roots` are the ones model.c includes itself.
 */
export function cFilesFor(declared: Iterable<string>, code: string, family: IsaFamily = 'portable'): { files: CFile[]; roots: string[] } {
  const files = cFileRegistry();
  const roots: string[] = [];
  for (const path of declared) {
    const name = basename(path);
    const file = files.get(name);
    if (!file || file.path !== join(...path.split('/'))) throw new Error(`internal: a kernel variant needs ${path}, which is not under src/core/ops`);
    if (!roots.includes(name)) roots.push(name);
  }
  for (const { file, uses } of sharedHeaders(family)) {
    if (!roots.includes(file.name) && uses.test(code)) roots.push(file.name);
  }
  const familyHeader = isaHeader(family);
  const ordered: CFile[] = [];
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    if (name === ISA_SELECTOR) name = familyHeader;
    if (seen.has(name)) return;
    const file = files.get(name);
    if (!file) throw new Error(`internal: ${from} includes "${name}", which is not under src/core/ops`);
    seen.add(name);
    const includes = includesOf(file);
    for (const dep of includes) visit(dep, file.path);
    ordered.push(includes.includes(ISA_SELECTOR) ? { ...file, text: file.text.replace(/^(\s*#\s*include\s+")isa\.h"/gm, `$1${familyHeader}"`) } : file);
  };
  for (const name of roots) visit(name, 'a kernel variant');
  return { files: ordered, roots: roots.filter((r) => r.endsWith('.h')) };
}
