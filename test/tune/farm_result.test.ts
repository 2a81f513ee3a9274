// SPDX-License-Identifier: Apache-2.0
/**
 * What `tinyforge tune --farm` reads back from the farm's Redis: a job's result is checked against
 * the job it answers (its id, command, board, model and hash, the worker's names, finite figures)
 * before anything reads it, and one that is not the job's, or not a run report, makes the candidate
 * a failed one, in one line naming the farm job, never a point. No worker runs here: the results are
 * written under the jobs' result keys as a worker (or anyone else with the Redis) would write them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { FarmClient, type Submitted } from '../../src/lab/farm/client.ts';
import { type FarmJob, makeJob, resultKey } from '../../src/lab/farm/job.ts';
import { FARM_OPTIONS } from '../../src/face/cli/farm.ts';
import { type MeasureJob, farmMeasurements } from '../../src/compress/tune.ts';
import { type Proc, freePort, killGroup, startGroup, until } from '../helpers/process_group.ts';
import { skipAbsent } from '../helpers/absent.ts';

const BOARD = 'nucleo-l4r5zi';

describe("tune --farm: a job's result is checked against its job, not cast", function () {
  let dir: string;
  let redisProc: Proc | undefined;
  let redis: Redis | undefined;
  let client: FarmClient | undefined;

  before(async function () {
    if (spawnSync('redis-server', ['--version']).status !== 0)
      skipAbsent('redis-server not installed (apt-get install redis-server)', "skipping the farm results' checks", this);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-tune-farm-result-'));
    const port = await freePort();
    redisProc = startGroup('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], dir);
    await until('redis-server to answer', () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG', 20_000);
    redis = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null });
    redis.on('error', () => {});
    client = new FarmClient(redis);
  });

  after(async () => {
    await client?.close().catch(() => {});
    redis?.disconnect();
    if (redisProc) killGroup(redisProc);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A `run` job as tune queues it (its model's bytes are not run: no worker takes it). */
  const job = (): FarmJob =>
    makeJob('run', BOARD, { name: 'int8.tflite', bytes: Buffer.from('a model') }, { prefer: 'speed', clock: '120000000' }, FARM_OPTIONS);

  /** The result a worker writes for `s`, with `change` applied. */
  function result(s: Submitted, change: Record<string, unknown> = {}): Record<string, unknown> {
    const output = {
      memory: { flash: 40_000, flashWeights: 20_000, arena: 5000, stack: 600, ram: 6000 },
      cases: [{ matchesReference: true }],
      perInference: 1000,
    };
    return {
      jobId: s.id,
      command: 'run',
      board: BOARD,
      model: s.job.model.name,
      sha256: s.job.model.sha256,
      worker: 'host-1',
      instance: `${BOARD}#1`,
      exitCode: 0,
      output,
      seconds: 2.5,
      ...change,
    };
  }

  it("a result that is the job's is read; anything else fails the job in one line naming it", async () => {
    const [s, other] = await client!.submit([job(), job()]);
    await redis!.set(resultKey(s!.id), JSON.stringify(result(s!)));
    const done = await client!.progressOf(s!);
    expect(done.state).to.equal('done');
    expect(done.result!.output).to.have.property('perInference', 1000);
    const bad: [string, RegExp][] = [
      ['<html>502 Bad Gateway</html>', /not JSON$/],
      ['[1, 2]', /not an object$/],
      [JSON.stringify(result(s!, { jobId: other!.id })), new RegExp(`jobId is "${other!.id}", not the job's "${s!.id}"$`)],
      [JSON.stringify(result(s!, { board: 'pico' })), /board is "pico", not the job's "nucleo-l4r5zi"$/],
      [JSON.stringify(result(s!, { sha256: '0'.repeat(64) })), /sha256 is "0{64}", not the job's "[0-9a-f]{64}"$/],
      [JSON.stringify(result(s!, { command: 'profile' })), /command is "profile", not the job's "run"$/],
      [JSON.stringify(result(s!, { worker: 7 })), /worker is 7, not a name$/],
      [JSON.stringify(result(s!, { instance: undefined })), /instance is missing, not a name$/],
      [JSON.stringify(result(s!, { exitCode: '0' })), /exitCode is "0", not an integer$/],
      [JSON.stringify(result(s!, { seconds: -1 })), /seconds is -1, not a duration$/],
      [JSON.stringify(result(s!, { output: 'error: no board' })), /output is not the command's JSON object$/],
    ];
    for (const [text, reason] of bad) {
      await redis!.set(resultKey(s!.id), text);
      const p = await client!.progressOf(s!);
      expect(p.state, text).to.equal('failed');
      expect(p.result).to.equal(null);
      expect(p.error!.split('\n'), p.error!).to.have.length(1);
      expect(p.error).to.match(new RegExp(`^farm job ${s!.id}: its result is malformed: `));
      expect(p.error, text).to.match(reason);
    }
  });

  it("the search's candidates: a malformed result and a result that is no run report are failed candidates", async () => {
    const submitted = await client!.submit([job(), job(), job()]);
    const [a, b, c] = submitted;
    await redis!.set(resultKey(a!.id), JSON.stringify(result(a!)));
    await redis!.set(resultKey(b!.id), JSON.stringify(result(b!, { jobId: c!.id })));
    await redis!.set(resultKey(c!.id), JSON.stringify(result(c!, { output: { memory: { flash: 'lots' }, cases: [] } })));
    const outcomes = await client!.wait(submitted, () => {}, 30_000);
    const candidate = (clock: number) => ({
      id: `int8/speed@${clock}MHz`,
      board: BOARD,
      recipe: { id: 'int8', channels: 0 },
      build: { prefer: 'speed', clockHz: clock * 1e6 },
    });
    const jobs = [120, 80, 26].map((mhz) => ({ candidate: candidate(mhz), model: 'int8.tflite', cases: [] })) as unknown as MeasureJob[];
    const [good, malformed, notReport] = farmMeasurements(jobs, outcomes);
    expect(good).to.not.be.instanceOf(Error);
    expect(good).to.deep.include({ ranOn: `host-1/${BOARD}#1` });
    expect(malformed).to.be.instanceOf(Error);
    expect((malformed as Error).message).to.equal(
      `farm job ${b!.id} (int8/speed@80MHz on ${BOARD}): its result is malformed: jobId is "${c!.id}", not the job's "${b!.id}"`,
    );
    expect(notReport).to.be.instanceOf(Error);
    expect((notReport as Error).message).to.equal(`farm job ${c!.id} (int8/speed@26MHz on ${BOARD}): its result is not a run report: memory.flash is "lots"`);
  });
});
