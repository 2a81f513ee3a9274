// SPDX-License-Identifier: Apache-2.0
/**
 * The device harness (firmware/common) built for the ESP32-C3 booted by its own ROM, as an ESP image
 * for flash offset 0x0: the esp32c3 target's compiler and flags (riscv64-unknown-elf-gcc, picolibc,
 * rv32imc), firmware/riscv/startup.c (stack painting, trap vector, .data/.bss), the C3's platform and
 * linker script in firmware/esp32c3/ (UART0 at 0x60000000, code in IRAM, the rest in DRAM), then
 * `espAppImageFromElf`. Flashed through the ROM loader, the chip (Espressif's QEMU, machine
 * esp32c3) boots it and it answers the device protocol on UART0.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { TinyforgeError } from '../../../core/errors.ts';
import { FIRMWARE_DIR, loadTarget } from '../../../core/targets/targets.ts';
import { findTool } from '../../toolchain/toolchain.ts';
import { espAppImageFromElf } from './app_image.ts';

/** how HELLO names the board */
export const ESP32C3_QEMU_BOARD = 'esp32c3-qemu';

export interface Esp32c3Harness {
  elf: string;
  /** the ESP image for flash offset 0x0 */
  image: string;
  /** 16 hex digits, as HELLO reports it */
  buildId: string;
}

const run = promisify(execFile);

export async function buildEsp32c3Harness(modelDir: string, outDir: string): Promise<Esp32c3Harness> {
  const target = loadTarget('esp32c3');
  const cc = findTool(target.toolchain.cc, target.toolchain.install);
  const model = resolve(modelDir);
  const modelSources = readdirSync(model)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(model, f));
  if (modelSources.length === 0) throw new TinyforgeError(`${modelDir}: no .c files to build`);
  const firmware = [
    join(FIRMWARE_DIR, 'common', 'harness.c'),
    join(FIRMWARE_DIR, 'common', 'harness_model.c'),
    join(FIRMWARE_DIR, 'common', 'tf_frame.c'),
    join(FIRMWARE_DIR, 'common', 'stack_paint.c'),
    join(FIRMWARE_DIR, 'riscv', 'startup.c'),
    join(FIRMWARE_DIR, 'esp32c3', 'platform_esp32c3.c'),
  ];
  const sources = [...modelSources, ...firmware];
  const hash = createHash('sha256').update(`${target.name}\0${ESP32C3_QEMU_BOARD}\0${target.toolchain.cflags.join('\0')}\0`);
  for (const source of sources) hash.update(`${basename(source)}\0`).update(readFileSync(source));
  const buildId = hash.digest('hex').slice(0, 16);
  const flags = [
    ...target.toolchain.cflags,
    `-DTF_TARGET_NAME="${target.name}"`,
    `-DTF_BOARD_NAME="${ESP32C3_QEMU_BOARD}"`,
    '-DTF_CORE_CLOCK_HZ=160000000u',
    `-DTF_BUILD_ID=0x${buildId}ull`,
    `-I${model}`,
    `-I${join(FIRMWARE_DIR, 'common')}`,
    `-I${join(FIRMWARE_DIR, 'riscv')}`,
  ];
  const elf = join(outDir, 'harness.elf');
  const fail = (e: unknown): never => {
    const stderr = (e as { stderr?: string }).stderr ?? (e as Error).message;
    throw new TinyforgeError(`building the ESP32-C3 harness failed: ${stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  };
  // compiled and linked apart: the link's -march (no zicsr) picks the C library's multilib, the
  // compile's (with zicsr) lets the startup and platform code read the CSRs
  const objects: string[] = [];
  for (const [i, source] of sources.entries()) {
    const object = join(outDir, `${i}_${basename(source, '.c')}.o`);
    await run(cc, [...flags, '-c', source, '-o', object], { maxBuffer: 16 * 1024 * 1024 }).catch(fail);
    objects.push(object);
  }
  const link = [...target.toolchain.cflags.filter((f) => !f.startsWith('-march')), ...target.toolchain.ldflags];
  await run(cc, [...link, '-T', join(FIRMWARE_DIR, 'esp32c3', 'harness.ld'), `-Wl,-Map=${join(outDir, 'harness.map')}`, ...objects, '-o', elf], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch(fail);
  const image = join(outDir, 'harness.bin');
  writeFileSync(image, espAppImageFromElf('ESP32-C3', new Uint8Array(readFileSync(elf)), elf));
  return { elf, image, buildId };
}
