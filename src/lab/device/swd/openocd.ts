// SPDX-License-Identifier: Apache-2.0
/**
 * Flashing through OpenOCD (Debian's `openocd`, 0.12 here): for boards whose on-board probe is an
 * ST-LINK or a J-Link, which do not speak CMSIS-DAP. OpenOCD runs with the board's interface and
 * target configuration (chips.ts) and `program FILE [ADDRESS] verify [reset] exit`; its own flash
 * drivers erase, write and read back. Its output decides the outcome: the image is reported flashed
 * only when OpenOCD printed "** Verified OK **" and exited with 0.
 *
 * The child leads its own process group and is tracked by lifecycle.ts: on a timeout, an error or an
 * interruption the whole group is stopped, so no openocd is left holding the probe.
 */
import { spawn } from 'node:child_process';
import { TinyforgeError } from '../../../core/errors.ts';
import { DETACHED, trackChild } from '../../lifecycle.ts';
import { findTool } from '../../toolchain/toolchain.ts';
import type { ProbeSpec } from './probe.ts';

export interface OpenOcdOptions {
  /** the image file as the user gave it (.elf, .hex, .bin) */
  file: string;
  /** where a .bin goes */
  address?: number;
  /** interface and target arguments (chips.ts) */
  config: string[];
  probe: Extract<ProbeSpec, { kind: 'openocd' }>;
  board: string;
  noGo?: boolean;
  /** default 120 s */
  timeoutMs?: number;
  progress?: (message: string) => void;
  /** the executable (default: openocd on PATH) */
  command?: string;
}

export interface OpenOcdReport {
  probe: string;
  verified: true;
  started: boolean;
  elapsedMs: number;
  /** OpenOCD's version line */
  version?: string;
}

/** Quotes a path for a Tcl command line (OpenOCD's -c): braces keep spaces and specials literal. */
function tclQuote(text: string): string {
  if (/[{}\\]/.test(text)) throw new TinyforgeError(`${text}: OpenOCD cannot be given a path with braces or backslashes; rename or copy the image`);
  return `{${text}}`;
}

/** OpenOCD's argument list for a flash. */
export function openOcdArgs(options: OpenOcdOptions): string[] {
  const serial = options.probe.serial ? ['-c', `adapter serial ${tclQuote(options.probe.serial)}`] : [];
  const at = options.address === undefined ? '' : ` 0x${options.address.toString(16)}`;
  const program = `program ${tclQuote(options.file)}${at} verify${options.noGo ? '' : ' reset'} exit`;
  return [...serial, ...options.config, '-c', program];
}

/** What OpenOCD's output says went wrong, in one line, or undefined when it reads as a success. */
export function openOcdFailure(output: string, board: string): string | undefined {
  // (a "checksum mismatch" alone is not a failure: OpenOCD then compares the bytes and may pass)
  if (/\*\* Verify Failed \*\*|^diff \d+ address/m.test(output))
    return 'OpenOCD read the flash back and it differs from the image (verify failed); the image is not flashed';
  if (/\*\* Programming Failed \*\*/.test(output)) {
    const why = lastError(output);
    if (noProbe(output)) return noProbeMessage(board, why);
    return `OpenOCD could not program the flash${why ? `: ${why}` : ''}`;
  }
  if (noProbe(output) || /\*\* OpenOCD init failed \*\*/.test(output)) return noProbeMessage(board, lastError(output));
  if (/\*\* Unable to reset target \*\*/.test(output))
    return `OpenOCD reached the probe but could not reset and halt the target${lastError(output) ? `: ${lastError(output)}` : ''}`;
  if (/Can't find (\S+)/.test(output)) return `OpenOCD has no configuration ${/Can't find (\S+)/.exec(output)![1]} (an older openocd? 0.12 has it)`;
  if (!/\*\* Verified OK \*\*/.test(output)) return `OpenOCD did not report the image verified${lastError(output) ? `: ${lastError(output)}` : ''}`;
  return undefined;
}

function noProbe(output: string): boolean {
  return /open failed|No J-Link device found|unable to find a matching CMSIS-DAP device|No device found|could not find|LIBUSB_ERROR|Error connecting DP|init mode failed/i.test(
    output,
  );
}

function noProbeMessage(board: string, why: string | undefined): string {
  return `OpenOCD found no probe or no target for ${board} (USB cable, the board's power, udev permissions for the probe)${why ? `: ${why}` : ''}`;
}

function lastError(output: string): string | undefined {
  const errors = output.split(/\r?\n/).filter((l) => /^Error:/.test(l.trim()));
  return errors[errors.length - 1]?.trim().replace(/^Error:\s*/, '');
}

function missing(command: string): TinyforgeError {
  return new TinyforgeError(`--probe openocd: ${command} not found; install it (apt-get install openocd) or use a CMSIS-DAP probe (--probe cmsis-dap)`);
}

export async function flashWithOpenOcd(options: OpenOcdOptions): Promise<OpenOcdReport> {
  const started = Date.now();
  const command = options.command ?? 'openocd';
  // found before anything is printed: a missing openocd is the only line
  try {
    findTool(command, 'apt-get install openocd');
  } catch {
    throw missing(command);
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  const args = openOcdArgs(options);
  options.progress?.(`openocd ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const child = trackChild(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...DETACHED }));
  let output = '';
  const steps: [RegExp, string][] = [
    [/\*\* Programming Started \*\*/, 'OpenOCD: programming'],
    [/\*\* Verify Started \*\*/, 'OpenOCD: verifying'],
    [/\*\* Resetting Target \*\*/, 'OpenOCD: resetting the target'],
  ];
  const take = (chunk: Buffer) => {
    const before = output;
    output += chunk.toString('utf8');
    for (const [re, message] of steps) if (!re.test(before) && re.test(output)) options.progress?.(message);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const stopGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // gone already
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 500).unref();
  };
  const outcome = await new Promise<{ code: number | null; timedOut: boolean; missing: boolean }>((resolve) => {
    const timer = setTimeout(() => {
      stopGroup();
      resolve({ code: null, timedOut: true, missing: false });
    }, timeoutMs);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: null, timedOut: false, missing: e.code === 'ENOENT' });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut: false, missing: false });
    });
  });
  // whatever happened, nothing of the group stays behind (openocd holds the probe while it lives)
  stopGroup();
  if (outcome.missing) throw missing(command);
  if (outcome.timedOut)
    throw new TinyforgeError(`--probe openocd: OpenOCD did not finish in ${timeoutMs / 1000} s and was stopped; the image is not known to be flashed`);
  const failure = openOcdFailure(output, options.board);
  if (failure) throw new TinyforgeError(`--probe openocd: ${failure}`);
  if (outcome.code !== 0) throw new TinyforgeError(`--probe openocd: OpenOCD exited with ${outcome.code}${lastError(output) ? `: ${lastError(output)}` : ''}`);
  return {
    probe: `openocd${options.probe.serial ? `:${options.probe.serial}` : ''}`,
    verified: true,
    started: !options.noGo,
    elapsedMs: Date.now() - started,
    version: /Open On-Chip Debugger (\S+)/.exec(output)?.[1],
  };
}
