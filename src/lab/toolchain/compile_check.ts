// SPDX-License-Identifier: Apache-2.0
/**
 * Compile-checking generated C for a target whose firmware is not built here (the Xtensa ESP32 and
 * ESP32-S3). Every .c of the model is compiled under -Werror and nothing is linked, with the target's
 * own compiler and ESP-IDF's flags (xtensa-esp32-elf-gcc, xtensa-esp32s3-elf-gcc: on PATH, in the
 * reference-runtimes folder or in an ESP-IDF install, see compilers.ts) where one is found, else with
 * the descriptor's labelled fallback, Debian's xtensa-lx106-elf-gcc (the ESP8266's call0 core, no C
 * library): that only proves the C is warning-free Xtensa C. Nothing is measured either way.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { FIRMWARE_DIR, loadTarget } from '../../core/targets/targets.ts';
import { MODEL_STRICT_CFLAGS, firstErrorLines, isCompiledSource, objectStem, runTool } from './toolchain.ts';
import { findCompiler } from './compilers.ts';

export interface CompileCheckOptions {
  target: string;
  /** directory holding the generated <name>.h and its .c files */
  modelDir: string;
  /** where the objects and the log go */
  outDir: string;
  extraCflags?: string[];
  /** where compilers are looked for (PATH, TINYFORGE_TFLM_TOOLS, IDF_TOOLS_PATH); default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface CompileCheckResult {
  target: string;
  /** the compiler's command name */
  compiler: string;
  /** null when the target's own compiler checked; else what the fallback compiler's check proves */
  fallback: string | null;
  /** the model's .c files, each compiled without a warning */
  checked: string[];
}

/** <string.h> declarations for the fallback compiler, which has no C library (firmware/esp32/compile-check). */
export const CHECK_INCLUDE_DIR = join(FIRMWARE_DIR, 'esp32', 'compile-check');

export async function compileCheck(options: CompileCheckOptions): Promise<CompileCheckResult> {
  const target = loadTarget(options.target);
  const modelDir = resolve(options.modelDir);
  const outDir = resolve(options.outDir);
  const compiler = findCompiler(target, options.env);
  const cc = compiler.path;
  const sources = readdirSync(modelDir).filter(isCompiledSource).sort();
  if (sources.length === 0) throw new TinyforgeError(`${modelDir}: no .c or .S files to check`);
  mkdirSync(outDir, { recursive: true });
  const libcStandIn = compiler.fallback === null ? [] : ['-isystem', CHECK_INCLUDE_DIR];
  const flags = [...compiler.cflags, ...MODEL_STRICT_CFLAGS, ...(options.extraCflags ?? []), `-I${modelDir}`, ...libcStandIn];
  const log: string[] = [];
  for (const source of sources) {
    const args = [...flags, '-c', join(modelDir, source), '-o', join(outDir, `${objectStem(source)}.o`)];
    const result = await runTool(cc, args);
    log.push(`$ ${cc} ${args.join(' ')}\n${result.stderr}`);
    if (result.code !== 0 || result.stderr.trim() !== '') {
      writeFileSync(join(outDir, 'check.log'), log.join('\n'));
      throw new TinyforgeError(
        `compile check of ${source} for ${target.name} failed: ${firstErrorLines(result.stderr).join(' | ') || 'no message'} (${compiler.fallback === null ? '' : `checked with ${compiler.name}, the fallback; `}full log: ${join(outDir, 'check.log')})`,
      );
    }
  }
  writeFileSync(join(outDir, 'check.log'), log.join('\n'));
  return { target: target.name, compiler: compiler.name, fallback: compiler.fallback, checked: sources };
}
