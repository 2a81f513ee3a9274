// SPDX-License-Identifier: Apache-2.0
/**
 * An interrupted command leaves nothing behind: no emulator or compiler still running, no temporary
 * folder, one line saying what happened, and the exit status of the signal (128 + its number).
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

/** Processes whose command line mentions `text` (the private temp dir of the run). */
function processesMentioning(text: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

/** Starts `tinyforge args` with its own TMPDIR, sends `signal` once stderr matches `when`, and waits for the exit. */
function interrupt(
  args: string[],
  when: RegExp,
  signal: NodeJS.Signals,
  temp: string,
): Promise<{ status: number | null; stderr: string; seenAtSignal: string[] }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'bin/tinyforge.js'), ...args], { cwd: PROJECT_ROOT, env: { ...process.env, TMPDIR: temp } });
    let stderr = '';
    let sent = false;
    let seenAtSignal: string[] = [];
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (!sent && when.test(stderr)) {
        sent = true;
        // let the step get going: signal once a child of the run (the emulator, the compiler) is
        // seen, polled rather than after a fixed delay, which a loaded machine can outrun or lag
        const started = Date.now();
        const poll = setInterval(() => {
          seenAtSignal = processesMentioning(temp);
          if (seenAtSignal.length > 0 || Date.now() - started > 20_000) {
            clearInterval(poll);
            child.kill(signal);
          }
        }, 100);
        child.on('close', () => clearInterval(poll));
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stderr, seenAtSignal });
    });
  });
}

describe('CLI: interrupted commands leave nothing behind', function () {
  const temps: string[] = [];
  after(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
  const privateTemp = () => {
    const t = mkdtempSync(join(tmpdir(), 'tf-interrupt-'));
    temps.push(t);
    return t;
  };

  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
  });

  for (const [signal, status, when] of [
    ['SIGTERM', 143, /running on qemu/],
    ['SIGINT', 130, /building for/],
  ] as [NodeJS.Signals, number, RegExp][]) {
    it(`${signal} while ${when.source.replace(/ qemu|for/, '')}: children stopped, temp folder removed, one line, exit ${status}`, async () => {
      const temp = privateTemp();
      const r = await interrupt(['run', sharedModelPath('person_detect'), '--target', 'cortex-m4'], when, signal, temp);
      expect(r.status, r.stderr).to.equal(status);
      expect(r.stderr.trim().split('\n').pop()).to.match(new RegExp(`^error: interrupted by ${signal}`));
      expect(r.seenAtSignal.length, 'a child of the run was alive when the signal came').to.be.greaterThan(0);
      await new Promise((d) => setTimeout(d, 200));
      expect(processesMentioning(temp), 'processes left running').to.deep.equal([]);
      // tsx keeps its own cache there, and so does the timing model's QEMU plugin (built once per source version)
      expect(
        readdirSync(temp).filter((f) => !f.startsWith('tsx-') && f !== 'tinyforge-qemu-plugins'),
        'temporary files left',
      ).to.deep.equal([]);
    });
  }

  // compile writes a folder; palettize (a compression command) a .tflite, after its per-layer lines on stderr
  for (const [command, args, output, progressLines] of [
    ['compile', (out: string) => ['-o', out], (out: string) => out, false],
    ['palettize', (out: string) => ['--bits', '4', '-o', `${out}.tflite`], (out: string) => `${out}.tflite`, true],
  ] as const) {
    it(`SIGINT during ${command}: stopped before anything is written, one line, exit 130`, async () => {
      const temp = privateTemp();
      const out = join(temp, 'out');
      const model = sharedModelPath('person_detect');
      // the process signals itself as it reads the model (test/support/interrupt-on-read.mjs): the
      // signal is pending through the whole synchronous work, on a fast machine or a loaded one
      const preload = pathToFileURL(resolve(PROJECT_ROOT, 'test/support/interrupt-on-read.mjs')).href;
      const r = spawnSync(process.execPath, ['--import', preload, resolve(PROJECT_ROOT, 'bin/tinyforge.js'), command, model, ...args(out)], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TMPDIR: temp, TINYFORGE_TEST_INTERRUPT_ON_READ: model },
        encoding: 'utf8',
        timeout: HANG_GUARD_MS,
      });
      expect(r.status, `exit ${r.status} ${r.signal}: ${r.stderr}`).to.equal(130);
      const lines = r.stderr.trim().split('\n');
      if (!progressLines) expect(lines, r.stderr).to.have.length(1);
      expect(lines.pop()).to.match(/^error: interrupted by SIGINT/);
      expect(r.stdout, 'a summary printed after Ctrl-C').to.equal('');
      expect(existsSync(output(out)), 'an output written after Ctrl-C').to.equal(false);
    });
  }
});
