// SPDX-License-Identifier: Apache-2.0
/**
 * A generated model's C with the ESP32-S3 SIMD kernels (`isa: { s3simd: true }`) run on Espressif's
 * QEMU `esp32s3` machine, which executes the PIE instructions: the C is compiled to assembly by
 * Debian's `xtensa-lx106-elf-gcc` (CALL0 ABI; the `ee.*` inline asm passes through as text),
 * assembled by the S3's `xtensa-esp32s3-elf-as` and linked by its `ld` with
 * firmware/xtensa/s3-check/esp32s3-check-start.S and esp32s3_check_main.c, then loaded with `-kernel`.
 * The lx106 compiler has no C library: firmware/esp32/compile-check/string.h declares what the
 * generated C calls, esp32s3_check_main.c defines it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { CompiledModel } from '../../src/core/compile.ts';
import { PIE_LINKER_SCRIPT, pieTools, pieToolsMissing } from './s3pie.ts';

const FIRMWARE = resolve(import.meta.dirname, '../../firmware');
const CC = 'xtensa-lx106-elf-gcc';
const CFLAGS = ['-O2', '-mlongcalls', '-ffreestanding', '-std=c99', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections'];

/** What is missing to run generated kernels on the esp32s3 machine, or null. */
export function s3KernelToolsMissing(): string | null {
  const missing = pieToolsMissing();
  if (missing) return missing;
  try {
    execFileSync(CC, ['--version'], { stdio: 'pipe' });
  } catch {
    return `${CC} not found (apt-get install gcc-xtensa-lx106)`;
  }
  return null;
}

/**
 * Every case (one byte array per model input) run from reset state on the esp32s3 machine: the
 * outputs of all cases, back to back, as the firmware wrote them, and how many `ee.*` instructions
 * the compiled code holds.
 */
export function runCompiledOnEsp32s3(compiled: CompiledModel, cases: Uint8Array[][]): { outputs: Uint8Array; pieInstructions: number } {
  const t = pieTools();
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-s3kernels-'));
  try {
    for (const f of compiled.generated.files) writeFileSync(join(dir, f.name), f.text);
    const header = compiled.generated.files.find((f) => f.role === 'header')!.name;
    const inputs = cases.flatMap((c) => c.flatMap((b) => Array.from(b)));
    writeFileSync(
      join(dir, 'tf_check_cases.c'),
      `const unsigned char tf_check_inputs[] = {${inputs.join(', ') || '0'}};\nconst int tf_check_cases = ${cases.length};\n`,
    );
    const sources = [
      ...compiled.generated.files.filter((f) => f.name.endsWith('.c')).map((f) => join(dir, f.name)),
      join(dir, 'tf_check_cases.c'),
      join(FIRMWARE, 'xtensa', 's3-check', 'esp32s3_check_main.c'),
    ];
    const objects = [join(dir, 'start.o')];
    let pieInstructions = 0;
    execFileSync(t.as, ['-o', objects[0]!, join(FIRMWARE, 'xtensa', 's3-check', 'esp32s3-check-start.S')], { stdio: 'pipe' });
    for (const [k, src] of sources.entries()) {
      const asm = join(dir, `${k}_${basename(src, '.c')}.s`);
      const extra = src.endsWith('esp32s3_check_main.c') ? ['-fno-tree-loop-distribute-patterns', `-DTF_MODEL_HEADER="${header}"`] : [];
      execFileSync(CC, [...CFLAGS, ...extra, '-I', dir, '-I', join(FIRMWARE, 'esp32', 'compile-check'), '-S', src, '-o', asm], { stdio: 'pipe' });
      pieInstructions += (readFileSync(asm, 'utf8').match(/^\s*ee\./gm) ?? []).length;
      const object = asm.replace(/\.s$/, '.o');
      execFileSync(t.as, ['-o', object, asm], { stdio: 'pipe' });
      objects.push(object);
    }
    const libgcc = execFileSync(CC, ['-print-libgcc-file-name'], { encoding: 'utf8' }).trim();
    const elf = join(dir, 'check.elf');
    // the lx106 libgcc's objects carry the CALL0 ABI tag, which the S3 linker warns of: all of this is CALL0
    execFileSync(t.ld, ['-T', PIE_LINKER_SCRIPT, '--gc-sections', '-o', elf, ...objects, libgcc], { stdio: 'pipe' });
    const out = execFileSync(t.qemu, ['-M', 'esp32s3', '-nographic', '-monitor', 'none', '-semihosting', '-kernel', elf], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    });
    return { outputs: new Uint8Array(out), pieInstructions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
