// SPDX-License-Identifier: Apache-2.0
/**
 * A board's console as lines of text (`tinyforge monitor`): a real board's serial port, or an
 * emulated board started here with a firmware, its UART read as the emulator runs it. Each line
 * carries the time it was complete, counted from when the console opened.
 *
 * QEMU boards run with their UART on the emulator's stdio (the pipe exists from the first
 * instruction, so the firmware's first line is never lost); rp2040js runs in this process.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type BoardDescriptor, findBoard } from '../../core/targets/targets.ts';
import { findEmulator } from '../toolchain/compilers.ts';
import { startRp2040js } from './rp2040/board.ts';
import { type RunningEmulator, startQemu } from './transport/qemu.ts';
import { SerialTransport } from './transport/serial.ts';
import type { Transport } from './transport/transport.ts';
import { within } from '../timeout.ts';

export interface ConsoleLine {
  /** milliseconds from when the console opened to when the line's newline arrived */
  ms: number;
  /** the wall clock at that moment */
  at: Date;
  /** the line without its line ending */
  text: string;
}

export interface MonitorEnd {
  /** why the console ended, for a message: "qemu-mps2-an386: the firmware exited with status 0" */
  reason: string;
  /** an emulated firmware's exit status (semihosting, or the rp2040js `bkpt`); null otherwise */
  exitStatus: number | null;
  /** ended by `stop()` (Ctrl-C), not by the board or the port */
  stopped: boolean;
}

export interface MonitorOptions {
  /** a real board's serial port */
  port?: string;
  /** the port's rate (default: the board's console rate from its descriptor, else 115200) */
  baudRate?: number;
  /** an emulated board to start with `firmware`, or the real board behind `port` (for its console rate) */
  board?: string;
  /** the firmware an emulated board runs: an ELF (QEMU), a UF2 or an ELF with firmware.uf2 beside it (rp2040js) */
  firmware?: string;
  onLine: (line: ConsoleLine) => void;
  /** milliseconds of a monotonic clock (tests give their own) */
  now?: () => number;
}

export interface Monitor {
  /** the port path, or the board and its emulator */
  name: string;
  /** settles when the console ends: the emulator exited, the port went away, or `stop()` */
  ended: Promise<MonitorEnd>;
  /** ends the console (kills the emulator, closes the port); the last partial line is still delivered */
  stop(): Promise<void>;
}

/** The rate a board's console runs at where neither the user nor the board says otherwise. */
export const DEFAULT_MONITOR_BAUD = 115200;

/**
 * Bytes in, complete lines out: `\n`, `\r\n` and a lone `\r` each end a line (firmwares use all
 * three). Bytes are decoded as UTF-8 across chunk boundaries.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  /** a `\r` ended the last chunk: a `\n` opening the next one belongs to it */
  private afterCarriageReturn = false;

  constructor(private readonly emit: (text: string) => void) {}

  push(bytes: Uint8Array): void {
    let text = this.decoder.decode(bytes, { stream: true });
    if (this.afterCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.afterCarriageReturn = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\n' && ch !== '\r') continue;
      this.emit(this.pending + text.slice(start, i));
      this.pending = '';
      if (ch === '\r') {
        if (i + 1 === text.length) this.afterCarriageReturn = true;
        else if (text[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.pending += text.slice(start);
  }

  /** Delivers what is left of an unfinished line (the console ended in mid-line). */
  flush(): void {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    if (rest !== '') this.emit(rest);
  }
}

/** The rate to open a real port at: the user's, else the board's console rate, else 115200. */
export function consoleBaud(board: BoardDescriptor | undefined, baudRate: number | undefined): number {
  return baudRate ?? board?.hardware?.console.baud ?? DEFAULT_MONITOR_BAUD;
}

export async function openMonitor(options: MonitorOptions): Promise<Monitor> {
  const now = options.now ?? (() => performance.now());
  const board = options.board ? findBoard(options.board).board : undefined;
  let transport: Transport;
  let emulator: RunningEmulator | null = null;
  const startedAt = now();
  if (options.port) {
    transport = await SerialTransport.open(options.port, { baudRate: consoleBaud(board, options.baudRate) });
  } else {
    if (!board) throw new TinyforgeError('monitor needs --port (a serial port) or --board (an emulated board and its firmware)');
    if (!board.emulated || !board.emulator) {
      const console = board.hardware?.console;
      const where = console ? ` (its console: ${console.uart} at ${console.baud} baud, through ${console.via})` : '';
      throw new TinyforgeError(`${board.name} is a real board: give --port /dev/ttyXXX${where}`);
    }
    if (!options.firmware) throw new TinyforgeError(`${board.name} is emulated: give the firmware it runs (monitor --board ${board.name} FIRMWARE)`);
    const firmware = resolve(options.firmware);
    if (!existsSync(firmware)) throw new TinyforgeError(`${firmware}: firmware not found`);
    if (board.emulator.inProcess) {
      emulator = startRp2040js(board, firmware);
    } else {
      const command = findEmulator(board.emulator);
      emulator = await startQemu(board, command, firmware, { link: 'stdio' });
    }
    transport = emulator.transport;
  }

  const splitter = new LineSplitter((text) => {
    const ms = now() - startedAt;
    options.onLine({ ms, at: new Date(), text });
  });
  transport.onData((bytes) => splitter.push(bytes));
  let stopped = false;
  let stopRequested!: () => void;
  const stopping = new Promise<void>((r) => (stopRequested = r));
  const closed = new Promise<string>((resolveClosed) => transport.onClose(resolveClosed));
  // the pipe's last bytes may come after the process's exit: the transport's close follows them
  const closedSoon = () => within(closed, 500, () => '');
  const ended = (async (): Promise<MonitorEnd> => {
    let reason: string;
    let exitStatus: number | null = null;
    if (emulator) {
      const exit: { code: number | null; error?: string } = await emulator.exited.catch((e: Error) => ({ code: null, error: e.message }));
      const closedReason = await closedSoon();
      if (exit.error !== undefined) reason = exit.error;
      else if (exit.code !== null && !stopped) {
        exitStatus = exit.code;
        // a status with something on stderr is the emulator's own failure (a bad image), which it explains
        reason =
          exit.code !== 0 && emulator.stderr().trim() !== '' && closedReason !== ''
            ? closedReason
            : `${board!.name}: the firmware exited with status ${exit.code}`;
      } else reason = closedReason || `${board!.name}: the emulator ended`;
    } else {
      reason = await Promise.race([closed, stopping.then(() => 'stopped')]);
    }
    splitter.flush();
    return { reason: stopped ? 'stopped' : reason, exitStatus, stopped };
  })();
  return {
    name: emulator && board?.emulator ? (board.emulator.command === board.name ? board.name : `${board.name} (${board.emulator.command})`) : transport.name,
    ended,
    async stop() {
      if (stopped) return;
      stopped = true;
      stopRequested();
      emulator?.kill();
      await transport.close().catch(() => {});
      await ended;
    },
  };
}
