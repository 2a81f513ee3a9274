// SPDX-License-Identifier: Apache-2.0
import { TinyforgeError } from '../errors.ts';
import type { EmulatorLink } from '../device/transport/qemu.ts';

/** `--link pty|stdio` of the commands that talk to a board. */
export function linkOption(value: string): EmulatorLink {
  if (value !== 'pty' && value !== 'stdio') throw new TinyforgeError(`--link must be pty or stdio, got '${value}'`);
  return value;
}
