// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge monitor`: a board's console on the terminal, each line with the time it arrived
 * (docs/monitor.md). A real board through its serial port, or an emulated board running a firmware
 * given here; Ctrl-C ends it, and an emulated board ends it by exiting.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { isModelFile } from '../../core/model/load.ts';
import { takeInterrupt } from '../../lab/lifecycle.ts';
import { type ConsoleLine, consoleBaud, openMonitor } from '../../lab/device/monitor.ts';
import { findBoard } from '../../core/targets/targets.ts';
import { baudOption, checkBaudNeedsPort, requireSerialPort } from './device-options.ts';
import { terminalText } from '../report/terminal_text.ts';
import { withStarterApp } from '../../lab/run/starter_app.ts';

export type TimestampKind = 'relative' | 'wall';

interface MonitorFlags {
  projectApp?: boolean;
  port?: string;
  baud?: number;
  board?: string;
  timestamps: TimestampKind;
  json?: boolean;
}

/** Escape sequences a firmware colours its log with (ESP-IDF's): not for a timestamped, piped line. */
const ESCAPE_SEQUENCE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** `[   1.250] text` (seconds since the console opened) or `[14:03:07.412] text` (local wall clock). */
export function formatConsoleLine(line: ConsoleLine, kind: TimestampKind): string {
  const stamp = kind === 'wall' ? wallClock(line.at) : (line.ms / 1000).toFixed(3).padStart(8);
  return `[${stamp}] ${line.text.replace(ESCAPE_SEQUENCE, '')}`;
}

/** One JSON object per line: `t` in seconds since the console opened, `wall` with --timestamps wall. */
export function consoleLineJson(line: ConsoleLine, kind: TimestampKind): string {
  const t = Math.round(line.ms) / 1000;
  return JSON.stringify(kind === 'wall' ? { t, wall: line.at.toISOString(), line: line.text } : { t, line: line.text });
}

function wallClock(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function timestampOption(value: string): TimestampKind {
  if (value !== 'relative' && value !== 'wall') throw new TinyforgeError(`--timestamps must be relative or wall, got '${value}'`);
  return value;
}

export function monitorCommand(): Command {
  return new Command('monitor')
    .description("a board's console with a timestamp on each line: a real board on --port, or an emulated --board running FIRMWARE")
    .argument(
      '[firmware]',
      'emulated boards: the firmware to run (an ELF; rp2040js: a UF2, or an ELF with firmware.uf2 beside it), or a model with --project-app',
    )
    .option('-p, --port <port>', "the board's serial port (tinyforge ports lists them)")
    .option('--baud <rate>', "with --port: the line's rate (default: the board's console rate with --board, else 115200)", baudOption)
    .option('-b, --board <board>', 'an emulated board to run FIRMWARE on, or the real board on --port (for its console rate)')
    .option('--project-app', 'FIRMWARE is a model: build its starter app for the emulated --board and run it (one inference, the top class)')
    .addOption(
      new Option('--timestamps <kind>', 'relative: seconds since the console opened; wall: the time of day').default('relative').argParser(timestampOption),
    )
    .option('--json', 'one JSON object per line on stdout: {"t": seconds, "line": text}')
    .action(async (firmware: string | undefined, opts: MonitorFlags) => {
      checkBaudNeedsPort(opts);
      if (opts.port) {
        if (firmware) {
          throw new TinyforgeError(`with --port the board runs what it was flashed with: flash ${firmware} first (tinyforge flash), then monitor --port`);
        }
        requireSerialPort(opts.port);
      } else if (!opts.board) {
        throw new TinyforgeError('monitor needs --port P (a real board) or --board B FIRMWARE (an emulated board)');
      }
      const isModel = firmware !== undefined && isModelFile(firmware);
      if (opts.projectApp && !isModel) {
        throw new TinyforgeError(
          "--project-app builds a model's starter app for an emulated board: monitor --board B MODEL.tflite --project-app (or MODEL.onnx)",
        );
      }
      if (isModel && !opts.projectApp) {
        throw new TinyforgeError(`${firmware} is a model: monitor runs a firmware (an ELF, a UF2), or with --project-app the model's starter app`);
      }
      const board = opts.board ? findBoard(opts.board).board : undefined;
      if (!opts.projectApp) return watchConsole(opts, firmware);
      if (!board!.emulated) {
        throw new TinyforgeError(
          `--project-app runs the starter app on an emulated board; ${board!.name} is a real board (flash your app, then monitor --port)`,
        );
      }
      if (!existsSync(firmware!)) throw new TinyforgeError(`${firmware}: model not found`);
      const progress = (message: string) => process.stderr.write(`${terminalText(message)}\n`);
      await withStarterApp(firmware!, board!.name, progress, (elf) => watchConsole(opts, elf));
    });
}

/** Shows the console until it ends; a firmware's non-zero status or a port that went away is an error. */
async function watchConsole(opts: MonitorFlags, firmware: string | undefined): Promise<void> {
  const board = opts.board ? findBoard(opts.board).board : undefined;
  const write = (line: ConsoleLine) =>
    process.stdout.write(`${opts.json ? consoleLineJson(line, opts.timestamps) : formatConsoleLine(line, opts.timestamps)}\n`);
  const monitor = await openMonitor({ port: opts.port, baudRate: opts.baud, board: opts.board, firmware, onLine: write });
  const rate = opts.port ? ` at ${consoleBaud(board, opts.baud)} baud` : '';
  process.stderr.write(`${terminalText(monitor.name)}${rate}: the console follows; Ctrl-C ends it\n`);
  const giveBack = takeInterrupt(() => void monitor.stop());
  const end = await monitor.ended;
  giveBack();
  if (end.stopped) return;
  if (end.exitStatus === 0) {
    process.stderr.write(`${terminalText(end.reason)}\n`);
    return;
  }
  throw new TinyforgeError(opts.port ? `${opts.port}: ${end.reason}` : end.reason);
}
