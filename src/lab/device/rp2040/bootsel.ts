// SPDX-License-Identifier: Apache-2.0
/**
 * Flashing a real RP2040 board: held in BOOTSEL at power-up, the chip's boot ROM shows a USB mass
 * storage drive ("RPI-RP2") whose INFO_UF2.TXT names the board. Copying a UF2 file onto it writes
 * the flash; once the last block is in, the chip reboots into the new image and the drive goes away.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import { RP2040_FAMILY_ID, RP2350_ARM_S_FAMILY_ID, RP2040_FLASH_WINDOW, parseUf2 } from '../../toolchain/rp2040/uf2.ts';

export interface BootselDrive {
  /** the mount point */
  path: string;
  /** the `Board-ID:` line of INFO_UF2.TXT, e.g. "RPI-RP2" */
  boardId: string;
  /** the `Model:` line, e.g. "Raspberry Pi RP2" */
  model: string;
}

const INFO_FILE = 'INFO_UF2.TXT';

/** Which boot ROM's drive: its Board-ID prefix, the chip's name in messages, and the UF2 family its images carry. */
export interface BootselChip {
  boardId: string;
  name: string;
  familyId: number;
}
/** the RP2040 boot ROM's drive */
export const RP2040_DRIVE: BootselChip = { boardId: 'RPI-RP2', name: 'RP2040', familyId: RP2040_FAMILY_ID };
/** the RP2350's (Pico 2): Board-ID RP2350, Arm Secure images */
export const RP2350_DRIVE: BootselChip = { boardId: 'RP2350', name: 'RP2350', familyId: RP2350_ARM_S_FAMILY_ID };

/** Mount points from /proc/mounts (Linux); octal escapes such as \040 for a space undone. */
function mountPoints(): string[] {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1])
      .filter((m): m is string => m !== undefined && m !== '')
      .map((m) => m.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  } catch {
    return [];
  }
}

/** Where desktop systems mount removable drives: each sub-folder is a candidate. */
function defaultRoots(): string[] {
  const user = (() => {
    try {
      return userInfo().username;
    } catch {
      return '';
    }
  })();
  return [`/media/${user}`, `/run/media/${user}`, '/media', '/Volumes'];
}

function subdirectories(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(root, e.name));
  } catch {
    return [];
  }
}

/** The drive's identity from INFO_UF2.TXT, or undefined if the folder is not a UF2 drive. */
export function readDriveInfo(path: string): BootselDrive | undefined {
  let text: string;
  try {
    text = readFileSync(join(path, INFO_FILE), 'latin1');
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+?)\\s*$`, 'm').exec(text)?.[1];
  const boardId = field('Board-ID');
  if (boardId === undefined) return undefined;
  return { path, boardId, model: field('Model') ?? '' };
}

/**
 * RP2040 BOOTSEL drives that are mounted now. `roots`: folders whose sub-folders are candidates
 * (default: the usual removable-media folders); mount points from /proc/mounts are always looked at
 * unless `roots` is given.
 */
export function findBootselDrives(roots?: string[], chip: BootselChip = RP2040_DRIVE): BootselDrive[] {
  const candidates = roots ? roots.flatMap(subdirectories) : [...mountPoints(), ...defaultRoots().flatMap(subdirectories)];
  const seen = new Set<string>();
  const drives: BootselDrive[] = [];
  for (const path of candidates) {
    if (seen.has(path)) continue;
    seen.add(path);
    const info = readDriveInfo(path);
    if (info && info.boardId.startsWith(chip.boardId)) drives.push(info);
  }
  return drives;
}

/** The one drive to flash: the named one, or the only one mounted. */
export function pickBootselDrive(named?: string, roots?: string[], chip: BootselChip = RP2040_DRIVE): BootselDrive {
  if (named !== undefined) {
    const info = readDriveInfo(named);
    if (!info) throw new TinyforgeError(`${named}: not a UF2 drive (no ${INFO_FILE}); hold BOOTSEL while plugging the board in`);
    if (!info.boardId.startsWith(chip.boardId)) throw new TinyforgeError(`${named}: a UF2 drive for ${info.boardId}, not an ${chip.name}`);
    return info;
  }
  const drives = findBootselDrives(roots, chip);
  if (drives.length === 0) {
    throw new TinyforgeError(
      `no ${chip.name} BOOTSEL drive found (a drive with INFO_UF2.TXT, Board-ID ${chip.boardId}): hold BOOTSEL while plugging the board in`,
    );
  }
  if (drives.length > 1) throw new TinyforgeError(`several ${chip.name} BOOTSEL drives: ${drives.map((d) => d.path).join(', ')}; name one`);
  return drives[0]!;
}

export interface FlashUf2Options {
  /** how long to wait for the board to take the image and leave BOOTSEL (default 15 s) */
  timeoutMs?: number;
  /** how often to look whether the drive went away (default 100 ms) */
  pollMs?: number;
}

/**
 * Copies a UF2 file onto a BOOTSEL drive and waits for the board to reboot (the drive goes away).
 * The file is checked first, so a file for another chip never reaches the board.
 */
export async function flashUf2ToDrive(uf2Path: string, drive: BootselDrive, options: FlashUf2Options = {}, chip: BootselChip = RP2040_DRIVE): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pollMs = options.pollMs ?? 100;
  const image = new Uint8Array(readFileSync(uf2Path));
  parseUf2(image, uf2Path, RP2040_FLASH_WINDOW, chip.familyId);
  const target = join(drive.path, basename(uf2Path).endsWith('.uf2') ? basename(uf2Path) : 'firmware.uf2');
  try {
    writeFileSync(target, image);
  } catch (e) {
    // The board may reboot and drop the drive before the file is closed: that is success.
    if (existsSync(join(drive.path, INFO_FILE))) throw new TinyforgeError(`${drive.path}: cannot write ${basename(target)}: ${(e as Error).message}`);
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!driveStillThere(drive.path)) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new TinyforgeError(
    `${drive.path}: the board did not reboot within ${timeoutMs} ms after the UF2 was copied (the drive is still there); was the image for this board?`,
  );
}

function driveStillThere(path: string): boolean {
  try {
    return statSync(join(path, INFO_FILE)).isFile();
  } catch {
    return false;
  }
}
