// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune --farm` spreads a sweep over the farm's workers: the same three-board search
 * (dense int8 of the example's MNIST CNN on the Cortex-M4, the Cortex-M33 and the RP2040) on one
 * worker that holds the three boards and runs one job at a time (`farm worker --jobs 1`: a host
 * with one core for its emulators), then on three workers of one board each. Each worker is a
 * process of its own with its own working, temporary and object-cache directories, as separate
 * hosts would be, on a Redis of its own. The three workers finish in less wall time, with the
 * same figures, every output bit-exact.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Proc, freePort, killGroup, startGroup as start, until } from '../helpers/process_group.ts';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { FarmClient } from '../../src/lab/farm/client.ts';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { requireTools } from '../build/helpers.ts';
import { writeMnistSplits } from '../compress/mnist_fixture.ts';

const BIN = join(PROJECT_ROOT, 'bin/tinyforge.js');
const MODEL = join(PROJECT_ROOT, 'examples/mnist/float/model.json');
const BOARDS = ['nucleo-l4r5zi', 'nucleo-u575zi-q', 'pico'];

describe('tune --farm: three boards on three workers against one', function () {
  let dir: string;
  let url: string;
  let redisProc: Proc | undefined;
  let redis: Redis | undefined;
  let client: FarmClient | undefined;
  const procs: Proc[] = [];

  before(async function () {
    if (spawnSync('redis-server', ['--version']).status !== 0)
      skipAbsent('redis-server not installed (apt-get install redis-server)', 'skipping tune --farm', this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-tune-farm-'));
    writeMnistSplits(dir, 200, 50);
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redisProc = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], dir);
    procs.push(redisProc);
    await until('redis-server to answer', () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG', 20_000);
    redis = new Redis(url, { maxRetriesPerRequest: null });
    redis.on('error', () => {});
    client = new FarmClient(redis);
  });

  after(async () => {
    await client?.close().catch(() => {});
    redis?.disconnect();
    for (const p of procs) killGroup(p);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A worker as a host of its own: its working, temporary and object-cache directories. */
  function startWorker(name: string, boards: string[], extra: string[] = []): Proc {
    const home = join(dir, 'hosts', name);
    mkdirSync(join(home, 'tmp'), { recursive: true });
    const env = { ...process.env, TMPDIR: join(home, 'tmp'), TINYFORGE_CACHE_DIR: join(home, 'objects') };
    const w = start(process.execPath, [BIN, 'farm', 'worker', '--farm', url, '--boards', boards.join(','), '--name', name, ...extra], home, env);
    procs.push(w);
    return w;
  }

  /** The search on the farm's workers: dense int8 on the three boards, its three builds queued together. */
  async function sweep(name: string, workers: Proc[]): Promise<{ doc: any; seconds: number; logs: string[] }> {
    await until(`${workers.length} workers to beat`, async () => (await client!.workers()).length === workers.length);
    const started = Date.now();
    const args = [
      'tune',
      MODEL,
      '--data',
      join(dir, 'train.npz'),
      '--eval',
      join(dir, 'test.npz'),
      '--boards',
      BOARDS.join(','),
      '--farm',
      url,
      ...['--channels', 'none', '--losses', 'none', '--weight-bits', 'none', '--palette-bits', 'none'],
      ...['--prefer', 'speed', '--qat-above', 'never', '--calib-samples', '50', '--device-samples', '1'],
      '--search-dir',
      join(dir, name),
      '--json',
    ];
    const run = start(process.execPath, [BIN, ...args], dir);
    procs.push(run);
    const code = await run.exited;
    const seconds = (Date.now() - started) / 1000;
    expect(code, `${run.err}\n${workers.map((w) => w.out).join('\n')}`).to.equal(0);
    // the workers stop here: the next sweep's workers are alone on the farm
    for (const w of workers) killGroup(w);
    await until('the workers to leave', async () => (await client!.workers()).length === 0, 30_000);
    return { doc: expectSchemaValid(run.out.trim().split('\n').at(-1)!, 'tune'), seconds, logs: workers.map((w) => w.out) };
  }

  it('three workers of one board each finish the sweep sooner than one that runs a job at a time', async () => {
    const one = await sweep('one', [startWorker('host-all', BOARDS, ['--jobs', '1'])]);
    const three = await sweep(
      'three',
      BOARDS.map((b, i) => startWorker(`host-${i + 1}`, [b])),
    );
    for (const [run, workers] of [
      [one, BOARDS.map(() => 'host-all')],
      [three, BOARDS.map((_, i) => `host-${i + 1}`)],
    ] as const) {
      expect(run.doc.boards.map((b: any) => b.board)).to.deep.equal(BOARDS);
      run.doc.boards.forEach((b: any, i: number) => {
        expect(b.measured, b.board).to.have.length(1);
        const p = b.measured[0];
        expect(p.ranOn).to.equal(`${workers[i]}/${b.board}`);
        expect(p.bitExact.matched, `${b.board} on ${p.ranOn}`).to.equal(p.bitExact.total);
      });
    }
    // --jobs 1: each job on the one worker starts after the one before it has its result
    const steps = one.logs[0]!.split('\n').flatMap((l) => (/ job \S+ run /.test(l) ? ['start'] : / job \S+ result written/.test(l) ? ['end'] : []));
    expect(steps.join(' '), one.logs[0]).to.equal('start end start end start end');
    // the same builds: the same flash and estimated ms wherever they ran
    three.doc.boards.forEach((b: any, i: number) => {
      const a = one.doc.boards[i].measured[0];
      expect([b.measured[0].flash, b.measured[0].ms], b.board).to.deep.equal([a.flash, a.ms]);
    });
    console.log(`    three boards: one worker ${one.seconds.toFixed(1)} s, three workers ${three.seconds.toFixed(1)} s`);
    expect(three.seconds).to.be.lessThan(one.seconds);
  });
});
