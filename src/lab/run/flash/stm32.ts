// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash`: puts an image, or a model built into the harness firmware, on a board.
 *
 * - `--port P`: a real board in ST's USART boot loader (AN3155): the image is written, read back,
 *   compared, and started with GO. A model needs `--board` with a real STM32 board we build firmware
 *   for (its linker script, clock and console): the harness is linked at the start of its flash.
 * - `--board B` (an emulated board): where the board has a loader of ours (firmware/loader), QEMU
 *   starts it and the image goes over the UART's pseudo-terminal through the same AN3155 path; the
 *   application is linked `loader.flashOffset` bytes into code memory. Afterwards the started
 *   application is asked HELLO over the same line, to show that it runs. A board without a loader
 *   (the micro:bit's Cortex-M0 has no VTOR to run an application behind one) gets its image from the
 *   emulator when it runs, and flashing it is refused saying so.
 */
import { basename, extname, join } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import { type PlanShaping, compileForTarget } from '../device-build.ts';
import { writeDirectoryAtomically } from '../../output.ts';
import { isModelFile, loadGraph } from '../../../core/model/load.ts';
import { buildFirmware } from '../../toolchain/firmware.ts';
import { type BoardDescriptor, type TargetDescriptor, boardOf, buildsFirmware, loadTarget } from '../../../core/targets/targets.ts';
import { findTool } from '../../toolchain/toolchain.ts';
import { DeviceSession } from '../../device/session.ts';
import type { FlashOptions, FlashReport } from '../../device/stm32/flash.ts';
import { flashImage } from '../../device/stm32/flash.ts';
import { type EmulatedFlash, flashEmulatedBoard } from '../../device/stm32/emulated.ts';
import { type FlashImage, loadImage } from '../../device/stm32/image.ts';
import { BOOTLOADER_BAUD, openBootloaderPort } from '../../device/stm32/port.ts';
import { makeTempFolder, removeTempFolder } from '../../lifecycle.ts';

/** Where a raw .bin goes on a real STM32 when no --address is given: the start of its flash. */
export const STM32_FLASH_BASE = 0x08000000;

export interface FlashFileOptions {
  /** a model (.tflite or .onnx: compiled and built first) or an image (.elf, .bin, .hex) */
  file: string;
  /** a model's harness console rate (flash --baud): run/profile/validate --baud must say the same */
  consoleBaud?: number;
  target: string;
  /** the emulated board to flash (default: the target's default board when no port is given) */
  board?: string;
  /** a real board's serial port, in its boot loader */
  port?: string;
  /** where a .bin goes (default: 0x08000000 on a port, the loader's application address on an emulated board) */
  address?: number;
  baudRate?: number;
  /** `--max-ram`, `--max-flash`, `--patch`: the arena planned as `compile` would with them */
  shaping?: PlanShaping;
  /** build the profile variant of the harness (what `tinyforge profile --port` talks to) */
  profile?: boolean;
  /** keep the generated sources and the build here */
  workDir?: string;
  /** emulated boards: leave QEMU running and hand it over (the caller must kill it) */
  keepRunning?: boolean;
  flash?: FlashOptions;
  progress?: (message: string) => void;
}

export interface ApplicationCheck {
  /** the started application answered HELLO of the device protocol */
  answered: boolean;
  model?: string;
  buildId?: string;
}

export interface FlashFileResult {
  target: string;
  board: string | null;
  /** the board is an emulated one (our loader under QEMU), not a real one on a port */
  emulated: boolean;
  port: string;
  image: { source: string; bytes: number; start: number };
  /** the firmware build, when a model was given */
  buildId: string | null;
  flash: FlashReport;
  /** emulated boards: whether the application runs (null when it was not started) */
  application: ApplicationCheck | null;
  /** with keepRunning on an emulated board: the running QEMU */
  emulator?: EmulatedFlash;
}

export async function flashFile(options: FlashFileOptions): Promise<FlashFileResult> {
  const progress = options.progress ?? (() => {});
  const target = loadTarget(options.target);
  if (target.firmware !== 'cortex-m') {
    throw new TinyforgeError(`flashing over AN3155 is for Cortex-M targets (STM32 boot loader); ${target.name} is ${target.firmware}`);
  }
  const board = pickBoard(target, options);
  const workDir = options.workDir ?? makeTempFolder('flash');
  try {
    const { image, buildId } = await prepareImage(target, board, options, workDir, progress);
    if (options.port) return await flashReal(target, board, options.port, image, buildId, options);
    return await flashEmulated(target, board!, image, buildId, options, progress);
  } finally {
    if (!options.workDir) removeTempFolder(workDir);
  }
}

function pickBoard(target: TargetDescriptor, options: FlashFileOptions): BoardDescriptor | undefined {
  if (options.port) {
    if (options.board) {
      // a real STM32 board we build firmware for: ST's own boot loader (AN3155) takes our image
      const board = boardOf(target, options.board);
      if (board && !board.emulated && buildsFirmware(board) && board.hardware?.chip.startsWith('STM32')) return board;
      throw new TinyforgeError('give --port (a real board) or --board (an emulated one), not both');
    }
    if (isModelFile(options.file)) {
      const ours = target.boards.filter((b) => !b.emulated && buildsFirmware(b) && b.hardware?.chip.startsWith('STM32')).map((b) => b.name);
      throw new TinyforgeError(
        ours.length > 0
          ? `${options.file}: building a model for a real board needs that board's descriptor (memory map, UART): give --board (${target.name}: ${ours.join(', ')})`
          : `${options.file}: building a model for a real board needs that board's descriptor (memory map, UART); ${target.name} has no real STM32 board tinyforge builds firmware for: build an image for your board and flash the image`,
      );
    }
    return undefined;
  }
  const board = boardOf(target, options.board);
  if (!board) throw new TinyforgeError(`target ${target.name} has no board: give --port`);
  if (!board.emulated) throw new TinyforgeError(`${board.name} is a real board: flash it with --port`);
  if (!board.loader) {
    throw new TinyforgeError(
      `${board.name} has no loader of ours: its image is loaded by the emulator (QEMU -kernel) when it runs, not flashed over the serial path`,
    );
  }
  return board;
}

async function prepareImage(
  target: TargetDescriptor,
  board: BoardDescriptor | undefined,
  options: FlashFileOptions,
  workDir: string,
  progress: (m: string) => void,
): Promise<{ image: FlashImage; buildId: string | null }> {
  if (!isModelFile(options.file)) {
    const defaultAddress = board?.loader ? target.memory!.flash.origin + board.loader.flashOffset : STM32_FLASH_BASE;
    return { image: loadImage(options.file, options.address ?? defaultAddress), buildId: null };
  }
  const build = await buildModelImage(options.file, target, board!, { ...options, workDir, progress });
  return { image: { ...loadImage(build.elf), source: `the harness firmware of ${basename(options.file)}` }, buildId: build.buildId };
}

/**
 * A model compiled and built into the harness firmware of `board`: linked where the board's loader
 * puts applications on an emulated board, at the start of the chip's flash on a real one.
 */
export async function buildModelImage(
  file: string,
  target: TargetDescriptor,
  board: BoardDescriptor,
  options: Pick<FlashFileOptions, 'shaping' | 'profile' | 'consoleBaud'> & { workDir: string; progress: (m: string) => void },
): Promise<{ elf: string; buildId: string }> {
  const { progress, workDir } = options;
  findTool(target.toolchain.cc, target.toolchain.install);
  const graph = loadGraph(file, options.shaping ?? {});
  const compiled = compileForTarget(graph, file, target, board, { ...options.shaping, progress });
  const modelDir = writeDirectoryAtomically(join(workDir, 'model'), compiled.generated.files);
  const flashOffset = board.loader?.flashOffset;
  progress(`building for ${target.name} (${board.name})${flashOffset ? `, linked at +0x${flashOffset.toString(16)} behind the loader` : ''}`);
  const build = await buildFirmware({
    target: target.name,
    board: board.name,
    modelDir,
    outDir: join(workDir, 'build'),
    profile: options.profile,
    input0ArenaOffset: compiled.plan.tensorOffset.get(graph.inputs[0]!),
    flashOffset,
    optimizeForSize: compiled.prepared.prefer === 'size',
    consoleBaud: options.consoleBaud,
  });
  return { elf: build.elf, buildId: build.buildId };
}

async function flashReal(
  target: TargetDescriptor,
  board: BoardDescriptor | undefined,
  port: string,
  image: FlashImage,
  buildId: string | null,
  options: FlashFileOptions,
): Promise<FlashFileResult> {
  const transport = await openBootloaderPort(port, options.baudRate ?? BOOTLOADER_BAUD);
  try {
    const flash = await flashImage(transport, image, { ...options.flash, progress: options.progress ?? options.flash?.progress });
    return { target: target.name, board: board?.name ?? null, emulated: false, port, image: imageSummary(image), buildId, flash, application: null };
  } finally {
    await transport.close();
  }
}

async function flashEmulated(
  target: TargetDescriptor,
  board: BoardDescriptor,
  image: FlashImage,
  buildId: string | null,
  options: FlashFileOptions,
  progress: (m: string) => void,
): Promise<FlashFileResult> {
  progress(`starting ${board.name} with the AN3155 loader`);
  const emulated = await flashEmulatedBoard(board.name, image, { ...options.flash, progress: options.progress ?? options.flash?.progress });
  try {
    let application: ApplicationCheck | null = null;
    if (emulated.report.started !== null) application = await askHello(board, emulated.ptyPath, buildId, progress);
    const result: FlashFileResult = {
      target: target.name,
      board: board.name,
      emulated: true,
      port: emulated.ptyPath,
      image: imageSummary(image),
      buildId,
      flash: emulated.report,
      application,
    };
    if (options.keepRunning) return { ...result, emulator: emulated };
    emulated.kill();
    return result;
  } catch (e) {
    emulated.kill();
    throw e;
  }
}

/**
 * HELLO to the started application. Our harness must answer (and with the build just flashed); any
 * other image may stay silent, which is reported, not an error.
 */
async function askHello(board: BoardDescriptor, ptyPath: string, buildId: string | null, progress: (m: string) => void): Promise<ApplicationCheck> {
  let session: DeviceSession;
  try {
    session = await DeviceSession.open({ port: ptyPath, board: board.name, helloTries: buildId ? 8 : 3, expectBuildId: buildId ?? undefined, progress });
  } catch (e) {
    if (buildId) throw e;
    progress(`${ptyPath}: the started image does not answer the device protocol (not a tinyforge harness?)`);
    return { answered: false };
  }
  const check = { answered: true, model: session.hello.model, buildId: session.hello.buildId };
  await session.close();
  return check;
}

function imageSummary(image: FlashImage): FlashFileResult['image'] {
  return { source: image.source, bytes: image.bytes, start: image.start };
}
