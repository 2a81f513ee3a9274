// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';

/** The commands of a build.log (`$ cc ARGS` lines), as the compiler and its arguments. */
export function buildLogCommands(log: string): { cc: string; args: string[] }[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith('$ '))
    .map((l) => l.slice(2).split(' '))
    .map(([cc, ...args]) => ({ cc: cc!, args }));
}

/** Runs one command alone: its wall time in ms. */
export function timeCommand(cc: string, args: string[]): number {
  const t = performance.now();
  spawnSync(cc, args, { maxBuffer: 1 << 28 });
  return performance.now() - t;
}
