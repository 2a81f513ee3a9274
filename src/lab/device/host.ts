// SPDX-License-Identifier: Apache-2.0
/**
 * Runs a `--target host` harness executable (firmware/host/host_main.c) on input bytes and returns
 * its raw outputs. Sanitizer reports and harness errors become a TinyforgeError quoting the report.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { runTool } from '../toolchain/toolchain.ts';
import { makeTempFolder, removeTempFolder } from '../lifecycle.ts';

export interface HostRunOptions {
  /** default 60 s; sanitizer builds of big models are slow */
  timeoutMs?: number;
  /** further arguments after the input file (a profile build's layers file) */
  extraArgs?: string[];
  /** run the cases back to back with the model's state carried, not each from reset state */
  carryState?: boolean;
}

export interface HostRun {
  /** the output tensors of every case, concatenated in case order then output order */
  outputs: Uint8Array;
  /** what the executable wrote to stderr (sanitizer warnings would show here) */
  stderr: string;
}

/** `inputBytes`: one or more cases back to back, each all input tensors concatenated. */
export async function runOnHost(executable: string, inputBytes: Uint8Array, options: HostRunOptions = {}): Promise<HostRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = makeTempFolder('host');
  try {
    const inputFile = join(dir, 'input.bin');
    writeFileSync(inputFile, inputBytes);
    const args = [...(options.carryState ? ['--carry-state'] : []), inputFile, ...(options.extraArgs ?? [])];
    const result = await runTool(resolve(executable), args, { timeoutMs });
    if (result.signal === 'SIGKILL') throw new TinyforgeError(`${executable}: no result within ${timeoutMs} ms, killed`);
    if (result.code !== 0) {
      throw new TinyforgeError(`${executable} failed (status ${result.code ?? result.signal}): ${reportLine(result.stderr)}`);
    }
    return { outputs: new Uint8Array(result.stdout), stderr: result.stderr };
  } finally {
    removeTempFolder(dir);
  }
}

/** The line of a failure report that names the problem (sanitizer summary or harness error). */
function reportLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line = lines.find((l) => /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|^error: /.test(l)) ?? lines[0] ?? 'no message';
  return line.replace(/^==\d+==/, '');
}
