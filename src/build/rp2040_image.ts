// SPDX-License-Identifier: Apache-2.0
/**
 * The last build step of an RP2040 image: the second stage's CRC32 goes into the ELF (the linker left
 * it zero), and the flash contents are written as a UF2 file beside it: the file a Pico takes on its
 * BOOTSEL drive and the one the emulated board (rp2040js) is loaded from.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { sealBoot2 } from '../device/rp2040/boot2.ts';
import { elfToUf2 } from '../device/rp2040/uf2.ts';
import type { TargetDescriptor } from './targets.ts';

export function finishRp2040Image(elf: string, target: TargetDescriptor): string {
  sealBoot2(elf);
  const flashBytes = target.memory?.flash.bytes ?? 2 * 1024 * 1024;
  const uf2 = join(dirname(elf), 'firmware.uf2');
  writeFileSync(uf2, elfToUf2(new Uint8Array(readFileSync(elf)), elf, flashBytes));
  return uf2;
}
