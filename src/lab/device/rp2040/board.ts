// SPDX-License-Identifier: Apache-2.0
/**
 * The `rp2040js` board as the device session sees an emulator: a transport on UART0, an exit, a kill.
 * The image is the UF2 file the build wrote beside the ELF (src/lab/toolchain/rp2040_image.ts): the file a
 * real Pico takes on its BOOTSEL drive is the one loaded into the emulated flash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import type { BoardDescriptor } from '../../../core/targets/targets.ts';
import type { RunningEmulator } from '../transport/qemu.ts';
import { type InstructionTracer, Rp2040Emulation } from './emulator.ts';

/** The UF2 image for a firmware path: the path itself if it is a .uf2, else firmware.uf2 beside the ELF. */
export function uf2ForFirmware(firmware: string): string {
  const uf2 = firmware.endsWith('.uf2') ? firmware : join(dirname(firmware), 'firmware.uf2');
  if (!existsSync(uf2)) throw new TinyforgeError(`${uf2}: no UF2 image (an RP2040 build writes firmware.uf2 beside firmware.elf)`);
  return uf2;
}

export function startRp2040js(board: BoardDescriptor, firmware: string, tracer: InstructionTracer | null = null): RunningEmulator {
  const uf2 = uf2ForFirmware(firmware);
  const emulation = Rp2040Emulation.start(new Uint8Array(readFileSync(uf2)), uf2, board.name, tracer);
  let problem = '';
  const exited = emulation.exit.then((exit) => {
    if (exit.status === null && exit.reason !== 'closed by the host') problem = exit.reason;
    return { code: exit.status, signal: null };
  });
  return {
    transport: emulation,
    exited,
    stderr: () => problem,
    kill: () => void emulation.close(),
  };
}
