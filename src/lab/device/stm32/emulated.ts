// SPDX-License-Identifier: Apache-2.0
/**
 * Flashing an emulated board the way a real STM32 is flashed: QEMU starts our AN3155 loader
 * (firmware/loader) paused, with the UART on a pseudo-terminal; the host opens it, lets QEMU run,
 * and flashes the application through the loader over the serial line (src/lab/device/stm32/flash.ts),
 * verifies it and sends GO. The board keeps running the application afterwards: the caller talks
 * to it on the same pseudo-terminal (`ptyPath`) and ends the emulator with `kill`.
 */
import { join } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import { findBoard } from '../../../core/targets/targets.ts';
import { findTool } from '../../toolchain/toolchain.ts';
import { type EmulatorExit, startQemu } from '../transport/qemu.ts';
import { type FlashOptions, type FlashReport, flashImage } from './flash.ts';
import type { FlashImage } from './image.ts';
import { buildLoader } from './loader-build.ts';
import { makeTempFolder, removeTempFolder } from '../../lifecycle.ts';

export interface EmulatedFlash {
  report: FlashReport;
  /** the board's UART, where the started application talks */
  ptyPath: string;
  /** settles when QEMU exits (the application ends it through semihosting) */
  exited: Promise<EmulatorExit>;
  /** what QEMU wrote on stderr so far */
  stderr(): string;
  /** ends QEMU at once; safe after it exited */
  kill(): void;
}

export async function flashEmulatedBoard(boardName: string, image: FlashImage, options: FlashOptions = {}): Promise<EmulatedFlash> {
  const { target, board } = findBoard(boardName);
  if (!board.emulated || !board.emulator) throw new TinyforgeError(`${board.name} is a real board: flash it with --port`);
  if (!board.loader) {
    throw new TinyforgeError(`${board.name} has no loader of ours: its image is loaded by the emulator (QEMU -kernel), not over the serial path`);
  }
  const region = target.memory!.flash;
  const appStart = region.origin + board.loader.flashOffset;
  const regionEnd = region.origin + region.bytes;
  for (const s of image.segments) {
    if (s.address < appStart || s.address + s.data.length > regionEnd) {
      throw new TinyforgeError(
        `${image.source}: bytes at 0x${s.address.toString(16)}..0x${(s.address + s.data.length).toString(16)} lie outside ${board.name}'s application region ` +
          `0x${appStart.toString(16)}..0x${regionEnd.toString(16)} (link the application with flashOffset ${board.loader.flashOffset})`,
      );
    }
  }
  const qemu = findTool(board.emulator.command, board.emulator.install);
  const workDir = makeTempFolder('loader');
  try {
    const loader = await buildLoader(target, board, workDir);
    const running = await startQemu(board, qemu, loader.elf, { link: 'pty' });
    // the pty transport is named "<pty path> (<board>)" (src/lab/device/transport/qemu.ts)
    const ptyPath = /^(\/dev\/\S+) \(/.exec(running.transport.name)?.[1];
    try {
      if (!ptyPath) throw new TinyforgeError(`${board.name}: QEMU did not name its pseudo-terminal`);
      const report = await flashImage(running.transport, image, options);
      // the application gets the line to itself: whoever talks to it next opens the pty anew
      await running.transport.close();
      return { report, ptyPath, exited: running.exited, stderr: running.stderr, kill: running.kill };
    } catch (e) {
      running.kill();
      await running.transport.close().catch(() => {});
      throw e;
    }
  } finally {
    removeTempFolder(workDir);
  }
}
