// SPDX-License-Identifier: Apache-2.0
/**
 * Builds our AN3155 loader (firmware/loader/loader.c) for an emulated board: the board's own
 * startup, UART driver and linker script, linked at the start of code memory, with the
 * application's offset (the board descriptor's `loader.flashOffset`) baked in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import { familyFirmwareDirs, familyFirmwareSources } from '../../toolchain/firmware.ts';
import { embeddedSizes, parseSizeOutput } from '../../toolchain/sizes.ts';
import { FIRMWARE_DIR, type BoardDescriptor, type TargetDescriptor } from '../../../core/targets/targets.ts';
import { findTool, firstErrorLines, runTool } from '../../toolchain/toolchain.ts';

/** The loader needs little stack: a few frames, no recursion. */
const LOADER_STACK_BYTES = 4096;

export interface LoaderBuild {
  elf: string;
  /** bytes of code memory the loader occupies (must stay below the application's offset) */
  flashBytes: number;
}

export async function buildLoader(target: TargetDescriptor, board: BoardDescriptor, outDir: string): Promise<LoaderBuild> {
  if (!board.loader || board.linkerScript === undefined) throw new TinyforgeError(`${board.name} has no loader: its image is loaded by the emulator`);
  if (target.firmware !== 'cortex-m') throw new TinyforgeError(`${board.name}: the AN3155 loader is Cortex-M firmware, not for ${target.firmware}`);
  const cc = findTool(target.toolchain.cc, target.toolchain.install);
  const size = findTool(target.toolchain.size, target.toolchain.install);
  mkdirSync(outDir, { recursive: true });

  const sources = [join(FIRMWARE_DIR, 'loader', 'loader.c'), ...familyFirmwareSources('cortex-m'), ...(board.sources ?? []).map((s) => join(FIRMWARE_DIR, s))];
  const script = join(FIRMWARE_DIR, board.linkerScript);
  const elf = join(outDir, 'loader.elf');
  const args = [
    ...target.toolchain.cflags,
    ...Object.entries(board.defines).map(([name, value]) => `-D${name}=${value}`),
    `-DTF_LOADER_APP_OFFSET=0x${board.loader.flashOffset.toString(16)}u`,
    `-I${join(FIRMWARE_DIR, 'common')}`,
    ...familyFirmwareDirs('cortex-m').map((d) => `-I${d}`),
    ...sources,
    ...target.toolchain.ldflags,
    `-T${script}`,
    `-L${dirname(script)}`,
    `-Wl,--defsym=__stack_size=${LOADER_STACK_BYTES}`,
    `-Wl,-Map=${join(outDir, 'loader.map')}`,
    '-o',
    elf,
  ];
  const built = await runTool(cc, args);
  writeFileSync(join(outDir, 'loader-build.log'), `$ ${cc} ${args.join(' ')}\n${built.stderr}`);
  if (built.code !== 0) {
    throw new TinyforgeError(
      `building the loader for ${board.name} failed: ${firstErrorLines(built.stderr).join(' | ')} (log: ${join(outDir, 'loader-build.log')})`,
    );
  }
  const measured = await runTool(size, ['-A', '-d', elf]);
  if (measured.code !== 0) throw new TinyforgeError(`${target.toolchain.size} failed on ${elf}`);
  const flashBytes = embeddedSizes(parseSizeOutput(measured.stdout.toString('utf8'), elf)).flash;
  if (flashBytes > board.loader.flashOffset) {
    throw new TinyforgeError(
      `${board.name}: the loader takes ${flashBytes} bytes of code memory, more than the application offset ${board.loader.flashOffset}`,
    );
  }
  return { elf, flashBytes };
}
