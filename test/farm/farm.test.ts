// SPDX-License-Identifier: Apache-2.0
/**
 * The board farm for real: a Redis of its own on a free loopback port (append-only, so its queues
 * survive a restart), three workers as child processes with emulated boards (Cortex-M4 on
 * qemu-mps2-an386, the RP2040 on rp2040js, the ESP32-C3's core on qemu-riscv32-virt, each kind held
 * by two workers), a sweep of two shared models, a worker killed mid-job, Redis restarted mid-sweep,
 * refused jobs, and a board taken out of rotation after three failures. No assertion times anything:
 * each wait is for a line or a state, with a generous limit for a loaded host.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { type Proc, freePort, killGroup, startGroup as start, until } from '../helpers/process_group.ts';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { FarmClient } from '../../src/lab/farm/client.ts';
import { FarmRefusal, MAX_MODEL_BYTES, checkJob, makeJob, resultKey, sha256Of } from '../../src/lab/farm/job.ts';
import { FARM_OPTIONS } from '../../src/face/cli/farm.ts';
import { detectPortBoards, emulatedSlots, portBoardOption, portSlots } from '../../src/lab/farm/ports.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';
import { skipAbsent } from '../helpers/absent.ts';

/** the CLI as a user runs it: dist/ with plain Node when it is current (npm test builds it), else the source through tsx */
const BIN = resolve(import.meta.dirname, '../../bin/tinyforge.js');
const BOARDS = ['qemu-mps2-an386', 'rp2040js', 'qemu-riscv32-virt'];
/** Each board kind on two workers, so a killed worker's job has somewhere to go. */
const WORKER_BOARDS: Record<string, string[]> = {
  w1: ['qemu-mps2-an386', 'rp2040js'],
  w2: ['rp2040js', 'qemu-riscv32-virt'],
  w3: ['qemu-riscv32-virt', 'qemu-mps2-an386'],
  // a board of its own whose emulator is broken (BROKEN_QEMU first on its PATH), so it fails every
  // job until it is taken out of rotation
  w4: ['qemu-mps2-an385'],
};

/** An emulator that dies at start as a broken board does, saying so on stderr. */
const BROKEN_QEMU = '#!/bin/sh\necho "qemu-system-arm: the board is broken" >&2\nexit 1\n';

function redisServerPresent(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

function tinyforge(args: string[]): Proc {
  return start(process.execPath, [BIN, ...args]);
}

/** Every worker's log lines that say a job's result was written (by this worker, first). */
function writtenLines(workers: Map<string, Proc>, jobId: string): string[] {
  return [...workers.values()].flatMap((w) => w.out.split('\n').filter((l) => l.includes(`job ${jobId} result written`)));
}

describe('farm: workers, sweeps and faults on BullMQ and Redis', function () {
  let dir: string;
  let port: number;
  let url: string;
  let redisProc: Proc | undefined;
  const workers = new Map<string, Proc>();
  let redis: Redis;
  let client: FarmClient;
  let failing: { id: string; job: ReturnType<typeof makeJob> }[] = [];

  async function startRedis(): Promise<void> {
    redisProc = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir]);
    await until('redis-server to answer', () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 20_000);
  }

  function startWorker(name: string): Proc {
    const args = [BIN, 'farm', 'worker', '--farm', url, '--boards', WORKER_BOARDS[name]!.join(','), '--name', name];
    const env = name === 'w4' ? { ...process.env, PATH: `${join(dir, 'broken')}${delimiter}${process.env.PATH ?? ''}` } : process.env;
    const w = start(process.execPath, args, undefined, env);
    workers.set(name, w);
    return w;
  }

  before(async function () {
    if (!redisServerPresent()) skipAbsent('redis-server not installed (apt-get install redis-server)', 'skipping the farm tests', this);
    if (!sharedModelsAvailable(this)) return;
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-farm-test-'));
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'qemu-system-arm'), BROKEN_QEMU, { mode: 0o755 });
    await startRedis();
    for (const name of Object.keys(WORKER_BOARDS)) startWorker(name);
    redis = new Redis(url, { maxRetriesPerRequest: null });
    redis.on('error', () => {});
    client = new FarmClient(redis);
    await until('four workers to beat', async () => (await client.workers()).length === 4);
    // the failing board's three jobs run beside the tests that follow
    const bytes = readFileSync(sharedModelPath('hello_world_int8'));
    const job = makeJob('profile', 'qemu-mps2-an385', { name: 'hello_world_int8.tflite', bytes }, { 'no-estimate': true }, FARM_OPTIONS);
    failing = await client.submit([job, job, job]);
  });

  after(async () => {
    await client?.close().catch(() => {});
    redis?.disconnect();
    for (const w of workers.values()) killGroup(w, 'SIGKILL');
    if (redisProc) killGroup(redisProc, 'SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let sweep: { model: string; board: string; job: string; worker: string | null; output: Record<string, unknown> | null; error: string | null }[];

  it('sweeps two models over three boards: one profile document per (model, board), each written once', async () => {
    const c = tinyforge([
      'farm',
      'sweep',
      sharedModelPath('hello_world_int8'),
      sharedModelPath('simple_add'),
      '--farm',
      url,
      '--boards',
      BOARDS.join(','),
      '--no-estimate',
      '--json',
    ]);
    expect(await c.exited, c.err).to.equal(0);
    const doc = expectSchemaValid<{ $schema: string; results: typeof sweep }>(c.out, 'farm sweep --json');
    expect(doc.$schema).to.equal('urn:tinyforge:schema:farm-sweep');
    sweep = doc.results;
    expect(sweep.map((r) => `${r.model} ${r.board}`).sort()).to.deep.equal(
      ['hello_world_int8.tflite', 'simple_add.tflite'].flatMap((m) => BOARDS.map((b) => `${m} ${b}`)).sort(),
    );
    for (const r of sweep) {
      expect(r.error, `${r.model} on ${r.board}`).to.equal(null);
      expect(r.output!.$schema).to.equal('urn:tinyforge:schema:profile');
      expectSchemaValid(r.output!, `profile on ${r.board}`);
      expect(r.output!.board).to.equal(r.board);
      expect(r.output!.matchesReference, `${r.model} on ${r.board}`).to.equal(true);
      expect(writtenLines(workers, r.job), r.job).to.have.length(1);
    }
  });

  it('a worker killed mid-job: the job finishes on another worker with the same result, reported once', async () => {
    const c = tinyforge(['profile', sharedModelPath('hello_world_int8'), '--farm', url, '--board', 'rp2040js', '--no-estimate', '--json']);
    // whichever of the two rp2040js workers takes it is killed, with the build it started
    const known = new Set(sweep.map((r) => r.job));
    const [victim, jobId] = await until('a worker to take the job', () => {
      for (const [name, w] of workers)
        for (const m of w.out.matchAll(/job (\S+) profile hello_world_int8\.tflite on rp2040js/g))
          if (!known.has(m[1]!) && writtenLines(workers, m[1]!).length === 0) return [name, m[1]!] as const;
      return undefined;
    });
    killGroup(workers.get(victim)!, 'SIGKILL');
    expect(await c.exited, c.err).to.equal(0);
    const lines = c.out.trim().split('\n');
    expect(lines).to.have.length(1);
    const output = JSON.parse(lines[0]!) as Record<string, unknown>;
    const before = sweep.find((r) => r.model === 'hello_world_int8.tflite' && r.board === 'rp2040js')!.output!;
    expect(output.outputs).to.deep.equal(before.outputs);
    expect(output.perInference).to.equal(before.perInference);
    expect(output.memory).to.deep.equal(before.memory);
    const written = writtenLines(workers, jobId);
    expect(written).to.have.length(1);
    expect(workers.get(victim)!.out).not.to.include(`job ${jobId} result written`);
    const result = JSON.parse((await redis.get(resultKey(jobId)))!) as { worker: string };
    expect(result.worker).not.to.equal(victim);
    // the host comes back
    startWorker(victim);
  });

  it('Redis restarted mid-sweep: every job finishes, none lost, none reported twice', async () => {
    // only what the workers log from here on counts as this sweep's
    const seen = new Map([...workers].map(([name, w]) => [name, w.out.length]));
    const c = tinyforge(['farm', 'sweep', sharedModelPath('hello_world_int8'), '--farm', url, '--boards', BOARDS.join(','), '--no-estimate', '--json']);
    await until('a sweep job to run', () =>
      [...workers].some(([name, w]) => /job \S+ profile hello_world_int8\.tflite on/.test(w.out.slice(seen.get(name) ?? 0))),
    );
    // SHUTDOWN writes the append-only file; the same --dir brings the queues back
    spawnSync('redis-cli', ['-p', String(port), 'shutdown'], { encoding: 'utf8' });
    await redisProc!.exited;
    await startRedis();
    expect(await c.exited, c.err).to.equal(0);
    const doc = JSON.parse(c.out) as { results: typeof sweep };
    expect(doc.results.map((r) => r.board).sort()).to.deep.equal([...BOARDS].sort());
    for (const r of doc.results) {
      expect(r.error, r.board).to.equal(null);
      expect(r.output!.matchesReference).to.equal(true);
      const earlier = sweep.find((s) => s.model === r.model && s.board === r.board)!.output!;
      expect(r.output!.outputs).to.deep.equal(earlier.outputs);
      expect(writtenLines(workers, r.job), r.job).to.have.length(1);
      expect(await redis.exists(resultKey(r.job))).to.equal(1);
    }
  });

  it('validate --farm carries its --inputs file to the board and prints the document it prints locally', async () => {
    const inputs = join(dir, 'three.bin');
    writeFileSync(inputs, Buffer.from([0, 64, 127]));
    const c = tinyforge(['validate', sharedModelPath('hello_world_int8'), '--inputs', inputs, '--farm', url, '--board', 'qemu-riscv32-virt', '--json']);
    expect(await c.exited, c.err).to.equal(0);
    const lines = c.out.trim().split('\n');
    expect(lines).to.have.length(1);
    const doc = JSON.parse(lines[0]!) as { $schema: string; board: string; total: number; matched: number };
    expect(doc).to.include({ $schema: 'urn:tinyforge:schema:validate', board: 'qemu-riscv32-virt', total: 3, matched: 3 });
  });

  it('a malformed job and a model whose bytes miss its sha256 are refused in one line, before any board', async () => {
    const bytes = readFileSync(sharedModelPath('hello_world_int8'));
    const good = makeJob('profile', 'qemu-mps2-an386', { name: 'hello_world_int8.tflite', bytes }, {}, FARM_OPTIONS);
    const malformed = await client.addRaw('qemu-mps2-an386', { version: 1, command: 'sh', board: 'qemu-mps2-an386', model: good.model, options: {} });
    const forged = await client.addRaw('qemu-mps2-an386', { ...good, model: { ...good.model, sha256: sha256Of(Buffer.from('another model')) } });
    const sneaky = await client.addRaw('qemu-mps2-an386', { ...good, options: { keep: '/etc' } });
    for (const [id, reason] of [
      [malformed, /^refused: command "sh" is not one of run, profile, validate$/],
      [forged, /^refused: the model's bytes hash to [0-9a-f]{12}\.\.\., not the job's [0-9a-f]{12}\.\.\.$/],
      [sneaky, /^refused: --keep is not an option a farm job may carry for profile$/],
    ] as const) {
      const p = await until(`job ${id} to be refused`, async () => {
        const s = await client.progressOf({ id, job: good });
        return s.state === 'failed' ? s : undefined;
      });
      expect(p.error).to.match(reason);
      for (const w of workers.values()) expect(w.out).not.to.match(new RegExp(`job ${id} profile`));
    }
  });

  it('a board that fails three jobs in a row is taken out of rotation and `farm status` says so', async () => {
    for (const s of failing) {
      const p = await until(`failing job ${s.id}`, async () => {
        const st = await client.progressOf(s);
        return st.state === 'failed' ? st : undefined;
      });
      expect(p.error).to.match(/qemu-system-arm exited with status 1 \(qemu-system-arm: the board is broken\)/);
    }
    const status = await until('the board to be out', async () => {
      const c = tinyforge(['farm', 'status', '--farm', url, '--json']);
      await c.exited;
      const doc = expectSchemaValid<{ workers: { id: string; slots: { board: string; state: string; failures: number }[] }[] }>(c.out, 'farm status --json');
      const slot = doc.workers.find((w) => w.id === 'w4')?.slots[0];
      return slot?.state === 'out' ? slot : undefined;
    });
    expect(status.failures).to.equal(3);
    const text = tinyforge(['farm', 'status', '--farm', url]);
    await text.exited;
    expect(text.out).to.match(/w4\s+qemu-mps2-an385\s+OUT of rotation/);
  });
});

describe('farm: job checks', () => {
  it('refuses an oversized model, an option off the allow-list, a bad value and a job for another queue', function () {
    if (!sharedModelsAvailable(this)) return;
    const bytes = readFileSync(sharedModelPath('hello_world_int8'));
    expect(() => makeJob('run', 'rp2040js', { name: 'big.tflite', bytes: new Uint8Array(MAX_MODEL_BYTES + 1) }, {}, FARM_OPTIONS)).to.throw(
      FarmRefusal,
      /above the farm's limit/,
    );
    expect(() => makeJob('run', 'rp2040js', { name: 'm.tflite', bytes }, { 'max-ram': 'lots' }, FARM_OPTIONS)).to.throw(
      FarmRefusal,
      /--max-ram must be a positive byte count/,
    );
    expect(() => makeJob('validate', 'rp2040js', { name: 'm.tflite', bytes }, { runs: '3' }, FARM_OPTIONS)).to.throw(FarmRefusal, /--runs is not an option/);
    expect(() => checkJob('nonsense', 'rp2040js', FARM_OPTIONS)).to.throw(FarmRefusal, /not an object/);
    const job = makeJob('profile', 'rp2040js', { name: 'm.tflite', bytes }, { runs: '3', prefer: 'size' }, FARM_OPTIONS);
    expect(() => checkJob(job, 'qemu-mps2-an386', FARM_OPTIONS)).to.throw(FarmRefusal, /not this queue's qemu-mps2-an386/);
    expect(checkJob(job, 'rp2040js', FARM_OPTIONS).bytes.equals(bytes)).to.equal(true);
    // validate's --inputs rides with the job as one file, hashed like the model
    const inputs = new Uint8Array([1, 2, 3]);
    const withInputs = makeJob('validate', 'rp2040js', { name: 'm.tflite', bytes }, {}, FARM_OPTIONS, { name: 'in.bin', bytes: inputs });
    expect([...checkJob(withInputs, 'rp2040js', FARM_OPTIONS).input!]).to.deep.equal([1, 2, 3]);
    const forged = { ...withInputs, input: { ...withInputs.input!, base64: Buffer.from([9]).toString('base64') } };
    expect(() => checkJob(forged, 'rp2040js', FARM_OPTIONS)).to.throw(FarmRefusal, /the input's bytes hash to/);
    expect(() => checkJob({ ...withInputs, input: { ...withInputs.input!, name: '..' } }, 'rp2040js', FARM_OPTIONS)).to.throw(
      FarmRefusal,
      /no usable file name/,
    );
    expect(() =>
      makeJob('validate', 'rp2040js', { name: 'm.tflite', bytes }, {}, FARM_OPTIONS, { name: 'big.bin', bytes: new Uint8Array(MAX_MODEL_BYTES) }),
    ).to.throw(FarmRefusal, /above the farm's limit/);
  });
});

describe('farm: real boards by USB id', () => {
  it('names a port by its probe where one board carries it, asks for --port-board where several do', async () => {
    const port = (path: string, vendorId: string | null, productId: string | null) => ({ path, manufacturer: null, serialNumber: null, vendorId, productId });
    const list = async () => [
      port('/dev/ttyACM0', '0483', '374B'),
      port('/dev/ttyACM1', '0483', '374e'),
      port('/dev/ttyACM2', '0483', '374e'),
      port('/dev/ttyUSB0', '10c4', 'ea60'),
      port('/dev/ttyS0', null, null),
    ];
    const { found, skipped } = await detectPortBoards(portBoardOption('/dev/ttyACM2=nucleo-u575zi-q@openocd'), list);
    expect(found).to.deep.equal([
      { port: '/dev/ttyACM2', board: 'nucleo-u575zi-q', probe: 'openocd' },
      { port: '/dev/ttyACM0', board: 'nucleo-l4r5zi' },
    ]);
    expect(skipped).to.deep.equal(['/dev/ttyACM1 (USB 0483:374e) may be nucleo-h7a3zi-q or nucleo-u575zi-q: name it with --port-board /dev/ttyACM1=BOARD']);
    expect(portSlots(found).map((s) => s.instance)).to.deep.equal(['nucleo-u575zi-q@/dev/ttyACM2', 'nucleo-l4r5zi@/dev/ttyACM0']);
    expect(emulatedSlots(['rp2040js'], 2).map((s) => s.instance)).to.deep.equal(['rp2040js#1', 'rp2040js#2']);
    expect(() => portBoardOption('/dev/ttyACM0')).to.throw(/--port-board must be PATH=BOARD/);
  });
});
