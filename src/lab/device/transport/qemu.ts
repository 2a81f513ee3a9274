// SPDX-License-Identifier: Apache-2.0
/**
 * Starts an emulated board's QEMU with its UART as the serial line of the device protocol:
 *
 * - `pty`: `-serial pty`, started paused (`-S`) with QMP on stdio. QEMU prints
 *   "char device redirected to /dev/pts/N"; we open that pseudo-terminal with serialport like any
 *   port, and only then send QMP `cont`, because QEMU drops what the board sends while nobody holds
 *   the pty. The same path as a real board's port.
 * - `stdio`: QEMU's stdin/stdout pipes. On a board whose firmware has the semihosting console
 *   (TF_SEMIHOSTING_CONSOLE in its descriptor's defines: the MPS2/MPS3 and micro:bit boards) the
 *   harness is told so on its semihosting command line and speaks over SYS_READ/SYS_WRITE, which
 *   QEMU 7.2 does on its own stdin/stdout; the UART is not connected (`-serial null`). Why: QEMU
 *   passes a UART one byte per pass of its main loop, about 60 us a byte, while SYS_READ takes up to
 *   256 bytes a call (a 27 KB input: 1.6 s -> under 0.1 s). Elsewhere `-serial stdio`, the UART.
 *   The default where the semihosting console is there; else `pty`.
 *
 * The board descriptor's own arguments (targets/*.json) are kept except the serial and monitor
 * choices. The transport closes when QEMU exits (the harness ends a session through semihosting).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { TinyforgeError } from '../../../core/errors.ts';
import { DETACHED, trackChild } from '../../lifecycle.ts';
import type { BoardDescriptor, EmulatorSpec } from '../../../core/targets/targets.ts';
import { writeDromFlashFile } from '../esp/flash_window.ts';
import { SerialTransport } from './serial.ts';
import { StdioTransport } from './stdio.ts';
import type { Transport } from './transport.ts';
import { withTimeout } from '../../timeout.ts';

export type EmulatorLink = 'pty' | 'stdio';

export interface EmulatorExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningEmulator {
  transport: Transport;
  /** settles when the emulator process has ended */
  exited: Promise<EmulatorExit>;
  /** what the emulator wrote to stderr so far */
  stderr(): string;
  /** ends the emulator at once (SIGKILL); safe after it exited */
  kill(): void;
}

export interface StartOptions {
  link: EmulatorLink;
  /** a TCG plugin and its arguments (`-plugin`): the timing model's trace */
  plugin?: string;
  /** limit for QEMU to come up and (pty) to name its pseudo-terminal and take `cont` */
  startTimeoutMs?: number;
}

/** Where an ELF's flash file goes when its board's arguments name `{drom-flash}` (flash_window.ts). */
const DROM_FLASH = '{drom-flash}';
const dromFlashFile = (elf: string) => `${elf}.drom-flash.bin`;

/** What the firmware looks for on its semihosting command line (firmware/cortex-m/semihosting.h). */
export const SEMIHOSTING_CONSOLE_ARG = 'tinyforge-console=semihosting';

/** Whether the board's firmware can take the device protocol over the semihosting console. */
export const hasSemihostingConsole = (board: BoardDescriptor): boolean => board.defines?.TF_SEMIHOSTING_CONSOLE !== undefined;

/** The link an emulated board runs on when none is asked for: the faster one it has. */
export const defaultLink = (board: BoardDescriptor): EmulatorLink => (hasSemihostingConsole(board) ? 'stdio' : 'pty');

/**
 * The descriptor's QEMU arguments with the serial line and monitor chosen for `link`;
 * `semihostingConsole`: the stdio link carried by the firmware's semihosting console.
 */
export function qemuArgs(emulator: EmulatorSpec, elf: string, link: EmulatorLink, semihostingConsole = false): string[] {
  const args: string[] = [];
  const given = emulator.args.map((a) => (a === '{elf}' ? elf : a.replace(DROM_FLASH, dromFlashFile(elf))));
  const semihosted = link === 'stdio' && semihostingConsole;
  for (let i = 0; i < given.length; i++) {
    if (given[i] === '-serial' || given[i] === '-monitor' || given[i] === '-qmp') {
      i++; // drop the option and its value; ours follow
      continue;
    }
    args.push(given[i]!);
    // the command line the firmware reads (SYS_GET_CMDLINE) asks for the semihosting console
    if (semihosted && given[i] === '-semihosting-config' && i + 1 < given.length) args.push(`${given[++i]},arg=${SEMIHOSTING_CONSOLE_ARG}`);
  }
  if (semihosted && !args.includes('-semihosting-config'))
    throw new TinyforgeError("a semihosting console needs -semihosting-config in the board's emulator arguments");
  if (link === 'pty') args.push('-serial', 'pty', '-monitor', 'none', '-qmp', 'stdio', '-S');
  else args.push('-serial', semihosted ? 'null' : 'stdio', '-monitor', 'none');
  return args;
}

/**
 * QEMU processes still running. A program using the library that ends (or throws) without closing
 * its session must not leave them behind: QEMU outlives its parent, paused or spinning, holding the
 * pty. One listener for all of them (not one each: a fuzz run starts many).
 */
const liveEmulators = new Set<ChildProcessByStdio<Writable, Readable, Readable>>();
process.on('exit', () => {
  for (const child of liveEmulators) child.kill('SIGKILL');
});

export async function startQemu(board: BoardDescriptor, command: string, elf: string, options: StartOptions): Promise<RunningEmulator> {
  if (!board.emulator) throw new TinyforgeError(`${board.name} is not an emulated board`);
  const args = qemuArgs(board.emulator, elf, options.link, hasSemihostingConsole(board));
  // the ESP32's weights are read from flash through the data cache: its SPI flash file holds them
  if (board.emulator.args.some((a) => a.includes(DROM_FLASH))) writeDromFlashFile(dromFlashFile(elf), new Uint8Array(readFileSync(elf)), elf);
  if (options.plugin) args.unshift('-plugin', options.plugin);
  const child = trackChild(spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...DETACHED }) as ChildProcessByStdio<Writable, Readable, Readable>);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  let exitInfo: EmulatorExit | null = null;
  liveEmulators.add(child);
  const exited = new Promise<EmulatorExit>((resolve, reject) => {
    child.on('error', (e) => {
      liveEmulators.delete(child);
      reject(new TinyforgeError(`cannot start ${command}: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      liveEmulators.delete(child);
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  exited.catch(() => {});
  const describeExit = () => {
    const why = stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('char device redirected'));
    return `${board.name}: ${command} exited with status ${exitInfo?.code ?? exitInfo?.signal ?? '?'}${why ? ` (${why})` : ''}`;
  };
  const kill = () => {
    if (exitInfo === null) child.kill('SIGKILL');
  };
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;

  try {
    if (options.link === 'stdio') {
      const transport = new StdioTransport(child, `${board.name} (${command} stdio)`, describeExit);
      return { transport, exited, stderr: () => stderr, kill };
    }
    // QEMU 7.2 prints the pty's name on stdout, ahead of the QMP greeting (older ones on stderr)
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    const qmp = new QmpClient(child);
    const ptyPath = await withTimeout(
      waitFor(() => /char device redirected to (\/dev\/pts\/\d+)/.exec(stdout + stderr)?.[1], [child.stdout, child.stderr], exited, describeExit),
      startTimeoutMs,
      `${board.name}: ${command} did not name its pseudo-terminal within ${startTimeoutMs} ms`,
    );
    const serial = await SerialTransport.open(ptyPath);
    const transport = new EmulatorPtyTransport(serial, `${ptyPath} (${board.name})`, exited, describeExit);
    await withTimeout(qmp.handshakeAndContinue(), startTimeoutMs, `${board.name}: QMP did not answer within ${startTimeoutMs} ms`);
    return { transport, exited, stderr: () => stderr, kill };
  } catch (e) {
    kill();
    throw e;
  }
}

/** The pty's serial transport, closing also when QEMU exits (a pty does not always report that). */
class EmulatorPtyTransport implements Transport {
  private readonly listeners: ((reason: string) => void)[] = [];
  private closedReason: string | null = null;

  constructor(
    private readonly serial: SerialTransport,
    readonly name: string,
    exited: Promise<EmulatorExit>,
    describeExit: () => string,
  ) {
    const fire = (reason: string) => {
      if (this.closedReason !== null) return;
      this.closedReason = reason;
      for (const l of this.listeners) l(reason);
    };
    exited.then(
      () => fire(describeExit()),
      () => {},
    );
    serial.onClose((reason) => fire(reason));
  }
  write(bytes: Uint8Array): Promise<void> {
    return this.serial.write(bytes);
  }
  onData(listener: (bytes: Uint8Array) => void): void {
    this.serial.onData(listener);
  }
  onClose(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }
  close(): Promise<void> {
    return this.serial.close();
  }
}

/** Just enough QMP (JSON lines on QEMU's stdio) to leave the -S pause. */
class QmpClient {
  private buffer = '';
  private readonly pending: ((message: Record<string, unknown>) => void)[] = [];
  private readonly queued: Record<string, unknown>[] = [];

  constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    child.stdout.on('data', (d: string) => {
      this.buffer += d;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline).trim();
        this.buffer = this.buffer.slice(newline + 1);
        if (line === '') continue;
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if ('event' in message) continue;
        const waiter = this.pending.shift();
        if (waiter) waiter(message);
        else this.queued.push(message);
      }
    });
  }

  private next(): Promise<Record<string, unknown>> {
    const ready = this.queued.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.pending.push(resolve));
  }

  private async execute(command: string): Promise<void> {
    this.child.stdin.write(`${JSON.stringify({ execute: command })}\n`);
    const answer = await this.next();
    if ('error' in answer) throw new TinyforgeError(`QMP ${command} failed: ${JSON.stringify(answer.error)}`);
  }

  async handshakeAndContinue(): Promise<void> {
    const greeting = await this.next();
    if (!('QMP' in greeting)) throw new TinyforgeError(`QMP: unexpected greeting ${JSON.stringify(greeting).slice(0, 80)}`);
    await this.execute('qmp_capabilities');
    await this.execute('cont');
  }
}

function waitFor<T>(probe: () => T | undefined, sources: Readable[], exited: Promise<EmulatorExit>, describeExit: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = probe();
      if (found !== undefined) {
        for (const source of sources) source.off('data', check);
        resolve(found);
      }
    };
    for (const source of sources) source.on('data', check);
    exited.then(() => reject(new TinyforgeError(describeExit())), reject);
    check();
  });
}
