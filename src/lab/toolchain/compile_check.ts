// SPDX-License-Identifier: Apache-2.0
/**
 * Compile-checking generated C for a target whose firmware cannot be built here (the Xtensa ESP32 and
 * ESP32-S3: Debian ships only the ESP8266's xtensa-lx106-elf-gcc, whose call0 ABI cannot build the
 * ESP32's windowed-ABI firmware). Every .c of the model is compiled with the target's flags under
 * -Werror and nothing is linked: it proves the C is warning-free Xtensa C, and measures nothing.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { FIRMWARE_DIR, loadTarget } from '../../core/targets/targets.ts';
import { MODEL_STRICT_CFLAGS, findTool, firstErrorLines, isCompiledSource, objectStem, runTool } from './toolchain.ts';

export interface CompileCheckOptions {
  target: string;
  /** directory holding the generated <name>.h and its .c files */
  modelDir: string;
  /** where the objects and the log go */
  outDir: string;
  extraCflags?: string[];
}

export interface CompileCheckResult {
  target: string;
  compiler: string;
  /** the model's .c files, each compiled without a warning */
  checked: string[];
}

/** <string.h> declarations for a compiler without a C library (firmware/esp32/compile-check). */
const CHECK_INCLUDE_DIR = join(FIRMWARE_DIR, 'esp32', 'compile-check');

export async function compileCheck(options: CompileCheckOptions): Promise<CompileCheckResult> {
  const target = loadTarget(options.target);
  const modelDir = resolve(options.modelDir);
  const outDir = resolve(options.outDir);
  const cc = findTool(target.toolchain.cc, target.toolchain.install);
  const sources = readdirSync(modelDir).filter(isCompiledSource).sort();
  if (sources.length === 0) throw new TinyforgeError(`${modelDir}: no .c or .S files to check`);
  mkdirSync(outDir, { recursive: true });
  const flags = [...target.toolchain.cflags, ...MODEL_STRICT_CFLAGS, ...(options.extraCflags ?? []), `-I${modelDir}`, `-isystem`, CHECK_INCLUDE_DIR];
  const log: string[] = [];
  for (const source of sources) {
    const args = [...flags, '-c', join(modelDir, source), '-o', join(outDir, `${objectStem(source)}.o`)];
    const result = await runTool(cc, args);
    log.push(`$ ${cc} ${args.join(' ')}\n${result.stderr}`);
    if (result.code !== 0 || result.stderr.trim() !== '') {
      writeFileSync(join(outDir, 'check.log'), log.join('\n'));
      throw new TinyforgeError(
        `compile check of ${source} for ${target.name} failed: ${firstErrorLines(result.stderr).join(' | ') || 'no message'} (full log: ${join(outDir, 'check.log')})`,
      );
    }
  }
  writeFileSync(join(outDir, 'check.log'), log.join('\n'));
  return { target: target.name, compiler: target.toolchain.cc, checked: sources };
}
