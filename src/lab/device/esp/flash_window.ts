// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32's weights in flash, read through the data cache (DROM0, 0x3F400000), as an ESP32
 * application keeps its constants. The qemu-esp32 build links `.tf_weights` into that window
 * (firmware/xtensa/esp32-qemu.ld); its start-up maps the window's 64 KiB pages to the flash pages
 * from 2 MiB on (the image booted by the ROM sits below, at 0x1000) and turns the cache on
 * (firmware/xtensa/platform_xtensa.c, TF_ESP32_DROM_FLASH_PAGE). QEMU's ELF loader fills RAM
 * only: these helpers put the window's bytes in the emulated SPI flash file instead.
 */
import { TinyforgeError } from '../../../core/errors.ts';
import { readLoadSegments } from '../../toolchain/rp2040/elf.ts';
import { writeFlashFile } from './emulated.ts';
import type { EspImage } from './flash.ts';

/** The data cache's flash window and where its first page sits in flash (ESP32). */
export const ESP32_DROM = { base: 0x3f400000, bytes: 0x400000, flashOffset: 0x200000 } as const;

/** The emulated flash's size: the ESP32 devkits' 4 MiB. */
export const ESP32_FLASH_BYTES = 4 * 1024 * 1024;

/** An ELF's loadable bytes inside the DROM0 window, placed at their flash offsets. */
export function dromFlashImages(elf: Uint8Array, file: string): EspImage[] {
  return readLoadSegments(elf, file)
    .filter((s) => inDromWindow(s.virtualAddress))
    .map((s) => {
      const offset = ESP32_DROM.flashOffset + (s.virtualAddress - ESP32_DROM.base);
      if (offset + s.data.length > ESP32_FLASH_BYTES)
        throw new TinyforgeError(`${file}: ${s.data.length} bytes at 0x${s.virtualAddress.toString(16)} do not fit the ${ESP32_FLASH_BYTES >> 20} MiB flash`);
      return { offset, data: s.data, name: `drom@0x${s.virtualAddress.toString(16)}` };
    });
}

/** The app image's segments leave the DROM0 window out: the ROM loads RAM segments only. */
export function inDromWindow(address: number): boolean {
  return address >= ESP32_DROM.base && address < ESP32_DROM.base + ESP32_DROM.bytes;
}

/** Writes the flash file QEMU's `-drive file=F,if=mtd` reads: the ELF's DROM0 bytes, the rest erased. */
export function writeDromFlashFile(path: string, elf: Uint8Array, file: string, extra: readonly EspImage[] = []): void {
  writeFlashFile(path, ESP32_FLASH_BYTES, [...extra, ...dromFlashImages(elf, file)]);
}
