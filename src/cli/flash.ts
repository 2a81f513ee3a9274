// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TinyforgeError } from '../errors.ts';
import { claimKeepDirectory } from '../run/device-build.ts';
import { stepReporter, stopActiveSteps } from './steps.ts';
import { type FlashFileResult, flashFile } from '../device/stm32/flash-file.ts';
import { type Rp2040FlashResult, flashRp2040 } from '../device/rp2040/flash-file.ts';
import { type EspFlashFileResult, flashEspFile } from '../device/esp/flash-file.ts';
import { type BoardDescriptor, resolveTargetAndBoard } from '../build/targets.ts';
import { isModelFile } from '../model/load.ts';
import { type PlanShapingFlags, planShaping, planShapingOptions, baudOption, requireSerialPort } from './device-options.ts';

function parseAddress(text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff)
    throw new TinyforgeError(`--address must be a 32-bit address such as 0x08000000, got '${text}'`);
  return value;
}

const hex32 = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

function describe(r: FlashFileResult): string {
  const f = r.flash;
  const lines = [
    `flashed ${r.image.source} (${r.image.bytes} bytes) to ${r.board ?? 'the board'} on ${r.port} through the AN3155 boot loader` +
      `${r.board ? ' (our loader on the emulated board)' : ''}`,
    `  boot loader v${f.bootloaderVersion >> 4}.${f.bootloaderVersion & 0xf}, product id 0x${f.productId.toString(16).padStart(4, '0')}; mass ${f.erase}`,
    `  ${f.blocks} blocks written and read back identical${f.retries ? ` (${f.retries} repeated)` : ''} in ${(f.elapsedMs / 1000).toFixed(1)} s`,
    f.started === null ? '  not started (--no-go)' : `  started at ${hex32(f.started)} (GO)`,
  ];
  if (r.application) {
    lines.push(
      r.application.answered
        ? `  the application answers: harness of model ${r.application.model}, build ${r.application.buildId}`
        : '  the application does not answer the device protocol (not a tinyforge harness?)',
    );
  }
  return lines.join('\n');
}

function describeRp2040(r: Rp2040FlashResult): string {
  const lines = [
    r.drive
      ? `flashed ${r.image.source} (${r.image.blocks} UF2 blocks) to ${r.board} through its BOOTSEL drive ${r.drive}; the board rebooted into it`
      : `loaded ${r.image.source} (${r.image.blocks} UF2 blocks) into the flash of ${r.board} and booted it`,
  ];
  // UF2 has no read-back: the drive going away is all the board says (docs/flashing.md)
  if (r.drive)
    lines.push(
      `  a UF2 copy cannot be read back: ${r.buildId ? `\`tinyforge run --port\` checks that the board answers with build ${r.buildId}` : 'the drive going away is all the board says'}`,
    );
  if (r.application) {
    lines.push(
      r.application.answered
        ? `  the application answers: harness of model ${r.application.model}, build ${r.application.buildId}`
        : '  the application does not answer the device protocol (not a tinyforge harness?)',
    );
  }
  return lines.join('\n');
}

function describeEsp(r: EspFlashFileResult): string {
  const f = r.flash;
  return [
    `flashed ${f.images.length} image${f.images.length === 1 ? '' : 's'} to the ${f.chip} on ${r.port} through its ROM loader, verified by MD5`,
    ...f.images.map((i) => `  ${hex32(i.offset)}  ${i.name} (${i.bytes} bytes, ${i.blocks} blocks) md5 ${i.md5}`),
    `  ${f.retries ? `${f.retries} requests repeated, ` : ''}${(f.elapsedMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

/**
 * A real board we build no firmware for: an image goes the way tinyforge can take it to that chip
 * (AN3155 to an STM32 on --port, the ROM loader to an ESP chip on --port), with no emulated board
 * named; anything else is refused with how the board is flashed instead.
 */
function realBoardWithoutFirmware(file: string, board: BoardDescriptor, opts: FlashCliOptions): undefined {
  const hardware = board.hardware!;
  const how = `${board.name} is flashed by ${hardware.flashing.method}: ${hardware.flashing.how}`;
  if (isModelFile(file) && hardware.flashing.method !== 'esp-rom-loader') {
    throw new TinyforgeError(
      `${file}: tinyforge builds no firmware for ${board.name} yet; compile --board ${board.name} gives the C for your own project, then flash its image (${how})`,
    );
  }
  const anStm32 = hardware.chip.startsWith('STM32');
  if (!opts.port || !(anStm32 || hardware.flashing.method === 'esp-rom-loader')) throw new TinyforgeError(`${how}; tinyforge does not do this yet`);
  return undefined;
}

interface FlashCliOptions extends PlanShapingFlags {
  target?: string;
  port?: string;
  board?: string;
  drive?: string;
  address?: string;
  baud: number;
  profile?: boolean;
  go: boolean;
  keep?: string;
  json?: boolean;
}

/** Picks the flashing path by target family: AN3155 for Cortex-M, UF2 for the RP2040, the ROM loader for ESP chips. */
async function flashByFamily(file: string, given: FlashCliOptions): Promise<{ json: unknown; text: string }> {
  let opts = given;
  const { target, board } = resolveTargetAndBoard(opts.target, opts.board);
  if (board && !board.emulated && board.hardware && board.linkerScript === undefined) opts = { ...opts, board: realBoardWithoutFirmware(file, board, opts) };
  const progress = stepReporter().step;
  // --keep builds into a folder: new, empty or an earlier --keep, never one of the user's
  if (opts.keep !== undefined) claimKeepDirectory(opts.keep);
  const address = opts.address === undefined ? undefined : parseAddress(opts.address);
  const shaped = opts.maxRam !== undefined || opts.maxFlash !== undefined || opts.patch !== undefined || opts.prefer !== undefined;
  if (shaped && (!isModelFile(file) || target.name.startsWith('esp32')))
    throw new TinyforgeError(
      `${file}: --max-ram, --max-flash, --patch and --prefer shape a model's build here; ${target.name.startsWith('esp32') ? 'ESP firmware is built by ESP-IDF (give them to compile --project esp-idf)' : 'an image is flashed as it is'}`,
    );
  if (target.firmware === 'rp2040') {
    if (opts.port) throw new TinyforgeError('an RP2040 is flashed through its BOOTSEL drive (--drive DIR), not a serial port: drop --port');
    if (address !== undefined) throw new TinyforgeError('--address is not used on the RP2040: a UF2 image carries its own addresses');
    const r = await flashRp2040({
      file,
      consoleBaud: opts.baud,
      target: target.name,
      board: opts.board,
      drive: opts.drive,
      profile: opts.profile,
      shaping: planShaping(opts),
      workDir: opts.keep,
      progress,
    });
    return { json: r, text: describeRp2040(r) };
  }
  if (opts.drive) throw new TinyforgeError(`--drive is for an RP2040 in BOOTSEL; ${target.name} is not one`);
  if (target.name.startsWith('esp32')) {
    if (!opts.port) throw new TinyforgeError(`flashing an ${target.name} needs --port (the chip in download mode: hold BOOT while pressing RESET)`);
    if (opts.board) throw new TinyforgeError(`--board: an ${target.name} is flashed only on a real chip, through --port`);
    const r = await flashEspFile({ file, target: target.name, port: opts.port, address, baudRate: opts.baud, flash: { run: opts.go }, progress });
    return { json: r, text: describeEsp(r) };
  }
  // a model is compiled and built before the port is opened: a mistyped port must not cost that
  if (opts.port) requireSerialPort(opts.port);
  const r = await flashFile({
    file,
    target: target.name,
    port: opts.port,
    board: opts.board,
    address,
    baudRate: opts.baud,
    consoleBaud: opts.baud,
    profile: opts.profile,
    shaping: planShaping(opts),
    workDir: opts.keep,
    flash: { noGo: !opts.go },
    progress,
  });
  return { json: r, text: describe(r) };
}

export function flashCommand(): Command {
  const command = new Command('flash')
    .description(
      'flash an image, or a model built into the harness firmware: STM32 boot loader (AN3155) for Cortex-M, UF2 to the BOOTSEL drive (or rp2040js) for the RP2040, ROM loader for ESP32 chips',
    )
    .argument(
      '[file]',
      'default: "model" of tinyforge.json; image (.elf, .bin, .hex; .uf2 for the RP2040; an ESP-IDF build folder or .bin for ESP32 chips) or model (.tflite: compiled and built first)',
    )
    .option('-t, --target <target>', "target (see `tinyforge targets`) (default: the --board's, else cortex-m4)")
    .option('-p, --port <port>', 'serial port of a real board in its boot loader (STM32: 8E1; ESP32: download mode)')
    .option(
      '-b, --board <board>',
      'a board (implies its target): the emulated one when no --port is given; rp2040: rp2040js, or pico (the default) for the BOOTSEL drive; a real STM32 board with --port: the image over AN3155',
    )
    .option('--drive <dir>', "rp2040: the BOOTSEL drive's mount point (default: the only RP2040 drive mounted)")
    .option(
      '--address <address>',
      "where a .bin goes (default: 0x08000000 on an STM32 port; the loader's application address on an emulated board; required for an ESP .bin)",
    )
    .option(
      '--baud <rate>',
      "the serial line's rate: the boot loader's link, and for a model the harness console's (run/profile/validate --port --baud must say the same; default 115200)",
      baudOption,
      115_200,
    )
    .option('--profile', 'for a model: build the profile variant of the harness (per-layer counters)');
  return planShapingOptions(command)
    .option('--no-go', 'write and verify, but do not start the image')
    .option('--keep <dir>', 'keep the generated sources and the build in this directory')
    .option('--json', 'print one JSON object on stdout')
    .action(async (file: string, opts: FlashCliOptions) => {
      const result = await flashByFamily(file, opts);
      stopActiveSteps();
      process.stdout.write(opts.json ? `${JSON.stringify(result.json)}\n` : `${result.text}\n`);
    });
}
