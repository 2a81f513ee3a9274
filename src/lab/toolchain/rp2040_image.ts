// SPDX-License-Identifier: Apache-2.0
/**
 * The last build step of an RP2040 image: the second stage's CRC32 goes into the ELF (the linker left
 * it zero), and the flash contents are written as a UF2 file beside it: the file a Pico takes on its
 * BOOTSEL drive and the one the emulated board (rp2040js) is loaded from.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { sealBoot2 } from './rp2040/boot2.ts';
import { RP2350_ARM_S_FAMILY_ID, elfToUf2 } from './rp2040/uf2.ts';
import type { BoardDescriptor, TargetDescriptor } from '../../core/targets/targets.ts';

export function finishRp2040Image(elf: string, target: TargetDescriptor): string {
  sealBoot2(elf);
  const flashBytes = target.memory?.flash.bytes ?? 2 * 1024 * 1024;
  const uf2 = join(dirname(elf), 'firmware.uf2');
  writeFileSync(uf2, elfToUf2(new Uint8Array(readFileSync(elf)), elf, flashBytes));
  return uf2;
}

/**
 * An RP2350 image (the Pico 2, on the cortex-m33 target): no second stage to seal (its boot ROM finds
 * the IMAGE_DEF block the linker put after the vectors); the flash contents as a UF2 with the RP2350
 * Arm Secure family id, the file its BOOTSEL drive takes.
 */
export function finishRp2350Image(elf: string, board: BoardDescriptor): string {
  const uf2 = join(dirname(elf), 'firmware.uf2');
  writeFileSync(uf2, elfToUf2(new Uint8Array(readFileSync(elf)), elf, board.hardware!.memory.flash[0]!.bytes, RP2350_ARM_S_FAMILY_ID));
  return uf2;
}

/** Whether the board is an RP2350 one (its image is finished by finishRp2350Image). */
export const isRp2350Board = (board: BoardDescriptor | undefined) => board?.hardware?.chip.startsWith('RP2350') === true;
