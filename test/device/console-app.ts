// SPDX-License-Identifier: Apache-2.0
/**
 * Builds the console app (fixtures/console_app: a firmware that prints a few lines and exits) for a
 * board with the board's own startup, UART driver and linker script, as the harness is built.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { familyFirmwareDirs, familyFirmwareSources } from '../../src/lab/toolchain/firmware.ts';
import { FIRMWARE_DIR, findBoard } from '../../src/core/targets/targets.ts';
import { findTool, runTool } from '../../src/lab/toolchain/toolchain.ts';
import { finishRp2040Image } from '../../src/lab/toolchain/rp2040_image.ts';

const CONSOLE_APP = resolve(import.meta.dirname, 'fixtures/console_app/console_app.c');

/**
 * The ELF (and for RP2040 boards firmware.uf2 beside it). `pause`: loop iterations before the last
 * lines (about 16 ms per million on qemu-mps2-an386); `status`: what the firmware exits with.
 */
export async function buildConsoleApp(boardName: string, outDir: string, options: { pause: number; status: number }): Promise<string> {
  const { target, board } = findBoard(boardName);
  const cc = findTool(target.toolchain.cc, target.toolchain.install);
  mkdirSync(outDir, { recursive: true });
  const script = join(FIRMWARE_DIR, board.linkerScript!);
  const elf = join(outDir, 'firmware.elf');
  const args = [
    ...target.toolchain.cflags,
    ...Object.entries(board.defines).map(([name, value]) => `-D${name}=${value}`),
    `-DTF_CONSOLE_APP_PAUSE=${options.pause}u`,
    `-DTF_CONSOLE_APP_STATUS=${options.status}`,
    `-I${join(FIRMWARE_DIR, 'common')}`,
    ...familyFirmwareDirs(target.firmware).map((d) => `-I${d}`),
    CONSOLE_APP,
    ...familyFirmwareSources(target.firmware),
    ...(board.sources ?? []).map((s) => join(FIRMWARE_DIR, s)),
    ...target.toolchain.ldflags,
    `-T${script}`,
    `-L${dirname(script)}`,
    '-o',
    elf,
  ];
  const built = await runTool(cc, args);
  writeFileSync(join(outDir, 'build.log'), `$ ${cc} ${args.join(' ')}\n${built.stderr}`);
  if (built.code !== 0) throw new Error(`building the console app for ${boardName} failed:\n${built.stderr}`);
  if (target.firmware === 'rp2040') finishRp2040Image(elf, target);
  return elf;
}
