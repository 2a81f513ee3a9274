// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { listTargets, loadTarget } from '../../lab/toolchain/index.ts';
import { type BoardDescriptor, type BoardHardware, type TargetDescriptor, buildsFirmware, memoryFor } from '../../core/targets/targets.ts';
import { formatTable } from '../report/table.ts';
import { wrap } from '../report/layout.ts';
import { resolveClock } from '../../lab/estimate/clock.ts';
import { jsonLine } from '../report/json_document.ts';

/** One board as `tinyforge boards --json` lists it. */
export interface BoardListing {
  name: string;
  kind: 'emulated' | 'real';
  /** the target whose code runs on it (`--board` alone implies it) */
  target: string;
  /** the core, as the target names it (`cortex-m4`) */
  core: string;
  /** the part on a real board; null on an emulated one */
  chip: string | null;
  /** the memory its fit checks use: a real chip's largest flash and RAM regions, an emulated board's target memory */
  flashBytes: number | null;
  ramBytes: number | null;
  clockHz: number;
  /** how an image gets onto it, and whether `tinyforge flash` does it today */
  flashing: { method: string; how: string; byTinyforge: boolean };
  /** tinyforge builds its firmware (our harness) and runs models on it; false: compile --board gives the C only */
  firmware: boolean;
  /** for a real board without a port: the emulated board that runs its core */
  emulatedBy: string | null;
  description: string;
  /** the silicon facts with their sources (real boards) */
  hardware: BoardHardware | null;
  /**
   * a real board at its clock: the power range, the flash wait states and the run current that apply
   * there (null where unknown, with why); null on an emulated board
   */
  atClock: {
    powerRange: string | null;
    flashWaitStates: number | null;
    flashWaitStatesBasis: string;
    microampsPerMHz: number | null;
    volts: number | null;
    runCurrentBasis: string;
  } | null;
}

function atClock(board: BoardDescriptor): BoardListing['atClock'] {
  if (!board.hardware) return null;
  const c = resolveClock(board);
  const current = c.runCurrent;
  return {
    powerRange: c.option?.name ?? null,
    flashWaitStates: c.flashWaitStates,
    flashWaitStatesBasis: c.waitStatesBasis,
    microampsPerMHz: 'unknown' in current ? null : current.microampsPerMHz,
    volts: 'unknown' in current ? null : current.volts,
    runCurrentBasis: 'unknown' in current ? current.unknown : `${current.conditions} (${current.source}${current.derivation ? `; ${current.derivation}` : ''})`,
  };
}

/** How an emulated board receives its image. */
function emulatedFlashing(board: BoardDescriptor): BoardListing['flashing'] {
  if (board.loader) return { method: 'stm32-usart-bootloader', how: 'AN3155 to our loader on the emulated UART', byTinyforge: true };
  if (board.emulator?.inProcess) return { method: 'uf2', how: 'the UF2 written into the emulated flash', byTinyforge: true };
  return { method: 'emulator', how: 'loaded by the emulator (-kernel), not flashed', byTinyforge: true };
}

function emulatedStandIn(target: TargetDescriptor): string | null {
  return (target.boards.find((b) => b.name === target.defaultBoard && b.emulated) ?? target.boards.find((b) => b.emulated))?.name ?? null;
}

export function describeBoards(): BoardListing[] {
  return listTargets()
    .map(loadTarget)
    .flatMap((target) =>
      target.boards.map((board): BoardListing => {
        const memory = memoryFor(target, board);
        return {
          name: board.name,
          kind: board.emulated ? 'emulated' : 'real',
          target: target.name,
          core: target.cpu,
          chip: board.hardware?.chip ?? null,
          flashBytes: memory?.flashBytes ?? null,
          ramBytes: memory?.ramBytes ?? null,
          clockHz: board.clockHz,
          flashing: board.hardware ? { ...board.hardware.flashing } : emulatedFlashing(board),
          firmware: buildsFirmware(board),
          emulatedBy: board.emulated ? null : emulatedStandIn(target),
          description: board.description,
          hardware: board.hardware ?? null,
          atClock: atClock(board),
        };
      }),
    )
    .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'real' ? -1 : 1));
}

const size = (bytes: number | null) =>
  bytes === null ? '-' : bytes >= 1024 * 1024 ? `${+(bytes / (1024 * 1024)).toFixed(2)} MiB` : `${+(bytes / 1024).toFixed(1)} KiB`;
const mhz = (hz: number) => `${+(hz / 1e6).toFixed(1)} MHz`;

/** A real board's kind in a few words; `wide` says what runs it without a port. */
function kindText(b: BoardListing, wide: boolean): string {
  if (b.kind === 'emulated') return 'emulated';
  if (b.emulatedBy) return wide ? `real (no port: emulated as ${b.emulatedBy})` : 'real';
  return b.firmware ? 'real' : wide ? 'real (compile-checked only here)' : 'real, C only';
}

/**
 * The boards table: by default the columns that fit TERMINAL_COLUMNS (board, chip, target, memory,
 * clock, kind); `wide` adds the core, wait states, run current and flashing, one board per line
 * however wide.
 */
export function formatBoards(listing: BoardListing[], wide = false): string {
  if (!wide) {
    const rows = listing.map((b) => [
      b.name,
      // the part, without the module it sits on (in --wide)
      (b.chip ?? '-').replace(/ \(.*\)$/, ''),
      b.target,
      size(b.flashBytes),
      size(b.ramBytes),
      mhz(b.clockHz),
      kindText(b, false),
    ]);
    return [
      formatTable(['board', 'chip', 'target', 'flash', 'ram', 'clock', 'kind'], rows, undefined, { shrink: [{ column: 1, min: 10 }] }),
      '',
      wrap(
        [
          "flash and ram: what the fit checks use (a real chip's largest regions). `--board NAME` alone implies the target.",
          "Without --port a real board runs on its core's emulator while its fit is checked for the chip; with --port, on the board",
          '(flash it first: docs/boards/). "real, C only": no firmware of ours, compile --board NAME gives the C.',
          'Wait states, run current and how each is flashed: `tinyforge boards --wide`; sources of every figure: `--json`.',
        ].join(' '),
      ),
    ].join('\n');
  }
  const rows = listing.map((b) => [
    b.name,
    b.chip ?? '-',
    b.core === b.target ? b.core : `${b.core} (${b.target})`,
    size(b.flashBytes),
    size(b.ramBytes),
    mhz(b.clockHz),
    b.atClock ? (b.atClock.flashWaitStates === null ? 'unknown' : String(b.atClock.flashWaitStates)) : '-',
    b.atClock
      ? b.atClock.microampsPerMHz === null
        ? 'unknown'
        : `${b.atClock.microampsPerMHz}${b.atClock.volts !== null ? ` @ ${b.atClock.volts} V` : ''}`
      : '-',
    `${b.flashing.method}${b.flashing.byTinyforge ? '' : ' (not by tinyforge yet)'}`,
    kindText(b, true),
  ]);
  return [
    formatTable(['board', 'chip', 'core (target)', 'flash', 'ram', 'clock', 'wait states', 'uA/MHz', 'flashing', 'kind'], rows),
    '',
    wrap(
      [
        'flash and ram: what the fit checks use (a real chip: its largest flash and RAM regions; the arena, stack and static data',
        "go in one region). `--board NAME` alone implies the target. Without --port a real board runs on its core's emulator",
        'while its fit is checked for the chip; with --port, the firmware tinyforge builds for it (flash it first: docs/boards/).',
        'A board whose flashing says "not by tinyforge yet" has no firmware of ours: compile --board NAME gives the C for your project.',
        "wait states and uA/MHz: a real chip's flash wait states and run-mode current at that clock (unknown where no source gave them);",
        'run/profile --board NAME [--clock HZ] [--battery MAH] estimate time and energy from them.',
        'Sources of every figure and the clock, wait-state and current tables: `tinyforge boards --json`.',
      ].join(' '),
    ),
  ].join('\n');
}

export function boardsCommand(): Command {
  return new Command('boards')
    .description('list the boards, real and emulated: chip, core, flash, RAM, clock, how each is flashed')
    .option('--wide', 'every column (core, wait states, run current, flashing), however wide the lines')
    .option('--json', "print one JSON object on stdout (with each real chip's sourced clock, wait-state and current facts)")
    .action((opts: { json?: boolean; wide?: boolean }) => {
      const listing = describeBoards();
      process.stdout.write(opts.json ? jsonLine('boards', { boards: listing }) : `${formatBoards(listing, opts.wide)}\n`);
    });
}
