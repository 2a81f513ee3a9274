// SPDX-License-Identifier: Apache-2.0
/**
 * What dist/ is built from, and whether a built dist/ is still current: `scripts/build.mjs` writes
 * `dist/.sources.json` (when the build started and how many source files it saw), and
 * `bin/tinyforge.js` in a source checkout runs dist/ only while no file under src/ (tests aside) is
 * newer than that build and none was added or removed; otherwise it runs the TypeScript through tsx.
 * tsx costs about 2 s of CPU per launch (every module goes through its loader), which a suite that
 * starts the CLI hundreds of times pays in full.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP = '.sources.json';
/** the command line in one file under dist/ (scripts/build.mjs bundleCli), what bin/tinyforge.js runs */
export const CLI_BUNDLE = 'cli.cjs';

/** Every file under `srcDir` that dist/ is made from (tests are not). */
export function distSources(srcDir) {
  return readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The stamp a build started at `startedMs` writes, over the sources it saw. */
export function distStamp(srcDir, startedMs) {
  return `${JSON.stringify({ builtAtMs: startedMs, sources: distSources(srcDir).length })}\n`;
}

/** True when `distDir` was built from the sources now under `srcDir`. */
export function distIsCurrent(srcDir, distDir) {
  try {
    const stamp = JSON.parse(readFileSync(join(distDir, STAMP), 'utf8'));
    const files = distSources(srcDir);
    return files.length === stamp.sources && files.every((f) => statSync(f).mtimeMs < stamp.builtAtMs);
  } catch {
    return false;
  }
}
