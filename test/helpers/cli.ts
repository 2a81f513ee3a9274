// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(PROJECT_ROOT, 'bin/tinyforge.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `tinyforge` executable as a user would. */
export function tinyforge(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? HANG_GUARD_MS,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Output as one line per item again: the terminal layout wraps long lines at 100 columns with an
 * indented continuation (src/face/report/layout.ts), which this joins back to its line.
 */
export function unwrapped(text: string): string {
  return text.replace(/\n {2,}(?=\S)/g, ' ');
}
