/**
 * The instruction-counting QEMU plugin (tools/qemu-plugin/insn_window.c) as the benchmark and the
 * tests use it: built with the host gcc, put on QEMU's command line through a wrapper first in PATH,
 * and aimed at the model's invoke function found in the ELF.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findTool } from '../src/lab/toolchain/index.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** Builds the plugin with the host gcc into `dir` (never committed as a binary). */
export function buildPlugin(dir: string): string {
  const so = join(dir, 'libinsn_window.so');
  execFileSync(
    'gcc',
    ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden', join(ROOT, 'tools', 'qemu-plugin', 'insn_window.c'), '-o', so],
    { stdio: 'pipe' },
  );
  return so;
}

/**
 * A `qemu-system-arm` first in PATH that adds the plugin (its arguments from the environment) to
 * the command line the device session builds, so the session runs unchanged.
 */
export function pluginWrapper(dir: string, command: string): string {
  const real = findTool(command, 'apt-get install qemu-system-arm');
  const wrapper = join(dir, command);
  writeFileSync(wrapper, `#!/bin/sh\nexec "${real}" -plugin "$TF_BENCH_PLUGIN" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return dir;
}

/** Entry of the invoke function and the return points of every call to it, from the ELF. */
export function invokeWindow(elf: string, prefix: string): { start: number; stops: number[] } {
  const symbol = `${prefix}_invoke`;
  const nm = execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' });
  const line = nm.split('\n').find((l) => l.endsWith(` ${symbol}`));
  if (!line) throw new Error(`${elf}: no symbol ${symbol}`);
  const start = parseInt(line.split(' ')[0]!, 16) & ~1;
  const dis = execFileSync('arm-none-eabi-objdump', ['-d', elf], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const stops: number[] = [];
  for (const l of dis.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(?:[0-9a-f]{4} ?){1,2}\s+bl(?:x)?\s+[0-9a-f]+ <([^>]+)>/.exec(l);
    if (m && m[2] === symbol) stops.push(parseInt(m[1]!, 16) + 4);
  }
  if (stops.length === 0) throw new Error(`${elf}: no call to ${symbol}`);
  return { start, stops };
}
