// SPDX-License-Identifier: Apache-2.0
/**
 * Flashes images into an ESP32-family chip through its ROM serial loader: SYNC, identify the chip by
 * its magic word, attach the SPI flash, then per image FLASH_BEGIN (erases), FLASH_DATA blocks and a
 * SPI_FLASH_MD5 of what the flash now holds, compared with the image's own MD5. A block that meets
 * a corrupt answer or "invalid CRC" (damaged on the way) starts its image over from FLASH_BEGIN, a
 * bounded number of times (the ROM refuses a block's sequence number twice); one met by silence
 * waits for a late answer (a slow line), and ends the flash when none comes. Whatever fails, the error names the port and the
 * step, and the chip is not restarted.
 *
 * The chip must be in download mode (BOOT held at reset, or DTR/RTS wired as on devkits and pulsed by
 * the caller); images are what `idf.py build` writes (`imagesFromIdfBuild`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import type { Transport } from '../transport/transport.ts';
import {
  CHIP_MAGIC_REGISTER,
  ESP_ROM_ERRORS,
  EspCommand,
  EspRomClient,
  EspStatusError,
  ROM_FLASH_BLOCK,
  SYNC_DATA,
  chipFromMagic,
  espChecksum,
  words,
} from './rom_loader.ts';

export interface EspImage {
  /** flash offset */
  offset: number;
  data: Uint8Array;
  /** for messages: the file it came from */
  name: string;
}

export interface EspFlashOptions {
  /** the chip family expected (e.g. "ESP32-C3"); another one is refused */
  chip?: string;
  /** SYNC tries (default 10, 100 ms apart) */
  syncTries?: number;
  /** tries of one request or block (default 3) */
  tries?: number;
  /** per request; erase and MD5 get more, by size (default 3000 ms) */
  timeoutMs?: number;
  /**
   * the rate the chip takes bytes in, in baud (default 115200): a block's time on the line is
   * added to its timeout, so that a slow line is not taken for silence (a request sent again
   * while the first is still arriving desynchronises the ROM)
   */
  lineBaud?: number;
  /** the chip's flash size, told to the ROM (default 4 MiB) */
  flashBytes?: number;
  /** end download mode and run the new image (default true) */
  run?: boolean;
  progress?: (message: string) => void;
}

export interface EspFlashReport {
  port: string;
  chip: string;
  images: { offset: number; name: string; bytes: number; blocks: number; md5: string }[];
  /** requests and blocks that had to be sent again */
  retries: number;
  verified: true;
  elapsedMs: number;
}

/**
 * ROM errors that mean the request arrived damaged, or the answer did (a failure status with no
 * error code: a status byte flipped on the way): sending it again can succeed. Every request is
 * sent again on them, not only FLASH_DATA: a lying line damages any of them.
 */
const DAMAGED_IN_TRANSIT = new Set([0x00, 0x05, 0x07]);
/** FLASH_BEGIN's parameters carry no checksum: one damaged on the way can make the ROM fail to act on it */
const BEGIN_DAMAGED = new Set([...DAMAGED_IN_TRANSIT, 0x06]);
const ERASE_MS_PER_MIB = 30_000;
const MD5_MS_PER_MIB = 8_000;
/** a block met by silence waits this many times its timeout more for a late answer */
const SLOW_LINE_FACTOR = 2;

export async function flashEsp(transport: Transport, images: EspImage[], options: EspFlashOptions = {}): Promise<EspFlashReport> {
  const started = Date.now();
  const client = new EspRomClient(transport);
  const timeoutMs = options.timeoutMs ?? 3000;
  const tries = options.tries ?? 3;
  const lineBaud = options.lineBaud ?? 115200;
  /** the time `bytes` take on the line (10 bits each, SLIP escapes included at worst) */
  const lineMs = (bytes: number) => Math.ceil((2 * bytes * 10 * 1000) / lineBaud);
  let retries = 0;
  const onRetry = (step: string) => (why: string) => {
    retries++;
    options.progress?.(`${transport.name}: ${step}: ${why}; trying again`);
  };

  // The ROM answers a good SYNC several times; a lost first one costs a try.
  const syncTries = options.syncTries ?? 10;
  let synced = false;
  for (let attempt = 1; attempt <= syncTries && !synced; attempt++) {
    const answer = await client.exchange(EspCommand.SYNC, SYNC_DATA, 100 + lineMs(SYNC_DATA.length + 8));
    synced = !('problem' in answer) && answer.status === 0;
  }
  if (!synced) throw new TinyforgeError(`${transport.name}: SYNC: no answer from a ROM loader after ${syncTries} tries (is the chip in download mode?)`);

  // An answer's value carries no checksum: a word damaged on the way would name another chip (or
  // none), so the magic counts once two reads agree.
  const readMagic = async () =>
    (
      await client.command('READ_REG chip magic', EspCommand.READ_REG, words(CHIP_MAGIC_REGISTER), {
        timeoutMs,
        tries,
        retryOnErrors: DAMAGED_IN_TRANSIT,
        onRetry: onRetry('READ_REG'),
      })
    ).value >>> 0;
  let magic = await readMagic();
  for (let attempt = 1; attempt < tries + 2; attempt++) {
    const again = await readMagic();
    if (again === magic) break;
    onRetry('READ_REG')(`the chip magic read 0x${magic.toString(16)}, then 0x${again.toString(16)}`);
    magic = again;
    if (attempt === tries + 1) throw new TinyforgeError(`${transport.name}: READ_REG: the chip magic reads differently every time (a noisy line?)`);
  }
  const chip = chipFromMagic(magic);
  if (!chip) throw new TinyforgeError(`${transport.name}: READ_REG: unknown chip (magic 0x${magic.toString(16)})`);
  if (options.chip && options.chip.toUpperCase() !== chip) throw new TinyforgeError(`${transport.name}: the device is an ${chip}, not an ${options.chip}`);
  options.progress?.(`${transport.name}: ${chip} in download mode`);
  await client.command('SPI_ATTACH', EspCommand.SPI_ATTACH, words(0, 0), {
    timeoutMs,
    tries,
    retryOnErrors: DAMAGED_IN_TRANSIT,
    onRetry: onRetry('SPI_ATTACH'),
  });

  // The ROM's flash geometry (without it the ESP32's ROM refuses writes past its default size):
  // id 0, total size, 64 KiB block, 4 KiB sector, 256-byte page, status mask 0xffff.
  const flashBytes = options.flashBytes ?? 4 * 1024 * 1024;
  await client.command('SPI_SET_PARAMS', EspCommand.SPI_SET_PARAMS, words(0, flashBytes, 0x10000, 0x1000, 0x100, 0xffff), {
    timeoutMs,
    tries,
    retryOnErrors: DAMAGED_IN_TRANSIT,
    onRetry: onRetry('SPI_SET_PARAMS'),
  });

  let dataTimeoutMs = timeoutMs + lineMs(16 + ROM_FLASH_BLOCK + 8);
  let slowLine = false;
  const done: EspFlashReport['images'] = [];
  for (const image of [...images].sort((a, b) => a.offset - b.offset)) {
    const size = image.data.length;
    if (size === 0) throw new TinyforgeError(`${image.name}: empty image`);
    const blocks = Math.ceil(size / ROM_FLASH_BLOCK);
    const at = `0x${image.offset.toString(16)}`;
    const mib = size / (1024 * 1024);
    // the ESP32's ROM takes four words; later ROMs a fifth (encrypted write: 0), and refuse four
    const begin = chip === 'ESP32' ? words(size, blocks, ROM_FLASH_BLOCK, image.offset) : words(size, blocks, ROM_FLASH_BLOCK, image.offset, 0);
    // A block that failed is not sent again on its own: the ROM counts a block that failed its
    // checksum as received and refuses the same sequence number again ("received message is
    // invalid"), so the image starts over from FLASH_BEGIN, `tries` passes in all.
    for (let pass = 1; ; pass++) {
      await client.command(`FLASH_BEGIN ${image.name} at ${at}`, EspCommand.FLASH_BEGIN, begin, {
        timeoutMs: Math.max(timeoutMs, Math.ceil(ERASE_MS_PER_MIB * mib)),
        tries,
        retryOnErrors: BEGIN_DAMAGED,
        onRetry: onRetry('FLASH_BEGIN'),
      });
      let failed: { step: string; why: string } | undefined;
      for (let seq = 0; seq < blocks && !failed; seq++) {
        const block = new Uint8Array(ROM_FLASH_BLOCK).fill(0xff);
        block.set(image.data.subarray(seq * ROM_FLASH_BLOCK, (seq + 1) * ROM_FLASH_BLOCK));
        const payload = new Uint8Array(16 + ROM_FLASH_BLOCK);
        payload.set(words(ROM_FLASH_BLOCK, seq, 0, 0));
        payload.set(block, 16);
        const step = `FLASH_DATA ${image.name} block ${seq} of ${blocks}`;
        let answer = await client.exchange(EspCommand.FLASH_DATA, payload, dataTimeoutMs, espChecksum(block));
        if ('problem' in answer && answer.problem.startsWith('no answer')) {
          // A line slower than assumed: the block may still be arriving. Its answer, if it comes
          // late, counts, and the blocks after it get the time this one took. A chip silent that
          // long as well is gone: sending more would only wait longer.
          const waitedMs = dataTimeoutMs;
          const late = await client.awaitAnswer(EspCommand.FLASH_DATA, SLOW_LINE_FACTOR * waitedMs);
          if ('problem' in late)
            throw new TinyforgeError(`${transport.name}: ${step}: no answer within ${waitedMs} ms, nor in the ${SLOW_LINE_FACTOR * waitedMs} ms after`);
          if (!slowLine) {
            slowLine = true;
            dataTimeoutMs *= SLOW_LINE_FACTOR + 1;
            options.progress?.(`${transport.name}: ${step}: the answer came after ${waitedMs} ms: a slow line, waiting up to ${dataTimeoutMs} ms a block`);
          }
          answer = late;
        }
        if ('problem' in answer) failed = { step, why: answer.problem };
        else if (answer.status !== 0) {
          const why = `the ROM loader answered: ${ESP_ROM_ERRORS[answer.error] ?? `error 0x${answer.error.toString(16)}`}`;
          if (!DAMAGED_IN_TRANSIT.has(answer.error)) throw new EspStatusError(`${transport.name}: ${step}: ${why}`, answer.error);
          failed = { step, why };
        } else options.progress?.(`${transport.name}: ${image.name}: block ${seq + 1}/${blocks}`);
      }
      if (!failed) break;
      if (pass >= tries) throw new TinyforgeError(`${transport.name}: ${failed.step}: ${failed.why} after ${tries} tries`);
      onRetry(failed.step)(`${failed.why}; the image starts over`);
    }
    const expected = await verifyImage({ client, port: transport.name, timeoutMs, tries, onRetry }, image);
    done.push({ offset: image.offset, name: image.name, bytes: size, blocks, md5: expected });
  }

  if (options.run ?? true) {
    // FLASH_END with 0: leave download mode and reboot into the new image; the chip may reset
    // before its answer is out, so silence here is not an error.
    await client.exchange(EspCommand.FLASH_END, words(0), 500);
  }
  return { port: transport.name, chip, images: done, retries, verified: true, elapsedMs: Date.now() - started };
}

/** What each ROM request of one flashing is sent with: the client on the port, the timeout and tries, the retry counter. */
interface RomSession {
  client: EspRomClient;
  port: string;
  timeoutMs: number;
  tries: number;
  onRetry: (step: string) => (why: string) => void;
}

/** The image's MD5 once the flash's MD5 of its bytes equals it; throws where the flash holds other bytes. */
async function verifyImage(session: RomSession, image: EspImage): Promise<string> {
  const { client, timeoutMs, tries, onRetry } = session;
  const size = image.data.length;
  const at = `0x${image.offset.toString(16)}`;
  const mib = size / (1024 * 1024);
  const expected = createHash('md5').update(image.data).digest('hex');
  const readMd5 = async () => {
    const md5 = await client.command(`SPI_FLASH_MD5 ${image.name} at ${at}`, EspCommand.SPI_FLASH_MD5, words(image.offset, size, 0, 0), {
      timeoutMs: Math.max(timeoutMs, Math.ceil(MD5_MS_PER_MIB * mib)),
      tries,
      retryOnErrors: DAMAGED_IN_TRANSIT,
      onRetry: onRetry('SPI_FLASH_MD5'),
    });
    return new TextDecoder().decode(md5.data).toLowerCase();
  };
  // The answer carries no checksum: an MD5 that differs is read again, so that one damaged on the
  // way back is told apart from flash that holds other bytes (the same wrong MD5 twice).
  let got = await readMd5();
  for (let attempt = 1; got !== expected && attempt <= tries; attempt++) {
    const again = await readMd5();
    if (again !== expected && again === got) break;
    if (again !== expected) onRetry('SPI_FLASH_MD5')(`the MD5 read ${got}, then ${again}`);
    got = again;
  }
  if (got !== expected) {
    throw new TinyforgeError(`${session.port}: verify ${image.name} at ${at}: the flash holds MD5 ${got || '(none)'}, the image has ${expected}`);
  }
  return expected;
}

/**
 * The images of an ESP-IDF build folder, from the flasher_args.json that `idf.py build` writes
 * ({"flash_files": {"0x0": "bootloader/bootloader.bin", ...}, "extra_esptool_args": {"chip": ...}}).
 */
export function imagesFromIdfBuild(buildDir: string): { chip: string | undefined; images: EspImage[] } {
  const file = join(buildDir, 'flasher_args.json');
  if (!existsSync(file)) throw new TinyforgeError(`${buildDir}: no flasher_args.json (run idf.py build in the project first)`);
  let args: { flash_files?: Record<string, string>; extra_esptool_args?: { chip?: string } };
  try {
    args = JSON.parse(readFileSync(file, 'utf8')) as typeof args;
  } catch (e) {
    throw new TinyforgeError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const files = Object.entries(args.flash_files ?? {});
  if (files.length === 0) throw new TinyforgeError(`${file}: no flash_files`);
  const images = files.map(([offset, path]) => {
    const full = join(buildDir, path);
    if (!/^0x[0-9a-f]+$/i.test(offset)) throw new TinyforgeError(`${file}: flash offset ${JSON.stringify(offset)} is not a hex number`);
    if (!existsSync(full)) throw new TinyforgeError(`${file}: ${path} does not exist`);
    return { offset: parseInt(offset, 16), data: new Uint8Array(readFileSync(full)), name: path };
  });
  const chip = args.extra_esptool_args?.chip?.toUpperCase().replace(/^ESP32(?=[A-Z])/, 'ESP32-');
  return { chip, images };
}
