/**
 * Runs a harness firmware on an emulated board (QEMU for the MPS2 boards) and reads its console.
 * The emulator command line comes from the board's entry in the target descriptor. A run that does
 * not end within the timeout is killed and reported with the last thing the board printed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinyforgeError } from '../errors.ts';
import { findBoard } from '../build/targets.ts';
import { findTool } from '../build/toolchain.ts';
import { type BoardRun, harnessError, lastLine, parseHarnessOutput } from './harness-output.ts';

export interface BoardRunOptions {
  /** `--board` name, e.g. `qemu-mps2-an386` */
  board: string;
  /** firmware built for that board by buildFirmware */
  elf: string;
  /** hard limit for the whole run, emulator start-up included */
  timeoutMs: number;
  /** when given, a different number of case results is an error */
  expectedCases?: number;
}

interface EmulatorExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export async function runOnBoard(options: BoardRunOptions): Promise<BoardRun> {
  const { board } = findBoard(options.board);
  if (!board.emulated || !board.emulator) {
    throw new TinyforgeError(`${board.name} is a real board: it is reached through a serial port, not run here`);
  }
  const elf = resolve(options.elf);
  if (!existsSync(elf)) throw new TinyforgeError(`${elf}: firmware not found`);
  const command = findTool(board.emulator.command, board.emulator.install);
  const args = board.emulator.args.map((a) => (a === '{elf}' ? elf : a));

  const exit = await runEmulator(command, args, options.timeoutMs);
  if (exit.timedOut) {
    throw new TinyforgeError(
      `${board.name}: no result within ${options.timeoutMs} ms (firmware hung or too slow), killed; last output: ${JSON.stringify(lastLine(exit.stdout))}`,
    );
  }
  const reported = harnessError(exit.stdout);
  if (reported !== undefined) {
    throw new TinyforgeError(`${board.name}: firmware reported: ${reported} (exit status ${exit.code ?? exit.signal})`);
  }
  if (exit.code !== 0) {
    const why = exit.stderr.split('\n').find((l) => l.trim() !== '')?.trim() ?? `last output: ${JSON.stringify(lastLine(exit.stdout))}`;
    throw new TinyforgeError(`${board.name}: ${board.emulator.command} exited with status ${exit.code ?? exit.signal}: ${why}`);
  }
  return parseHarnessOutput(exit.stdout, board.name, board.counter, options.expectedCases);
}

function runEmulator(command: string, args: string[], timeoutMs: number): Promise<EmulatorExit> {
  return new Promise((resolvePromise, reject) => {
    // stdin closed: the console is output-only for this harness, and QEMU must not grab a terminal.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new TinyforgeError(`cannot start ${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}
