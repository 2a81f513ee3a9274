// SPDX-License-Identifier: Apache-2.0
/**
 * Finding a target's compiler beyond PATH: the folders its descriptor names (`toolchain.searchDirs`:
 * the reference-runtimes folder where a machine builds the ESP32 compilers, an ESP-IDF install), and
 * its labelled stand-in (`toolchain.fallback`) when the compiler is nowhere.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type BoardDescriptor, type EmulatorSpec, type TargetDescriptor, placeOnBoards } from '../../core/targets/targets.ts';
import { findTool } from './toolchain.ts';

export interface ResolvedCompiler {
  /** absolute path of the compiler */
  path: string;
  /** its command name: the target's `cc`, or the fallback's */
  name: string;
  /** the flags it compiles with: the target's, or the fallback's own */
  cflags: string[];
  /** null for the target's own compiler; for the stand-in, what a check with it proves and what not */
  fallback: string | null;
}

/** The reference-runtimes folder: $TINYFORGE_TFLM_TOOLS, else `tflm-tools/` beside the checkout. */
export function toolsFolder(env: NodeJS.ProcessEnv = process.env): string {
  return env.TINYFORGE_TFLM_TOOLS ? resolve(env.TINYFORGE_TFLM_TOOLS) : resolve(import.meta.dirname, '../../../../tflm-tools');
}

/** ESP-IDF's tools folder ($IDF_TOOLS_PATH, else ~/.espressif), where `install.sh` puts compilers under `tools/`. */
export function idfToolsFolder(env: NodeJS.ProcessEnv = process.env): string {
  return env.IDF_TOOLS_PATH ? resolve(env.IDF_TOOLS_PATH) : join(homedir(), '.espressif');
}

/** Numeric-aware descending order, so `esp-13.2.0_20230928` comes before `esp-12.2.0_20230208`. */
function newestFirst(a: string, b: string): number {
  return b.localeCompare(a, 'en', { numeric: true });
}

function directoryEntries(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => isDirectory(join(dir, name)))
      .sort(newestFirst);
  } catch {
    return [];
  }
}

/**
 * The existing folders a descriptor's `searchDirs` patterns name: `{tools}` and `{idf}` replaced,
 * each `*` segment expanded to the folders there (highest version first).
 */
export function expandSearchDirs(patterns: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  for (const pattern of patterns) {
    const expanded = pattern.replaceAll('{tools}', toolsFolder(env)).replaceAll('{idf}', idfToolsFolder(env));
    let found = [expanded.startsWith('/') ? '/' : ''];
    for (const segment of expanded.split('/').filter((s) => s !== '')) {
      found = found.flatMap((base) => (segment === '*' ? directoryEntries(base || '.').map((name) => join(base, name)) : [join(base, segment)]));
    }
    dirs.push(...found.filter(isDirectory));
  }
  return dirs;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** PATH followed by the target's own search folders, as a PATH value. */
export function toolchainPath(target: TargetDescriptor, env: NodeJS.ProcessEnv = process.env): string {
  return [env.PATH ?? '', ...expandSearchDirs(target.toolchain.searchDirs ?? [], env)].filter((d) => d !== '').join(delimiter);
}

/**
 * The target's compiler (on PATH, then in its search folders), else its labelled fallback, else a
 * TinyforgeError naming both installs.
 */
export function findCompiler(target: TargetDescriptor, env: NodeJS.ProcessEnv = process.env): ResolvedCompiler {
  const tc = target.toolchain;
  const path = toolchainPath(target, env);
  try {
    return { path: findTool(tc.cc, tc.install, { ...env, PATH: path }), name: tc.cc, cflags: [...tc.cflags], fallback: null };
  } catch (e) {
    if (!tc.fallback) throw e;
  }
  try {
    const fallbackPath = findTool(tc.fallback.cc, tc.fallback.install, env);
    return { path: fallbackPath, name: tc.fallback.cc, cflags: [...tc.fallback.cflags], fallback: tc.fallback.note };
  } catch {
    throw new TinyforgeError(
      `${tc.cc} not found (on PATH or in ${(tc.searchDirs ?? []).join(', ') || 'no other folder'}): install it with: ${tc.install}; or, for a compile check only, ${tc.fallback.cc}: ${tc.fallback.install}`,
    );
  }
}

/**
 * A board's emulator: in the emulator's own search folders, then on PATH (its folders first: a
 * distribution's build of the same name may lack the board's core); with `searchPath: false` in
 * its folders only.
 */
export function findEmulator(emulator: EmulatorSpec, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = expandSearchDirs(emulator.searchDirs ?? [], env);
  if (emulator.searchPath === false) {
    const found = dirs.map((d) => join(d, emulator.command)).find((p) => isExecutable(p));
    if (!found)
      throw new TinyforgeError(
        `${emulator.command} not found in ${(emulator.searchDirs ?? []).map((d) => d.replaceAll('{tools}', toolsFolder(env))).join(', ') || 'no folder'}: ${emulator.install}`,
      );
    return found;
  }
  const path = [...dirs, env.PATH ?? ''].filter((d) => d !== '').join(delimiter);
  return findTool(emulator.command, emulator.install, { ...env, PATH: path });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The emulated board that runs the code: `board`, or where its emulator is not installed and the
 * board names one (`otherwise`), that board, with a line saying so; a board whose emulator is
 * absent and has no other stays as it is (the run then says what is missing).
 */
export function installedBoard(
  target: TargetDescriptor,
  board: BoardDescriptor | undefined,
  progress?: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): BoardDescriptor | undefined {
  if (!board?.emulated || !board.emulator || board.emulator.inProcess || board.otherwise === undefined) return board;
  try {
    findEmulator(board.emulator, env);
    return board;
  } catch (e) {
    const other = target.boards.find((b) => b.name === board.otherwise);
    if (!other) return board;
    progress?.(`${board.name}: ${(e as Error).message.split(':')[0]}; ${other.name} runs the code instead`);
    return other;
  }
}

/** `placeOnBoards`, then without a port the board whose emulator is installed (`installedBoard`). */
export function placeOnInstalledBoards(
  target: TargetDescriptor,
  boardName: string | undefined,
  port: boolean,
  progress?: (message: string) => void,
): { runOn: BoardDescriptor | undefined; fitFor: BoardDescriptor | undefined } {
  const placed = placeOnBoards(target, boardName, port);
  if (port) return placed;
  const runOn = installedBoard(target, placed.runOn, progress);
  // a board named on the command line is the one the fit is for; an emulated default is replaced on both
  return { runOn, fitFor: placed.fitFor === placed.runOn ? runOn : placed.fitFor };
}
