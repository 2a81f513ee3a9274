// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run build`: the package as users install it. tsc emits dist/ (JavaScript + .d.ts, the
 * `.ts` import paths rewritten to `.js`); then the kernel sources the ops read at run time from
 * beside their code (templates `.hbs`, headers `.h`, C `.c`, assembly `.S`, found through
 * `import.meta.dirname`) are copied to the same place under dist/. Root assets (firmware/,
 * targets/, templates/) stay where they are: dist/build and dist/codegen reach them as ../../X,
 * exactly as src/ does. dist/ is removed first so no file of a deleted source survives. Then the
 * command line is bundled into one CommonJS file, dist/cli.cjs (bundleCli), which bin/tinyforge.js
 * runs. Last, dist/.sources.json records when the build started, so a source checkout's
 * bin/tinyforge.js runs dist/ only while it is current (scripts/dist-sources.mjs).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { CLI_BUNDLE, STAMP, distStamp } from './dist-sources.mjs';

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
await bundleCli();
writeFileSync(join(DIST, STAMP), distStamp(SRC, started));
console.log(`built ${relative(process.cwd(), DIST) || '.'}: JavaScript and declarations, ${copied} kernel sources and templates`);

/**
 * dist/cli.cjs: dist/face/cli/main.js and every module it reaches in one file, the packages left to
 * require(). Node's ESM loader takes ~0.5 s of CPU to link dist's ~800 modules on every launch
 * (`tinyforge --version` 0.7-0.9 s against 0.3-0.4 s bundled), which a script or test suite that starts the
 * command hundreds of times pays in full. CommonJS, not ESM: a package is then required where its
 * module's code first runs (tfjs by the compress commands alone), where a bundled ESM file would
 * import every package at start. Each module's `import.meta.dirname` (its kernel templates beside
 * it) and `import.meta.url` become its own path under dist/, found from the bundle's.
 */
async function bundleCli() {
  const meta = {
    name: 'module-paths',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, ({ path }) => {
        if (!path.startsWith(DIST + '/')) return undefined;
        const dir = JSON.stringify(relative(DIST, dirname(path)));
        const file = JSON.stringify(relative(DIST, path));
        const text = readFileSync(path, 'utf8')
          .replaceAll('import.meta.dirname', `__tfModulePath(${dir})`)
          .replaceAll('import.meta.url', `__tfModuleUrl(${file})`);
        return { contents: text, loader: 'js' };
      });
    },
  };
  await build({
    entryPoints: [join(DIST, 'face', 'cli', 'main.js')],
    outfile: join(DIST, CLI_BUNDLE),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    banner: {
      js: [
        "const __tfPath = require('node:path');",
        "const __tfModulePath = (rel) => __tfPath.join(__dirname, rel);",
        "const __tfModuleUrl = (rel) => require('node:url').pathToFileURL(__tfPath.join(__dirname, rel)).href;",
      ].join('\n'),
    },
    plugins: [meta],
  });
}
