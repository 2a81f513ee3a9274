// SPDX-License-Identifier: Apache-2.0
/**
 * Espressif's QEMU (machines esp32, esp32s3 in qemu-system-xtensa, esp32c3 in qemu-system-riscv32)
 * as an ESP chip on a serial line: the machine starts with the chip's own ROM, its SPI flash a file
 * (`-drive file=F,if=mtd,format=raw`), its strapping pins set through the GPIO block's `strap_mode`
 * property (download mode: the ROM's serial loader waits on UART0; flash boot: the ROM loads the
 * image at the chip's boot offset), and UART0 connected as a TCP client to a socket we listen on.
 *
 * Flashing is what a devkit does: start in download mode, flash through the ROM loader
 * (`flashEsp`), then "reset with BOOT released": the machine ends and starts again in flash boot
 * mode on the same flash file.
 *
 * Facts of this emulator (checked by test/device/esp-qemu.test.ts):
 * - strap_mode: ESP32 0x0f = UART_BOOT(UART0), 0x12 flash; ESP32-C3 0x02 = UART0_BOOT, 0x08 flash;
 *   ESP32-S3 0x07 = UART0_BOOT, 0x04 flash (0x00 is DOWNLOAD(USB/UART0)).
 * - the S3's UART model derives its baud rate from a 1 MHz reference the S3 has not, so the ROM's
 *   115200 divider makes it take bytes at about 2.9 kbaud: a 1 KiB block takes 3.6 s (`lineBaud`).
 * - the ESP32 machine's flash reads through SPI1 return zeros to the ROM: writes reach the file,
 *   but the ROM's SPI_FLASH_MD5 hashes zeros, so verifying fails there (and the ROM's own write
 *   check can answer "flash write error").
 */
import { existsSync, openSync, closeSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { TinyforgeError } from '../../../core/errors.ts';
import { toolsFolder } from '../../toolchain/compilers.ts';
import { DETACHED, trackChild } from '../../lifecycle.ts';
import { listenForSerial } from '../transport/tcp.ts';
import type { Transport } from '../transport/transport.ts';
import { type EspFlashOptions, type EspFlashReport, type EspImage, flashEsp } from './flash.ts';

export interface EspMachine {
  /** the ROM's name of the chip */
  chip: 'ESP32' | 'ESP32-C3' | 'ESP32-S3';
  /** QEMU's executable and machine */
  qemu: 'qemu-system-xtensa' | 'qemu-system-riscv32';
  machine: string;
  /** the GPIO block whose strap_mode property sets the boot mode */
  gpio: string;
  downloadStrap: number;
  flashStrap: number;
  /** the rate the ROM takes bytes in on this emulator (see above) */
  lineBaud: number;
  /** where the ROM looks for the first image */
  bootOffset: number;
}

export const ESP_MACHINES: Record<'esp32' | 'esp32c3' | 'esp32s3', EspMachine> = {
  esp32: {
    chip: 'ESP32',
    qemu: 'qemu-system-xtensa',
    machine: 'esp32',
    gpio: 'esp32.gpio',
    downloadStrap: 0x0f,
    flashStrap: 0x12,
    lineBaud: 115200,
    bootOffset: 0x1000,
  },
  esp32c3: {
    chip: 'ESP32-C3',
    qemu: 'qemu-system-riscv32',
    machine: 'esp32c3',
    gpio: 'esp32c3.gpio',
    downloadStrap: 0x02,
    flashStrap: 0x08,
    lineBaud: 115200,
    bootOffset: 0x0,
  },
  esp32s3: {
    chip: 'ESP32-S3',
    qemu: 'qemu-system-xtensa',
    machine: 'esp32s3',
    gpio: 'esp32s3.gpio',
    downloadStrap: 0x07,
    flashStrap: 0x04,
    lineBaud: 2880,
    bootOffset: 0x0,
  },
};

export type EspMachineName = keyof typeof ESP_MACHINES;

export function espMachine(name: string): EspMachine {
  const machine = (ESP_MACHINES as Record<string, EspMachine | undefined>)[name];
  if (!machine) throw new TinyforgeError(`no emulated ESP machine '${name}' (${Object.keys(ESP_MACHINES).join(', ')})`);
  return machine;
}

/** Espressif's QEMU for `machine`: $TINYFORGE_TFLM_TOOLS/esp-qemu/bin (docs/reference-runtimes.md), or undefined. */
export function findEspQemu(machine: EspMachine, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = join(toolsFolder(env), 'esp-qemu', 'bin', machine.qemu);
  return existsSync(path) ? path : undefined;
}

/** A flash file of `bytes` (2, 4, 8 or 16 MiB), erased (0xff), with `images` written in. */
export function writeFlashFile(path: string, bytes: number, images: readonly EspImage[] = []): void {
  if (![2, 4, 8, 16].map((m) => m * 1024 * 1024).includes(bytes)) throw new TinyforgeError(`an emulated ESP flash is 2, 4, 8 or 16 MiB, not ${bytes} bytes`);
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, 0);
    const chunk = Buffer.alloc(1024 * 1024, 0xff);
    for (let at = 0; at < bytes; at += chunk.length) writeSync(fd, chunk, 0, chunk.length, at);
    for (const image of images) writeSync(fd, image.data, 0, image.data.length, image.offset);
  } finally {
    closeSync(fd);
  }
}

export interface EspQemuOptions {
  /** the SPI flash's file (written by the machine) */
  flashFile: string;
  /** 'download': the ROM's serial loader; 'flash': boot the image in flash */
  mode: 'download' | 'flash';
  /** Espressif's QEMU executable (default: found by `findEspQemu`) */
  qemu?: string;
  /**
   * UART0 as a TCP socket we hold (default: `transport`), or as a pseudo-terminal (`ptyPath`) that
   * whoever talks to the chip opens like a devkit's port (QEMU drops what the chip sends while
   * nobody holds it: the ROM's banner, not the harness's answers)
   */
  link?: 'tcp' | 'pty';
  /** limit for the machine to connect its UART or name its pty (default 10 s) */
  startTimeoutMs?: number;
}

export interface RunningEspQemu {
  machine: EspMachine;
  /** UART0 (link 'tcp') */
  transport?: Transport;
  /** UART0 (link 'pty') */
  ptyPath?: string;
  /** settles when QEMU has ended */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** ends QEMU (SIGKILL) and closes the line; safe to call twice */
  stop(): Promise<void>;
}

/** The QEMU command line of `machine` in `mode`, UART0 a TCP client of 127.0.0.1:`port` (or a pty: port null). */
export function espQemuArgs(machine: EspMachine, flashFile: string, mode: 'download' | 'flash', port: number | null): string[] {
  const strap = mode === 'download' ? machine.downloadStrap : machine.flashStrap;
  return [
    '-M',
    machine.machine,
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    port === null ? 'pty' : `tcp:127.0.0.1:${port}`,
    '-global',
    `driver=${machine.gpio},property=strap_mode,value=0x${strap.toString(16).padStart(2, '0')}`,
    '-drive',
    `file=${flashFile},if=mtd,format=raw`,
  ];
}

export async function startEspQemu(machineName: string, options: EspQemuOptions): Promise<RunningEspQemu> {
  const machine = espMachine(machineName);
  const qemu = options.qemu ?? findEspQemu(machine);
  if (!qemu) throw new TinyforgeError(`${machine.qemu} (Espressif's QEMU) not found in ${join(toolsFolder(), 'esp-qemu', 'bin')} (set TINYFORGE_TFLM_TOOLS)`);
  const pty = options.link === 'pty';
  const listener = pty ? null : await listenForSerial();
  const child = trackChild(
    spawn(qemu, espQemuArgs(machine, options.flashFile, options.mode, listener?.port ?? null), { stdio: ['ignore', 'pipe', 'pipe'], ...DETACHED }),
  );
  let output = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => ((stderr += d), (output += d)));
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', () => resolve({ code: null, signal: null }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  }).finally(() => (ended = true));
  const name = `${machine.machine} (${qemu.split('/').pop()} UART0)`;
  const stopQemu = () => {
    if (!ended) child.kill('SIGKILL');
  };
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const exitedEarly = exited.then((e): never => {
    throw new TinyforgeError(
      `${name}: QEMU exited with status ${e.code ?? e.signal ?? '?'} before its UART was up${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`,
    );
  });
  exitedEarly.catch(() => {});
  let transport: Transport | undefined;
  let ptyPath: string | undefined;
  try {
    if (listener) transport = await Promise.race([listener.accept(timeoutMs, name), exitedEarly]);
    else {
      const named = new Promise<string>((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          const found = /char device redirected to (\/dev\/pts\/\d+)/.exec(output)?.[1];
          if (found || Date.now() - started > timeoutMs) {
            clearInterval(poll);
            if (found) resolve(found);
            else reject(new TinyforgeError(`${name}: QEMU did not name its pseudo-terminal within ${timeoutMs} ms`));
          }
        }, 20);
        void exited.then(() => clearInterval(poll));
      });
      ptyPath = await Promise.race([named, exitedEarly]);
    }
  } catch (e) {
    stopQemu();
    throw e;
  } finally {
    listener?.close();
  }
  return {
    machine,
    transport,
    ptyPath,
    exited,
    stderr: () => stderr,
    async stop() {
      stopQemu();
      await transport?.close();
      await exited;
    },
  };
}

export interface EmulatedEspFlash {
  report: EspFlashReport;
  /** the machine started again in flash boot mode (`run`), its UART0 where the image talks */
  running?: RunningEspQemu;
}

/**
 * Flashes `images` into the emulated chip's flash file through its ROM loader, in download mode;
 * with `run` (default) the machine then starts again from flash, as a devkit's reset with BOOT
 * released does, and is handed back running.
 */
export async function flashEmulatedEsp(
  name: string,
  flashFile: string,
  images: EspImage[],
  options: Omit<EspFlashOptions, 'run'> & { run?: boolean; qemu?: string; /** UART0 of the machine that runs the image */ runLink?: 'tcp' | 'pty' } = {},
): Promise<EmulatedEspFlash> {
  const machine = espMachine(name);
  const loader = await startEspQemu(name, { flashFile, mode: 'download', qemu: options.qemu });
  const line = loader.transport!;
  let report: EspFlashReport;
  try {
    // FLASH_END's reboot brings the ROM back into download mode (the straps still say so): the
    // restart below is the reset with BOOT released
    report = await flashEsp(line, images, { lineBaud: machine.lineBaud, ...options, chip: machine.chip, run: options.run ?? true });
  } finally {
    await loader.stop();
  }
  if (!(options.run ?? true)) return { report };
  return { report, running: await startEspQemu(name, { flashFile, mode: 'flash', qemu: options.qemu, link: options.runLink }) };
}
