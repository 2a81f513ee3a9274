// SPDX-License-Identifier: Apache-2.0
import { statSync } from 'node:fs';
import { TinyforgeError } from '../../core/errors.ts';
import { terminalText } from '../report/terminal_text.ts';
import type { EmulatorLink } from '../../lab/device/transport/qemu.ts';
import { type Command, Option } from 'commander';
import type { PatchOption } from '../../core/plan/patch_policy.ts';
import type { MemoryBudget } from '../../core/plan/budget.ts';
import type { Prefer } from '../../core/ops/op.ts';
import type { ArenaOption } from '../../core/codegen/generate.ts';
import type { WeightsInRamMode } from '../../lab/toolchain/fit.ts';
import { type ChoiceFlags, type CompileChoices, choiceOptions, compileChoicesOf } from './choice-options.ts';

/** `run` and `validate`: the inputs as one stream through a stateful model, or each on its own. */
export const CARRY_STATE_HELP =
  "several inputs run back to back with the model's state (LSTM, SVDF, other variable tensors) carried from one to the next, as on a device fed a stream; the reference carries it too (default: each input from reset state, as a fresh TFLite Micro interpreter)";

export const BAUD_HELP = "with --port: the serial line's rate; the firmware is built for it, so flash and run/profile/validate must agree (default 115200)";

/** `--baud` without `--port`: an emulated board's UART has no rate to set. */
export function checkBaudNeedsPort(opts: { baud?: number; port?: string }): void {
  if (opts.baud !== undefined && opts.port === undefined) throw new TinyforgeError("--baud sets a real serial port's rate: give --port too");
}

/** `--link`'s help: no default, so that each board takes its own (transport/qemu.ts defaultLink). */
export const LINK_HELP =
  "emulated boards: the board's UART over a pseudo-terminal (pty), or the emulator's stdio (stdio: the semihosting console where the firmware has one, the MPS2/MPS3 and micro:bit boards, else the UART) (default: stdio where the semihosting console is there, else pty)";

/** `--link pty|stdio` of the commands that talk to a board. */
export function linkOption(value: string): EmulatorLink {
  if (value !== 'pty' && value !== 'stdio') throw new TinyforgeError(`--link must be pty or stdio, got '${value}'`);
  return value;
}

/** `--patch auto|off|START:LENGTH:ROWS[:add][:cache]` (plan/patch.ts; `add`: the residual ADD after the chain runs in its bands; `cache`: rows shared by consecutive bands are kept, not computed again). */
export function patchOption(value: string): PatchOption {
  if (value === 'auto' || value === 'off') return value;
  const m = /^(\d+):(\d+):(\d+)(:add)?(:cache)?$/.exec(value);
  if (!m)
    throw new TinyforgeError(
      `--patch must be auto, off, or START:LENGTH:ROWS[:add][:cache] (first layer position, number of layers, output rows per band; add: with the residual ADD after them; cache: keep the rows bands share), got '${value}'`,
    );
  return { start: Number(m[1]), length: Number(m[2]), tileRows: Number(m[3]), ...(m[4] ? { add: true } : {}), ...(m[5] ? { cache: true } : {}) };
}

/**
 * A byte count as engineers write it: `49152`, `48K`/`48KB`/`48KiB` (1024 bytes), `1M`/`1MB` (1024 KB).
 * `option` names the flag in the error.
 */
export function byteSizeOption(option: string): (value: string) => number {
  return (value) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(k|kb|kib|m|mb|mib)?\s*$/i.exec(value);
    const unit = m?.[2]?.toLowerCase().charAt(0);
    const bytes = m ? Math.floor(Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1)) : NaN;
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new TinyforgeError(`${option} must be a positive byte count (49152, 48K, 1M), got '${value}'`);
    return bytes;
  };
}

/** What `--max-ram`, `--max-flash`, `--patch`, `--prefer` and the choice flags leave in a command's options. */
export interface PlanShapingFlags extends ChoiceFlags {
  maxRam?: number;
  maxFlash?: number;
  patch?: PatchOption;
  weightsInRam?: WeightsInRamMode;
  prefer?: Prefer;
}

/** `--prefer size|speed`: which wins where weight storages (dense, sparse, ...) compete per layer. */
/** `--name`: the model's name in the C, an identifier since it prefixes every file and symbol. */
export function nameOption(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new TinyforgeError(`--name must be a C identifier (letters, digits, _), got '${value}'`);
  return value;
}

/** compile's `--name`: one C identifier, or a comma list of them (one per model, in model order). */
export function nameListOption(value: string): string {
  for (const name of value.split(',')) nameOption(name);
  return value;
}

/** `--arena`: who owns the arena, the model's .c (`static`) or the application (`caller`). */
export function arenaOption(value: string): ArenaOption {
  if (value !== 'static' && value !== 'caller') throw new TinyforgeError(`--arena must be static or caller, got '${value}'`);
  return value;
}

export function preferOption(value: string): Prefer {
  if (value !== 'size' && value !== 'speed') throw new TinyforgeError(`--prefer must be size or speed, got '${value}'`);
  return value;
}

export const PREFER_HELP =
  'per layer weight storage (dense, sparse, ...): speed = the fewest instructions among those no bigger than dense, size = the fewest bytes (default speed); an explicit speed also keeps whole tensors (no default row bands, see --patch)';

/**
 * `--max-ram`, `--max-flash`, `--patch`, `--prefer` and the weight-storage choices on a command that builds a model for a board (run, profile,
 * validate, flash): the build must be planned as `compile` would plan it with the same flags, or the
 * board would run a different arena than the one the user sized.
 */
export function planShapingOptions(command: Command): Command {
  const shaped = choiceOptions(
    command
      .option('--max-ram <bytes>', 'fit the arena in this many bytes, moving layers to more frugal kernels (as compile --max-ram)', byteSizeOption('--max-ram'))
      .option('--max-flash <bytes>', "fit the model's constant tables in this many bytes (as compile --max-flash)", byteSizeOption('--max-flash'))
      .option(
        '--patch <mode>',
        'run an initial convolution chain in row bands: auto, off, or START:LENGTH:ROWS (as compile --patch, whose default applies)',
        patchOption,
      )
      .option('--prefer <what>', `${PREFER_HELP} (as compile --prefer)`, preferOption),
  );
  return shaped.option(
    '--weights-in-ram <mode>',
    'staged, auto or none: where the weight tables are read from on a --board whose flash is slower than its RAM (as compile --weights-in-ram)',
    weightsInRamOption,
  );
}

/** --weights-in-ram's value. */
export function weightsInRamOption(value: string): WeightsInRamMode {
  if (value === 'auto' || value === 'staged' || value === 'none') return value;
  throw new TinyforgeError(`--weights-in-ram must be staged, auto or none, got '${value}'`);
}

/** The budget, row-band and weight-storage choices the flags (and TINYFORGE_* variables) ask for, as compile options. */
export function planShaping(flags: PlanShapingFlags): { budget?: MemoryBudget; patch?: PatchOption; weightsInRam?: WeightsInRamMode } & CompileChoices {
  const budget = flags.maxRam !== undefined || flags.maxFlash !== undefined ? { ram: flags.maxRam, flash: flags.maxFlash } : undefined;
  return { budget, patch: flags.patch, ...(flags.weightsInRam ? { weightsInRam: flags.weightsInRam } : {}), ...compileChoicesOf(flags) };
}

/** The longest limit `--timeout` takes: a day (a longer wait is a hang, not a run). */
export const MAX_TIMEOUT_SECONDS = 86_400;

/** `--timeout <seconds>`: a number of seconds above 0 and at most a day (`1.5` allowed); returns milliseconds. */
export function timeoutOption(value: string): number {
  const seconds = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS))
    throw new TinyforgeError(`--timeout must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS} (a day), got '${value}'`);
  return Math.ceil(seconds * 1000);
}

/** The `--timeout <seconds>` option with its default in seconds, shown once in the help as "(default: N s)". */
export function timeoutFlag(what: string, defaultSeconds: number): Option {
  return new Option('--timeout <seconds>', `limit for ${what} on the board, in seconds`)
    .argParser(timeoutOption)
    .default(defaultSeconds * 1000, `${defaultSeconds} s`);
}

/** `--runs <n>` and other counts: a whole number from 1 to `max`. */
export function countOption(option: string, max: number): (value: string) => number {
  return (value) => {
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!(Number.isSafeInteger(n) && n >= 1 && n <= max)) throw new TinyforgeError(`${option} must be a whole number from 1 to ${max}, got '${value}'`);
    return n;
  };
}

/** Serial baud rates a USB-serial adapter and a boot loader can agree on. */
export const BAUD_RANGE = [1200, 4_000_000] as const;

/** `--baud <rate>`: a whole number of bits per second within BAUD_RANGE. */
export function baudOption(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(n >= BAUD_RANGE[0] && n <= BAUD_RANGE[1]))
    throw new TinyforgeError(`--baud must be a whole number of bits per second from ${BAUD_RANGE[0]} to ${BAUD_RANGE[1]} (115200, 921600), got '${value}'`);
  return n;
}

/**
 * `--port`: a serial port is a character device (/dev/ttyUSB0, /dev/ttyACM0, a pseudo-terminal, or
 * a link to one). Checked before anything is compiled or built, so a mistyped port costs nothing.
 */
export function requireSerialPort(port: string): void {
  let stats;
  try {
    stats = statSync(port);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TinyforgeError(
      `--port ${port}: ${code === 'ENOENT' ? 'no such port (is the board plugged in? `tinyforge ports` lists the ports present)' : `cannot open (${code})`}`,
    );
  }
  if (!stats.isCharacterDevice())
    throw new TinyforgeError(`--port ${port}: not a serial port (${stats.isDirectory() ? 'a directory' : 'not a character device'})`);
  // Linux's major number 1 is the memory devices (/dev/null, /dev/zero, /dev/random): never a UART
  if (process.platform === 'linux' && ((stats.rdev >> 8) & 0xfff) === 1) throw new TinyforgeError(`--port ${port}: not a serial port (a memory device)`);
}

/**
 * A run that finished but whose outputs differ from the reference: the report is already on stdout;
 * stderr gets the one `error:` line every failure has, and the exit status is 3 (not 1: the tool
 * worked, the model's outputs did not match).
 */
export function reportMismatch(message: string): void {
  process.stderr.write(`error: ${terminalText(message)}\n`);
  process.exitCode = 3;
}
