// SPDX-License-Identifier: Apache-2.0
/**
 * Every command's output for people fits 100 columns (src/face/report/layout.ts): on the shared
 * models, inspect and compile each one, run and profile on an emulated board and for a real one
 * (--board nucleo-l4r5zi, its core's emulator), validate, boards, targets; stdout and stderr,
 * piped (no color). The device commands run side by side: they wait on the emulator more than
 * they use a core.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyforgeAsync } from './async-cli.ts';
import { SHARED_MODEL_NAMES, goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { TERMINAL_COLUMNS, columns } from '../../src/face/report/layout.ts';
import { describeBoards, formatBoards } from '../../src/face/cli/boards.ts';
import { describeTargets, formatTargets } from '../../src/face/cli/targets.ts';
import { createProgram } from '../../src/face/cli/program.ts';

/** A command run in this process (no spawn: inspect and compile start in milliseconds), its stdout and stderr captured. */
async function inProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string; elapsedMs: number }> {
  const started = Date.now();
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((out.stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((out.stderr += chunk), true)) as typeof process.stderr.write;
  try {
    await createProgram().parseAsync(['node', 'tinyforge', ...args]);
    return { status: 0, ...out, elapsedMs: Date.now() - started };
  } catch (e) {
    return { status: 1, stdout: out.stdout, stderr: `${out.stderr}${(e as Error).message}`, elapsedMs: Date.now() - started };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

/** The lines of `text` wider than the terminal (an `error:` line is one line however long: it may be). */
function tooWide(text: string): string[] {
  return text.split('\n').filter((line) => columns(line) > TERMINAL_COLUMNS && !/^(error|internal error): /.test(line));
}

/** Runs `jobs` at most `parallel` at a time, in order. */
async function inTurn<T>(jobs: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

describe('CLI: every line fits 100 columns', function () {
  const dir = mkdtempSync(join(tmpdir(), 'tf-widths-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('boards and targets fit by default; --wide keeps the full tables', () => {
    expect(tooWide(formatBoards(describeBoards()))).to.deep.equal([]);
    expect(tooWide(formatTargets(describeTargets()))).to.deep.equal([]);
    expect(formatBoards(describeBoards(), true)).to.match(/^board +chip +core \(target\) +flash +ram +clock +wait states +uA\/MHz +flashing +kind$/m);
    expect(formatTargets(describeTargets(), true)).to.match(/instructions: SysTick x 40 under QEMU -icount shift=0/);
  });

  it('inspect, compile, run, profile, validate, boards and targets on the shared models', async function () {
    if (!sharedModelsAvailable(this)) return;
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const hello = sharedModelPath('hello_world_int8');
    const inputs = join(dir, 'hello_inputs.bin');
    writeFileSync(inputs, Buffer.concat(goldenCases('hello_world_int8').map((c) => c.input)));
    // the commands that compile only, here; those that build and run, spawned side by side
    const local: string[][] = [
      ['boards'],
      ['targets'],
      ...SHARED_MODEL_NAMES.map((m) => ['inspect', sharedModelPath(m)]),
      ...SHARED_MODEL_NAMES.map((m) => ['compile', sharedModelPath(m), '-o', join(dir, m)]),
      ['compile', sharedModelPath('person_detect'), '--board', 'nucleo-l4r5zi', '-o', join(dir, 'person_detect_l4')],
    ];
    const spawned: string[][] = [
      ['run', hello, '--link', 'stdio'],
      ['run', sharedModelPath('person_detect'), '--board', 'nucleo-l4r5zi', '--link', 'stdio'],
      ['profile', hello, '--link', 'stdio'],
      ['profile', hello, '--board', 'nucleo-l4r5zi', '--link', 'stdio'],
      // --verbose: every figure's basis (the datasheet current behind the energy), wrapped
      ['run', hello, '--board', 'nucleo-l4r5zi', '--link', 'stdio', '--verbose'],
      ['profile', hello, '--board', 'nucleo-l4r5zi', '--link', 'stdio', '--verbose'],
      ['validate', hello, '--inputs', inputs, '--link', 'stdio'],
    ];
    const results = [];
    for (const args of local) results.push(await inProcess(args));
    results.push(
      ...(await inTurn(
        spawned.map((args) => () => tinyforgeAsync(args)),
        3,
      )),
    );
    const commands = [...local, ...spawned];
    for (const [i, r] of results.entries()) {
      const what = `tinyforge ${commands[i]!.join(' ')}`;
      expect(r.status, `${what}: ${r.stderr}`).to.equal(0);
      expect(tooWide(r.stdout), `${what} (stdout)`).to.deep.equal([]);
      expect(tooWide(r.stderr), `${what} (stderr)`).to.deep.equal([]);
    }
    // the short summary: a table, with the provenance left to --verbose
    const run = results[commands.findIndex((c) => c[0] === 'run' && c.includes('--board'))]!.stdout;
    expect(run).to.match(/^per inference +est\. ms +est\. uJ +arena +stack +flash +fits$/m);
    expect(run).to.match(/^[\d,]+ instructions +[\d.,]+ +[\d.,]+ +[\d.]+ KiB +\d+ B +[\d.]+ KiB +yes \(nucleo-l4r5zi\)$/m);
    expect(run).to.not.match(/datasheet/);
  });
});
