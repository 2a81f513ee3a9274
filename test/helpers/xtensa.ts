// SPDX-License-Identifier: Apache-2.0
/**
 * Whether the ESP32 cores can run here: neither Espressif's compilers nor a qemu-system-xtensa with
 * the ESP32 cores is an apt package (docs/reference-runtimes.md builds them), so tests that need them
 * skip without them, CI included.
 */
import { execFileSync } from 'node:child_process';
import { boardOf, loadTarget } from '../../src/core/targets/targets.ts';
import { findEmulator, toolchainPath } from '../../src/lab/toolchain/compilers.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';

export const XTENSA_BOARD = 'qemu-xtensa-sim';

/** Why the Xtensa target cannot run here (its compiler, or an emulator with its core, is missing), or null. */
export function xtensaToolsMissing(targetName: string): string | null {
  const target = loadTarget(targetName);
  try {
    findTool(target.toolchain.cc, target.toolchain.install, { ...process.env, PATH: toolchainPath(target) });
  } catch {
    return `${target.toolchain.cc} not found`;
  }
  const emulator = boardOf(target, XTENSA_BOARD)!.emulator!;
  let qemu: string;
  try {
    qemu = findEmulator(emulator);
  } catch {
    return `${emulator.command} not found`;
  }
  const cpus = execFileSync(qemu, ['-M', 'sim', '-cpu', 'help'], { encoding: 'utf8' });
  return new RegExp(`^\\s*${targetName}\\b`, 'm').test(cpus) ? null : `${qemu} has no -cpu ${targetName}`;
}
