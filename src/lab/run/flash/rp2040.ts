// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash --target rp2040`: one UF2 image, two places it can go.
 *
 * - a real board in BOOTSEL: the UF2 is copied onto its mass-storage drive (found by its
 *   INFO_UF2.TXT, or named with `--drive`), and the board reboots into it; with `--port` (its
 *   console) the rebooted board is asked which image it runs, and only a CRC match is "verified";
 * - `--board rp2040js`: the same UF2 is written into the emulated chip's flash, the chip boots it, and
 *   HELLO over the device protocol shows that the image runs.
 *
 * The image is a given .uf2, the .uf2 beside a given .elf (what our build writes), a .elf turned into
 * a UF2 here, or a model built into the harness firmware for the board. The Pico 2 (RP2350, on the
 * cortex-m33 target: flashRp2350) takes the first way, with its own family id and drive.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import { type PlanShaping, compileForTarget } from '../device-build.ts';
import { writeDirectoryAtomically } from '../../output.ts';
import { isModelFile, loadGraph } from '../../../core/model/load.ts';
import { buildFirmware } from '../../toolchain/firmware.ts';
import { type BoardDescriptor, type TargetDescriptor, boardOf, loadTarget } from '../../../core/targets/targets.ts';
import { findTool } from '../../toolchain/toolchain.ts';
import { DeviceSession } from '../../device/session.ts';
import { type BootselChip, type BootselDrive, type FlashUf2Options, RP2040_DRIVE, RP2350_DRIVE, pickBootselDrive } from '../../device/rp2040/bootsel.ts';
import { RP2040_FLASH_WINDOW, RP2350_ARM_S_FAMILY_ID, elfToUf2, parseUf2 } from '../../toolchain/rp2040/uf2.ts';
import { buildModelImage } from './stm32.ts';
import { type Uf2Verification, copyUf2AndVerify } from '../../device/rp2040/verify.ts';
import { makeTempFolder, removeTempFolder } from '../../lifecycle.ts';

export interface Rp2040FlashOptions {
  /** a model (.tflite or .onnx: compiled and built first) or an image (.uf2, .elf) */
  file: string;
  /** a model's harness console rate (flash --baud): run/profile/validate --baud must say the same */
  consoleBaud?: number;
  /** default rp2040 */
  target?: string;
  /** the emulated board (rp2040js) or a real one (default: the target's real board, on its drive) */
  board?: string;
  /** the BOOTSEL drive's mount point (default: the only one mounted) */
  drive?: string;
  /** folders whose sub-folders are searched for the drive (default: /proc/mounts and the media folders) */
  driveRoots?: string[];
  /** `--max-ram`, `--max-flash`, `--patch`: the arena planned as `compile` would with them */
  shaping?: PlanShaping;
  /** build the profile variant of the harness */
  profile?: boolean;
  /** keep the generated sources and the build here */
  workDir?: string;
  /** waiting for the board to take the image */
  drivePolling?: FlashUf2Options;
  /**
   * A real board: its console port (a USB-serial adapter on UART0). After the copy the rebooted
   * board is asked HELLO there and the image CRC it reports checked against the UF2 (verify.ts);
   * without it the copy is reported as not verified.
   */
  port?: string;
  /** how long to wait for the rebooted board on `port` (default 30 s) */
  consoleWaitMs?: number;
  progress?: (message: string) => void;
}

export interface Rp2040FlashResult {
  target: string;
  board: string;
  /** the BOOTSEL drive's mount point, or the emulator's name */
  drive: string | null;
  image: { source: string; bytes: number; blocks: number };
  buildId: string | null;
  /** rp2040js: the image answered HELLO (null on a real board: it reboots away from us) */
  application: { answered: boolean; model?: string; buildId?: string } | null;
  /**
   * A real board: true once the rebooted board reported, on `port`, an image whose CRC equals the
   * UF2's (`verification`); false when no port was given (copied to the drive, not verified).
   * rp2040js: whether our harness answered with the build (its flash is the UF2 itself).
   */
  verified: boolean;
  verification: Uf2Verification | null;
}

export async function flashRp2040(options: Rp2040FlashOptions): Promise<Rp2040FlashResult> {
  const progress = options.progress ?? (() => {});
  const target = loadTarget(options.target ?? 'rp2040');
  if (target.firmware !== 'rp2040') throw new Error(`internal: flashRp2040 for ${target.name}`);
  const board = options.board ? boardOf(target, options.board) : target.boards.find((b) => !b.emulated);
  if (!board) throw new TinyforgeError(`target ${target.name} has no real board: give --board`);
  if (board.emulated && options.drive) throw new TinyforgeError(`--drive is for a real board in BOOTSEL; ${board.name} is emulated`);
  const extension = extname(options.file).toLowerCase();
  if (!isModelFile(options.file) && extension !== '.uf2' && extension !== '.elf') {
    throw new TinyforgeError(
      `${options.file}: an RP2040 takes a .uf2 or .elf image (or a .tflite or .onnx model to build), not ${extension || 'a file without extension'}`,
    );
  }
  if (!isModelFile(options.file) && !existsSync(options.file)) throw new TinyforgeError(`${options.file}: no such file`);
  // a real board's drive is looked for before any build: no drive, no point building
  const drive = board.emulated ? undefined : pickBootselDrive(options.drive, options.driveRoots);

  const workDir = options.workDir ?? makeTempFolder('flash');
  try {
    const { uf2, source, buildId } = await prepareUf2(target, board, options, workDir, progress);
    if (drive) return await copyToDrive({ target, board, drive, chip: RP2040_DRIVE, uf2, source, buildId }, options, progress);
    const bytes = readFileSync(uf2);
    const blocks = parseUf2(new Uint8Array(bytes), uf2).length; // checked before it reaches any board
    const image = { source, bytes: bytes.length, blocks };
    progress(`loading ${basename(uf2)} (${blocks} blocks) into ${board.name}'s flash`);
    const application = await askHello(board, uf2, buildId, progress);
    return { target: target.name, board: board.name, drive: null, image, buildId, application, verified: application.answered, verification: null };
  } finally {
    if (!options.workDir) removeTempFolder(workDir);
  }
}

async function prepareUf2(
  target: TargetDescriptor,
  board: BoardDescriptor,
  options: Rp2040FlashOptions,
  workDir: string,
  progress: (m: string) => void,
): Promise<{ uf2: string; source: string; buildId: string | null }> {
  const file = options.file;
  if (extname(file).toLowerCase() === '.uf2') return { uf2: file, source: file, buildId: null };
  if (extname(file).toLowerCase() === '.elf') {
    const beside = join(dirname(file), 'firmware.uf2');
    if (basename(file) === 'firmware.elf' && existsSync(beside)) return { uf2: beside, source: file, buildId: null };
    const uf2 = join(workDir, `${basename(file, extname(file))}.uf2`);
    writeFileSync(uf2, elfToUf2(new Uint8Array(readFileSync(file)), file, target.memory!.flash.bytes));
    return { uf2, source: file, buildId: null };
  }
  findTool(target.toolchain.cc, target.toolchain.install);
  const graph = loadGraph(file, options.shaping ?? {});
  const compiled = compileForTarget(graph, file, target, board, { ...options.shaping, progress });
  const modelDir = writeDirectoryAtomically(join(workDir, 'model'), compiled.generated.files);
  progress(`building for ${target.name} (${board.name})${options.profile ? ', profile build' : ''}`);
  const build = await buildFirmware({
    target: target.name,
    board: board.name,
    modelDir,
    outDir: join(workDir, 'build'),
    profile: options.profile,
    input0ArenaOffset: compiled.plan.tensorOffset.get(graph.inputs[0]!),
    optimizeForSize: compiled.prepared.prefer === 'size',
    consoleBaud: options.consoleBaud,
  });
  if (!build.uf2) throw new Error('internal: an RP2040 build wrote no UF2');
  return { uf2: build.uf2, source: `the harness firmware of ${basename(file)}`, buildId: build.buildId };
}

/**
 * A real board in BOOTSEL, the Pico's or the Pico 2's: the UF2 (checked for the chip's family first)
 * copied to its drive; with `options.port`, the rebooted board's image CRC checked against it
 * (verify.ts), else the copy is reported as not verified.
 */
async function copyToDrive(
  what: { target: TargetDescriptor; board: BoardDescriptor; drive: BootselDrive; chip: BootselChip; uf2: string; source: string; buildId: string | null },
  options: Omit<Rp2040FlashOptions, 'target' | 'board'>,
  progress: (m: string) => void,
): Promise<Rp2040FlashResult> {
  const { drive, chip, uf2, buildId } = what;
  const bytes = readFileSync(uf2);
  const blocks = parseUf2(new Uint8Array(bytes), uf2, RP2040_FLASH_WINDOW, chip.familyId).length; // checked before it reaches any board
  progress(`copying ${basename(uf2)} (${blocks} blocks) to the BOOTSEL drive ${drive.path}`);
  const verification = await copyUf2AndVerify(uf2, drive, {
    chip,
    port: options.port,
    baudRate: options.consoleBaud,
    buildId,
    waitMs: options.consoleWaitMs,
    drivePolling: options.drivePolling,
    progress,
  });
  return {
    target: what.target.name,
    board: what.board.name,
    drive: drive.path,
    image: { source: what.source, bytes: bytes.length, blocks },
    buildId,
    application: null,
    verified: verification !== null,
    verification,
  };
}

/**
 * Boots the UF2 on the emulated chip and asks HELLO. Our harness must answer (with the build just
 * made); another image may stay silent, which is reported, not an error.
 */
async function askHello(
  board: BoardDescriptor,
  uf2: string,
  buildId: string | null,
  progress: (m: string) => void,
): Promise<NonNullable<Rp2040FlashResult['application']>> {
  let session: DeviceSession;
  try {
    session = await DeviceSession.open({ board: board.name, elf: uf2, helloTries: buildId ? 8 : 3, expectBuildId: buildId ?? undefined, progress });
  } catch (e) {
    if (buildId) throw e;
    progress(`${board.name}: the image does not answer the device protocol (not a tinyforge harness?)`);
    return { answered: false };
  }
  const check = { answered: true, model: session.hello.model, buildId: session.hello.buildId };
  await session.close(); // END: the harness exits cleanly, which the emulator checks
  return check;
}

/**
 * The Pico 2 (RP2350, a board of the cortex-m33 target): a model built into our harness for it, an
 * ELF, or a UF2 (RP2350 Arm Secure family id) copied to its BOOTSEL drive (Board-ID RP2350). The
 * drive is found before anything is built. With `port` (its console) the rebooted board is asked
 * HELLO and the image CRC our RP2350 harness reports is checked against the UF2, as on the Pico; no
 * emulator of the RP2350 here, so without `port` the copy is not verified.
 */
export async function flashRp2350(
  options: Omit<Rp2040FlashOptions, 'target' | 'board'> & { target: TargetDescriptor; board: BoardDescriptor },
): Promise<Rp2040FlashResult> {
  const { target, board, file } = options;
  const progress = options.progress ?? (() => {});
  const extension = extname(file).toLowerCase();
  if (!isModelFile(file) && extension !== '.uf2' && extension !== '.elf') {
    throw new TinyforgeError(
      `${file}: the ${board.name} takes a .uf2 or .elf image (or a .tflite or .onnx model to build), not ${extension || 'a file without extension'}`,
    );
  }
  if (!isModelFile(file) && !existsSync(file)) throw new TinyforgeError(`${file}: no such file`);
  const drive = pickBootselDrive(options.drive, options.driveRoots, RP2350_DRIVE);
  const workDir = options.workDir ?? makeTempFolder('flash');
  try {
    let uf2 = file;
    let source = file;
    let buildId: string | null = null;
    if (isModelFile(file)) {
      const build = await buildModelImage(file, target, board, { ...options, workDir, progress });
      uf2 = join(dirname(build.elf), 'firmware.uf2');
      source = `the harness firmware of ${basename(file)}`;
      buildId = build.buildId;
    } else if (extension === '.elf') {
      uf2 = join(workDir, `${basename(file, extension)}.uf2`);
      writeFileSync(uf2, elfToUf2(new Uint8Array(readFileSync(file)), file, board.hardware!.memory.flash[0]!.bytes, RP2350_ARM_S_FAMILY_ID));
    }
    return await copyToDrive({ target, board, drive, chip: RP2350_DRIVE, uf2, source, buildId }, options, progress);
  } finally {
    if (!options.workDir) removeTempFolder(workDir);
  }
}
