// SPDX-License-Identifier: Apache-2.0
/**
 * Finding and running external tools (compilers, size, emulators). Tools are looked up on PATH
 * ourselves, so a missing one is a clear TinyforgeError with the install command, not a spawn ENOENT.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { DETACHED, trackChild } from '../lifecycle.ts';
import { HelperGone, helperWanted, spawnThroughHelper } from './spawner.ts';

/** Absolute path of `command` found on PATH, or a TinyforgeError telling how to install it. */
export function findTool(command: string, install: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = isAbsolute(command)
    ? [command]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next PATH entry
    }
  }
  throw new TinyforgeError(`${command} not found: install it with: ${install}`);
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a tool to completion and collects its output; never throws on a non-zero exit. The tool is
 * started by the small helper process of spawner.ts (this process's memory makes its own fork dear),
 * or by this process where the helper is turned off or stopped.
 */
export async function runTool(path: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  // LC_ALL=C: plain ASCII quotes and English messages, so errors read the same everywhere.
  const env = { ...process.env, LC_ALL: 'C' };
  if (helperWanted()) {
    try {
      return await spawnThroughHelper({
        path,
        args,
        env,
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    } catch (e) {
      if (!(e instanceof HelperGone)) throw new TinyforgeError(`cannot run ${path}: ${(e as Error).message}`);
    }
  }
  return runToolDirect(path, args, env, options);
}

/** runTool's tool started by this process. */
function runToolDirect(path: string, args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; timeoutMs?: number }): Promise<ToolResult> {
  return new Promise((resolvePromise, reject) => {
    const child = trackChild(spawn(path, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], ...DETACHED }));
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    }
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new TinyforgeError(`cannot run ${path}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/**
 * The lines of a compiler or linker log that say what went wrong: gcc's `error:` lines and the
 * linker's `undefined reference` lines, at most `limit` of them.
 */
export function firstErrorLines(log: string, limit = 3): string[] {
  const lines = log.split('\n').map((l) => l.trim());
  const errors = lines.filter((l) => /\berror\b|undefined reference|multiple definition|will not fit|overflowed by/i.test(l));
  return (errors.length > 0 ? errors : lines.filter((l) => l !== '')).slice(0, limit);
}

/**
 * Whether a generated model's file is a translation unit of its own: C, or preprocessed assembly
 * (`.S`: kernels written as assembly, which assemble to nothing on targets they are not for).
 */
export function isCompiledSource(name: string): boolean {
  return /\.(c|S)$/.test(name);
}

/** The object file's stem for a source: `x.c` -> `x`, `x.S` -> `x_S` (so x.c and x.S cannot clash). */
export function objectStem(name: string): string {
  return name.replace(/\.c$/, '').replace(/\.S$/, '_S');
}

/**
 * Added to the target's flags for the model's own units (not the harness): the generated C is ISO C99
 * (-Wpedantic: no _Static_assert, no statement expressions outside __extension__) and declares no
 * name over another (-Wshadow), so it drops into a firmware built with either.
 */
export const MODEL_STRICT_CFLAGS: readonly string[] = ['-Wpedantic', '-Wshadow'];
