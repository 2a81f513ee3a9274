// SPDX-License-Identifier: Apache-2.0
/**
 * tinyforge as a user installs it: `npm run build`, `npm pack`, and the tarball unpacked into a
 * scratch `node_modules/tinyforge`, so what the tests import is exactly what the package ships
 * (a file missing from `files` fails here, not on a user's machine). The package's own dependencies
 * are the project's (its `node_modules` links to ours). Built and packed once per test process: the
 * build is the slow part (tsc over src/) and every test that needs the package shares it; the
 * checkout's dist/ is used instead when it is current (`npm test` builds it first). The build
 * runs in a scratch copy of the checkout (what `npm pack` reads: package.json, the sources, scripts,
 * the `files` folders), never in the checkout itself: where test files run in two processes at once
 * (`npm test`'s two shards, mocha --parallel), the other one's CLI runs the checkout's dist/, which a
 * build there would remove midway.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './cli.ts';
import { distIsCurrent } from '../../scripts/dist-sources.mjs';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

export interface PackedFile {
  path: string;
  size: number;
}

/** `npm pack --json`'s report of the tarball. */
export interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

export interface InstalledPackage {
  /** the scratch copy of the checkout where `npm run build` ran and `npm pack` packed (its dist/ is the package's) */
  checkoutDir: string;
  /** a scratch directory whose node_modules/tinyforge is the unpacked tarball: a user's project */
  projectDir: string;
  /** node_modules/tinyforge inside it */
  packageDir: string;
  pack: PackReport;
  /** how long `npm run build` took, ms (or the copy of the checkout's current dist/) */
  buildMs: number;
  /** the checkout's dist/ was current and copied instead of built again */
  reusedDist: boolean;
  cleanup: () => void;
}

let installed: InstalledPackage | undefined;

/** An environment for child processes without tsx's loader or a CI runner's NODE_OPTIONS: plain Node. */
export function plainNodeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, env: plainNodeEnv(), encoding: 'utf8', timeout: HANG_GUARD_MS });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (status ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** what the build and `npm pack` read from a checkout (dist/ aside, which the build makes) */
const CHECKOUT_ENTRIES = [
  'package.json',
  'README.md',
  'LICENSE',
  'tsconfig.json',
  'tsconfig.build.json',
  'bin',
  'scripts',
  'src',
  'firmware',
  'targets',
  'templates',
  'docs',
];

/** Builds, packs and unpacks the package once; later calls return the same one. */
export function installedPackage(): InstalledPackage {
  if (installed) return installed;
  const projectDir = mkdtempSync(join(tmpdir(), 'tinyforge-installed-'));
  try {
    const checkoutDir = join(projectDir, 'checkout');
    for (const entry of CHECKOUT_ENTRIES) cpSync(join(PROJECT_ROOT, entry), join(checkoutDir, entry), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(checkoutDir, 'node_modules'));
    // `npm test`'s pretest has just run the same build script on these sources: its dist/, while
    // current (scripts/dist-sources.mjs), is what a build here would make; otherwise build here
    const reused = distIsCurrent(join(PROJECT_ROOT, 'src'), join(PROJECT_ROOT, 'dist'));
    const started = Date.now();
    if (reused) cpSync(join(PROJECT_ROOT, 'dist'), join(checkoutDir, 'dist'), { recursive: true });
    else run(process.execPath, [join(checkoutDir, 'scripts/build.mjs')], checkoutDir);
    const buildMs = Date.now() - started;
    // the build just ran: --ignore-scripts skips prepack's second one
    const [pack] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', projectDir], checkoutDir)) as PackReport[];
    mkdirSync(join(projectDir, 'node_modules'));
    run('tar', ['-xzf', join(projectDir, pack!.filename), '-C', projectDir], projectDir);
    const packageDir = join(projectDir, 'node_modules', 'tinyforge');
    renameSync(join(projectDir, 'package'), packageDir);
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(packageDir, 'node_modules'));
    const cleanup = () => {
      rmSync(projectDir, { recursive: true, force: true });
      installed = undefined;
    };
    installed = { checkoutDir, projectDir, packageDir, pack: pack!, buildMs, reusedDist: reused, cleanup };
    return installed;
  } catch (e) {
    rmSync(projectDir, { recursive: true, force: true });
    throw e;
  }
}
