// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run build`: the package as users install it. tsc emits dist/ (JavaScript + .d.ts, the
 * `.ts` import paths rewritten to `.js`); then the kernel sources the ops read at run time from
 * beside their code (templates `.hbs`, headers `.h`, C `.c`, assembly `.S`, found through
 * `import.meta.dirname`) are copied to the same place under dist/. Root assets (firmware/,
 * targets/, templates/) stay where they are: dist/build and dist/codegen reach them as ../../X,
 * exactly as src/ does. dist/ is removed first so no file of a deleted source survives. Last,
 * dist/.sources.json records when the build started, so a source checkout's bin/tinyforge.js runs
 * dist/ only while it is current (scripts/dist-sources.mjs).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { STAMP, distStamp } from './dist-sources.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const RUNTIME_ASSETS = new Set(['.hbs', '.h', '.c', '.S']);

const started = Date.now();
rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

let copied = 0;
for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !RUNTIME_ASSETS.has(extname(entry.name))) continue;
  const from = join(entry.parentPath, entry.name);
  const to = join(DIST, relative(SRC, from));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  copied++;
}
writeFileSync(join(DIST, STAMP), distStamp(SRC, started));
console.log(`built ${relative(process.cwd(), DIST) || '.'}: JavaScript and declarations, ${copied} kernel sources and templates`);
