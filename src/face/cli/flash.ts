// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { claimKeepDirectory } from '../../lab/run/device-build.ts';
import { makeTempFolder, removeTempFolder } from '../../lab/lifecycle.ts';
import { basename } from 'node:path';
import { stepReporter, stopActiveSteps } from './steps.ts';
import { type FlashFileResult, buildModelImage, flashFile } from '../../lab/run/flash/stm32.ts';
import { type Rp2040FlashResult, flashRp2040, flashRp2350 } from '../../lab/run/flash/rp2040.ts';
import { isRp2350Board } from '../../lab/toolchain/rp2040_image.ts';
import { type EspFlashFileResult, flashEspFile } from '../../lab/run/flash/esp.ts';
import { type BoardDescriptor, buildsFirmware, listTargets, loadTarget, resolveTargetAndBoard } from '../../core/targets/targets.ts';
import { isModelFile } from '../../core/model/load.ts';
import { type SwdFlashReport, checkInFlash, flashSwd } from '../../lab/device/swd/flash.ts';
import { type OpenOcdReport, flashWithOpenOcd } from '../../lab/device/swd/openocd.ts';
import { PROBE_HELP, parseProbe } from '../../lab/device/swd/probe.ts';
import { swdChipOf } from '../../lab/device/swd/chips.ts';
import { loadImage } from '../../lab/device/stm32/image.ts';
import { type PlanShapingFlags, planShaping, planShapingOptions, baudOption, requireSerialPort } from './device-options.ts';
import { choiceFlagsGiven } from './choice-options.ts';
import { jsonLine } from '../report/json_document.ts';

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
      `${r.emulated ? ' (our loader on the emulated board)' : ''}`,
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
  const v = r.verification;
  const lines = [
    !r.drive
      ? `loaded ${r.image.source} (${r.image.blocks} UF2 blocks) into the flash of ${r.board} and booted it`
      : v
        ? `flashed and verified ${r.image.source} (${r.image.blocks} UF2 blocks) to ${r.board} through its BOOTSEL drive ${r.drive}`
        : `copied ${r.image.source} (${r.image.blocks} UF2 blocks) to the BOOTSEL drive ${r.drive}, not verified`,
  ];
  // UF2 has no read-back: the board is asked on its console which image it runs (docs/flashing.md)
  if (v)
    lines.push(
      `  the board answers on ${v.port} ${(v.answeredAfterMs / 1000).toFixed(1)} s after the reboot: build ${v.buildId} of model ${v.model}, image ${v.image.bytes} bytes with CRC 0x${v.image.crc.toString(16).padStart(8, '0')}, as copied`,
    );
  else if (r.drive)
    lines.push("  the drive went away, but a UF2 copy has no read-back: give --port (the board's console) to have the rebooted board report the image it runs");
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
  probe?: string;
  board?: string;
  drive?: string;
  address?: string;
  baud: number;
  profile?: boolean;
  go: boolean;
  keep?: string;
  json?: boolean;
}

interface SwdCliResult {
  board: string;
  chip: string;
  method: 'cmsis-dap' | 'openocd';
  image: { source: string; bytes?: number };
  /** the firmware build, when a model was given: `run --port` checks that the board answers with it */
  buildId?: string;
  flash: SwdFlashReport | OpenOcdReport;
}

function describeSwd(r: SwdCliResult): string {
  const f = r.flash;
  const through = r.method === 'openocd' ? `OpenOCD (${f.probe})` : `SWD through the CMSIS-DAP probe ${f.probe}`;
  const lines = [`flashed ${r.image.source}${r.image.bytes !== undefined ? ` (${r.image.bytes} bytes)` : ''} to ${r.board} (${r.chip}) by ${through}`];
  if ('pagesErased' in f)
    lines.push(
      `  ${f.pagesErased} page${f.pagesErased === 1 ? '' : 's'} erased, ${f.bytesWritten} bytes written and read back identical in ${(f.elapsedMs / 1000).toFixed(1)} s`,
    );
  else lines.push(`  OpenOCD${f.version ? ` ${f.version}` : ''} wrote it and reported it verified in ${(f.elapsedMs / 1000).toFixed(1)} s`);
  lines.push(f.started ? '  the core was reset into the image' : '  not started (--no-go): the core is left halted');
  if (r.buildId) lines.push(`  \`tinyforge run --port\` checks that the board answers with build ${r.buildId}`);
  return lines.join('\n');
}

/**
 * `--probe`: an image to a real board over SWD, through a CMSIS-DAP probe (USB or TCP) driving the
 * chip's flash controller, or through OpenOCD (ST-LINK, J-Link). The board descriptor's chip picks
 * the flash controller and the OpenOCD configuration (device/swd/chips.ts).
 */
async function flashOverSwd(
  file: string,
  opts: FlashCliOptions,
  progress: (m: string) => void,
  count: (d: number, t: number, w: string) => void,
): Promise<SwdCliResult> {
  const probe = parseProbe(opts.probe!);
  if (opts.port) throw new TinyforgeError('--probe and --port are two ways to reach a board: give one');
  if (opts.drive) throw new TinyforgeError('--probe and --drive are two ways to reach a board: give one');
  if (!isModelFile(file)) {
    const building = [
      ['--max-ram', opts.maxRam],
      ['--max-flash', opts.maxFlash],
      ['--patch', opts.patch],
      ['--prefer', opts.prefer],
      ['--profile', opts.profile],
      ['--keep', opts.keep],
    ]
      .filter(([, v]) => v !== undefined && v !== false)
      .map(([o]) => o as string);
    building.push(...choiceFlagsGiven(opts));
    if (building.length > 0) throw new TinyforgeError(`--probe flashes an image as it is: ${building.join(', ')} shape a model's build; drop them`);
  }
  if (opts.board === undefined) throw new TinyforgeError(`--probe needs --board: the real board it is wired to (${swdBoardNames().join(', ')})`);
  const { board } = resolveTargetAndBoard(opts.target, opts.board);
  if (!board || board.emulated || !board.hardware)
    throw new TinyforgeError(`--probe flashes a real board; ${opts.board} is emulated (${swdBoardNames().join(', ')} are flashed over SWD)`);
  const chip = swdChipOf(board.hardware.chip);
  if (!chip)
    throw new TinyforgeError(
      `--probe: tinyforge does not flash the ${board.hardware.chip} of ${board.name} over SWD; ${board.name} is flashed by ${board.hardware.flashing.method}: ${board.hardware.flashing.how}`,
    );
  if (isModelFile(file)) {
    if (!buildsFirmware(board))
      throw new TinyforgeError(
        `${file}: tinyforge builds no firmware for ${board.name} yet; compile --board ${board.name} gives the C for your own project, then flash its image with --probe`,
      );
    // a model: built into the harness firmware for the board, whose ELF goes over SWD
    if (opts.keep !== undefined) claimKeepDirectory(opts.keep);
    const workDir = opts.keep ?? makeTempFolder('flash');
    try {
      const { target } = resolveTargetAndBoard(opts.target, opts.board);
      const build = await buildModelImage(file, target, board, {
        shaping: planShaping(opts),
        profile: opts.profile,
        consoleBaud: opts.baud,
        workDir,
        progress,
      });
      const flashed = await flashOverSwd(
        build.elf,
        { ...opts, keep: undefined, profile: undefined, maxRam: undefined, maxFlash: undefined, patch: undefined, prefer: undefined },
        progress,
        count,
      );
      return { ...flashed, image: { ...flashed.image, source: `the harness firmware of ${basename(file)}` }, buildId: build.buildId };
    } finally {
      if (opts.keep === undefined) removeTempFolder(workDir);
    }
  }
  const flashRegion = board.hardware.memory.flash[0]!;
  const address = opts.address === undefined ? undefined : parseAddress(opts.address);
  if (probe.kind === 'openocd') {
    // OpenOCD reads the file itself; it is checked here so a typo is our one line, not OpenOCD's
    const image = loadImage(file, address ?? flashRegion.origin);
    checkInFlash(image, board.hardware.chip, flashRegion);
    const bin = /\.bin$/i.test(file);
    const flash = await flashWithOpenOcd({
      file,
      address: bin ? (address ?? flashRegion.origin) : undefined,
      config: chip.openocd,
      probe,
      board: board.name,
      noGo: !opts.go,
      progress,
    });
    return { board: board.name, chip: board.hardware.chip, method: 'openocd' as const, image: { source: file, bytes: image.bytes }, flash };
  }
  if (!chip.family)
    throw new TinyforgeError(
      `--probe ${opts.probe}: tinyforge drives the flash of the ${board.hardware.chip} through OpenOCD only (--probe openocd); its flash controller over CMSIS-DAP is not done yet`,
    );
  const image = loadImage(file, address ?? flashRegion.origin);
  const flash = await flashSwd(image, {
    probe,
    family: chip.family,
    chip: board.hardware.chip,
    flash: { origin: flashRegion.origin, bytes: flashRegion.bytes },
    noGo: !opts.go,
    progress,
    count,
  });
  return { board: board.name, chip: board.hardware.chip, method: 'cmsis-dap' as const, image: { source: file, bytes: image.bytes }, flash };
}

function swdBoardNames(): string[] {
  return listTargets().flatMap((t) =>
    loadTarget(t)
      .boards.filter((b) => b.hardware && swdChipOf(b.hardware.chip))
      .map((b) => b.name),
  );
}

/** Picks the flashing path by target family: AN3155 for Cortex-M, UF2 for the RP2040, the ROM loader for ESP chips. */
async function flashByFamily(file: string, given: FlashCliOptions): Promise<{ json: unknown; text: string }> {
  let opts = given;
  if (opts.probe !== undefined) {
    const reporter = stepReporter();
    const r = await flashOverSwd(file, opts, reporter.step, reporter.count);
    return { json: r, text: describeSwd(r) };
  }
  const { target, board } = resolveTargetAndBoard(opts.target, opts.board);
  if (board && isRp2350Board(board)) {
    if (opts.address !== undefined) throw new TinyforgeError('--address is not used on the RP2350: a UF2 image carries its own addresses');
    // --port: the board's console, asked after the reboot which image it runs (as on the RP2040)
    if (opts.port) requireSerialPort(opts.port);
    if (opts.keep !== undefined) claimKeepDirectory(opts.keep);
    const r = await flashRp2350({
      file,
      target,
      board,
      drive: opts.drive,
      port: opts.port,
      consoleBaud: opts.baud,
      profile: opts.profile,
      shaping: planShaping(opts),
      workDir: opts.keep,
      progress: stepReporter().step,
    });
    return { json: r, text: describeRp2040(r) };
  }
  if (board && !board.emulated && board.hardware && board.linkerScript === undefined) opts = { ...opts, board: realBoardWithoutFirmware(file, board, opts) };
  else if (board && !board.emulated && target.firmware === 'cortex-m' && !opts.port)
    throw new TinyforgeError(
      `${board.name} is a real board: flash it with --probe (openocd, cmsis-dap or tcp:HOST:PORT) or, an STM32 in its boot loader, --port; ${board.hardware!.flashing.how}`,
    );
  const progress = stepReporter().step;
  // --keep builds into a folder: new, empty or an earlier --keep, never one of the user's
  if (opts.keep !== undefined) claimKeepDirectory(opts.keep);
  const address = opts.address === undefined ? undefined : parseAddress(opts.address);
  const shaped =
    opts.maxRam !== undefined || opts.maxFlash !== undefined || opts.patch !== undefined || opts.prefer !== undefined || choiceFlagsGiven(opts).length > 0;
  if (shaped && (!isModelFile(file) || target.name.startsWith('esp32')))
    throw new TinyforgeError(
      `${file}: --max-ram, --max-flash, --patch, --prefer and the kernel-choice flags shape a model's build here; ${target.name.startsWith('esp32') ? 'ESP firmware is built by ESP-IDF (give them to compile --project esp-idf)' : 'an image is flashed as it is'}`,
    );
  if (target.firmware === 'rp2040') {
    if (address !== undefined) throw new TinyforgeError('--address is not used on the RP2040: a UF2 image carries its own addresses');
    // --port: the board's console (UART0 through a USB-serial adapter), asked after the reboot which image it runs
    if (opts.port) {
      if (opts.board && board?.emulated) throw new TinyforgeError(`--port: ${board.name} is emulated; the image is checked over its own UART`);
      requireSerialPort(opts.port);
    }
    const r = await flashRp2040({
      file,
      port: opts.port,
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
      'flash an image, or a model built into the harness firmware: STM32 boot loader (AN3155) for Cortex-M, UF2 to the BOOTSEL drive (or rp2040js) for the RP2040 and the Pico 2 (RP2350), checked with --port by the image CRC the board reports, ROM loader for ESP32 chips; an image to a real nRF52840 or STM32 board over SWD (--probe: a CMSIS-DAP probe, or OpenOCD for ST-LINK/J-Link)',
    )
    .argument(
      '[file]',
      'default: "model" of tinyforge.json; image (.elf, .bin, .hex; .uf2 for the RP2040; an ESP-IDF build folder or .bin for ESP32 chips) or model (.tflite or .onnx: compiled and built first)',
    )
    .option('-t, --target <target>', "target (see `tinyforge targets`) (default: the --board's, else cortex-m4)")
    .option(
      '-p, --port <port>',
      "serial port of a real board in its boot loader (STM32: 8E1; ESP32: download mode); RP2040 and Pico 2: the board's console, asked after the UF2 copy which image it runs (verified by its CRC)",
    )
    .option(
      '--probe <probe>',
      `a real --board over SWD: ${PROBE_HELP}; an image (.elf, .hex, .bin at the chip's flash start) or a model built into our harness for the board`,
    )
    .option(
      '-b, --board <board>',
      'a board (implies its target): the emulated one when no --port is given; rp2040: rp2040js, or pico (the default) for the BOOTSEL drive; a real STM32 board with --port: the image (or the model in our harness) over AN3155; a real nRF52840/STM32 board with --probe: over SWD',
    )
    .option('--drive <dir>', "rp2040 and pico2: the BOOTSEL drive's mount point (default: the only drive of that chip mounted)")
    .option(
      '--address <address>',
      "where a .bin goes (default: 0x08000000 on an STM32 port; the chip's flash start with --probe; the loader's application address on an emulated board; required for an ESP .bin)",
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
      process.stdout.write(opts.json ? jsonLine('flash', result.json as object) : `${result.text}\n`);
    });
}
