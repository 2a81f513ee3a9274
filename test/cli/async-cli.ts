// SPDX-License-Identifier: Apache-2.0
/**
 * The real CLI as a child process without blocking this event loop: the tests' fake devices
 * (ROM loader, BOOTSEL drive, an emulated board behind a pty) live in this process while it runs.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type CliResult, PROJECT_ROOT } from '../helpers/cli.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

export function tinyforgeAsync(args: string[], timeoutMs = HANG_GUARD_MS, cwd = PROJECT_ROOT): Promise<CliResult & { elapsedMs: number }> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'bin/tinyforge.js'), ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** The last line of stderr: where the CLI prints its one-line error. */
export const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
