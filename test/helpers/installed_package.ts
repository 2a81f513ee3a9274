// SPDX-License-Identifier: Apache-2.0
/**
 * tinyforge as a user installs it: `npm run build`, `npm pack`, and the tarball unpacked into a
 * scratch `node_modules/tinyforge`, so what the tests import is exactly what the package ships
 * (a file missing from `files` fails here, not on a user's machine). The package's own dependencies
 * are the project's (its `node_modules` links to ours). Built and packed once per test process: the
 * build is the slow part (tsc over src/) and every test that needs the package shares it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './cli.ts';

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
  /** a scratch directory whose node_modules/tinyforge is the unpacked tarball: a user's project */
  projectDir: string;
  /** node_modules/tinyforge inside it */
  packageDir: string;
  pack: PackReport;
  /** how long `npm run build` took, ms */
  buildMs: number;
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
  const r = spawnSync(command, args, { cwd, env: plainNodeEnv(), encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (status ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Builds, packs and unpacks the package once; later calls return the same one. */
export function installedPackage(): InstalledPackage {
  if (installed) return installed;
  const started = Date.now();
  run(process.execPath, [join(PROJECT_ROOT, 'scripts/build.mjs')], PROJECT_ROOT);
  const buildMs = Date.now() - started;
  const projectDir = mkdtempSync(join(tmpdir(), 'tinyforge-installed-'));
  try {
    // the build just ran: --ignore-scripts skips prepack's second one
    const [pack] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', projectDir], PROJECT_ROOT)) as PackReport[];
    mkdirSync(join(projectDir, 'node_modules'));
    run('tar', ['-xzf', join(projectDir, pack!.filename), '-C', projectDir], projectDir);
    const packageDir = join(projectDir, 'node_modules', 'tinyforge');
    renameSync(join(projectDir, 'package'), packageDir);
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(packageDir, 'node_modules'));
    const cleanup = () => {
      rmSync(projectDir, { recursive: true, force: true });
      installed = undefined;
    };
    installed = { projectDir, packageDir, pack: pack!, buildMs, cleanup };
    return installed;
  } catch (e) {
    rmSync(projectDir, { recursive: true, force: true });
    throw e;
  }
}
