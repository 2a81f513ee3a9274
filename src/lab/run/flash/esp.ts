// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash --target esp32|esp32s3|esp32c3 --port P`: an ESP-IDF build folder (what
 * `idf.py build` wrote: flasher_args.json names the images and their offsets) or one raw .bin at
 * `--address`, written through the chip's ROM serial loader (`flashEsp`). ESP firmware is built by
 * ESP-IDF on the user's machine, not here, so a model is refused with the way to get an image.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import { isModelFile } from '../../../core/model/load.ts';
import { loadTarget } from '../../../core/targets/targets.ts';
import { SerialTransport } from '../../device/transport/serial.ts';
import { type EspFlashOptions, type EspFlashReport, type EspImage, flashEsp, imagesFromIdfBuild } from '../../device/esp/flash.ts';

export interface EspFlashFileOptions {
  /** an ESP-IDF build folder, or a raw .bin (needs `address`) */
  file: string;
  target: string;
  port: string;
  address?: number;
  baudRate?: number;
  flash?: Omit<EspFlashOptions, 'chip' | 'progress'>;
  progress?: (message: string) => void;
}

export interface EspFlashFileResult {
  target: string;
  port: string;
  flash: EspFlashReport;
}

/** The ROM's name of the chip a target is for: esp32c3 → ESP32-C3. */
export function espChipOf(target: string): string {
  return target.toUpperCase().replace(/^ESP32(?=[A-Z])/, 'ESP32-');
}

export async function flashEspFile(options: EspFlashFileOptions): Promise<EspFlashFileResult> {
  const target = loadTarget(options.target);
  const chip = espChipOf(target.name);
  const images = espImages(options.file, options.address, chip);
  const transport = await SerialTransport.open(options.port, { baudRate: options.baudRate ?? 115200 });
  try {
    const flash = await flashEsp(transport, images, { ...options.flash, chip, progress: options.progress });
    return { target: target.name, port: options.port, flash };
  } finally {
    await transport.close();
  }
}

function espImages(file: string, address: number | undefined, chip: string): EspImage[] {
  const extension = extname(file).toLowerCase();
  if (isModelFile(file)) {
    throw new TinyforgeError(
      `${file}: ESP firmware is built by ESP-IDF, not here: \`tinyforge compile MODEL --project esp-idf -o DIR\`, run idf.py -C DIR/harness build (the device harness that run, profile and validate --port talk to; DIR itself is a starter app), then flash DIR/harness/build`,
    );
  }
  if (!existsSync(file)) throw new TinyforgeError(`${file}: no such file or folder`);
  if (statSync(file).isDirectory()) {
    if (address !== undefined)
      throw new TinyforgeError(`--address is for a raw .bin; ${file} is an ESP-IDF build folder whose flasher_args.json gives the offsets`);
    const build = imagesFromIdfBuild(file);
    if (build.chip && build.chip !== chip) throw new TinyforgeError(`${file}: the build is for an ${build.chip}, not an ${chip} (--target)`);
    return build.images;
  }
  if (extension !== '.bin') {
    throw new TinyforgeError(`${file}: an ESP chip takes an ESP-IDF build folder or a raw .bin with --address, not ${extension || 'a file without extension'}`);
  }
  if (address === undefined) throw new TinyforgeError(`${file}: a raw .bin needs --address (the flash offset, e.g. 0x10000 for the application)`);
  return [{ offset: address, data: new Uint8Array(readFileSync(file)), name: basename(file) }];
}
