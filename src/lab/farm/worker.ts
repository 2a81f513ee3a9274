// SPDX-License-Identifier: Apache-2.0
/**
 * A farm worker: the boards one host holds, offered on their kinds' queues. One BullMQ Worker per
 * board kind takes as many jobs at once as the host has free boards of that kind; each job leases
 * one board for itself. A job is checked before it touches a board, its result is written once under
 * its id, and a board that fails three jobs in a row is taken out of rotation. A heartbeat key with a
 * short TTL tells `farm status` which boards the worker holds and what they are doing; if the worker
 * dies its job's lock runs out and BullMQ's stalled-job check gives the job to another worker.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { FARM_PREFIX, FarmRefusal, type FarmJob, type FarmResult, type OptionAllowList, checkJob, heartbeatKey, queueName, resultKey } from './job.ts';
import type { RedisAccess } from './access.ts';
import { checkConnection, connectRedis } from './redis.ts';
import { isModelFile, loadGraph } from '../../core/model/load.ts';

/** One board a worker holds: an emulated board (one of `--instances N`) or a real one on a port. */
export interface BoardSlot {
  board: string;
  /** unique within the worker: `rp2040js#2`, `nucleo-l4r5zi@/dev/ttyACM0` */
  instance: string;
  port?: string;
}

export type SlotState = 'idle' | 'busy' | 'out';

export interface SlotStatus extends BoardSlot {
  state: SlotState;
  /** failures since its last success; at FAILURES_OUT_OF_ROTATION it is taken out */
  failures: number;
  job: string | null;
  lastError: string | null;
}

export interface Heartbeat {
  id: string;
  host: string;
  pid: number;
  since: string;
  at: string;
  slots: SlotStatus[];
}

/** What the worker does with a checked job on a leased board (the CLI runs itself as a child). */
export type Executor = (job: FarmJob, modelPath: string, slot: BoardSlot, inputPath?: string) => Promise<{ exitCode: number; output: Record<string, unknown> }>;

export const FAILURES_OUT_OF_ROTATION = 3;

export interface FarmWorkerOptions {
  access: RedisAccess;
  id?: string;
  slots: BoardSlot[];
  allow: OptionAllowList;
  execute: Executor;
  log?: (line: string) => void;
  /**
   * How long a job's lock lives without renewal (renewed at half of it): a killed worker's job is
   * found stalled within lockMs + stalledMs and handed to another worker.
   */
  lockMs?: number;
  stalledMs?: number;
  heartbeatMs?: number;
  /**
   * The most jobs the host runs at once over all its boards (default: one per board). A host whose
   * boards share one resource (a core that runs every emulator) takes a job of each kind, and each
   * waits for its turn before it leases its board.
   */
  maxJobs?: number;
}

/** Results are kept a week: long enough for a nightly sweep's client to come back for them. */
const RESULT_TTL_SECONDS = 7 * 24 * 3600;

export class FarmWorker {
  readonly id: string;
  private readonly redis: Redis;
  private readonly workers = new Map<string, Worker>();
  private readonly slots: SlotStatus[];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly since = new Date().toISOString();
  private readonly log: (line: string) => void;
  /** jobs leasing a board or running now, and those waiting for a turn under maxJobs */
  private running = 0;
  private readonly turns: (() => void)[] = [];

  constructor(private readonly opts: FarmWorkerOptions) {
    this.id = opts.id ?? `${hostname()}-${process.pid}`;
    this.redis = connectRedis(opts.access);
    this.slots = opts.slots.map((s) => ({ ...s, state: 'idle', failures: 0, job: null, lastError: null }));
    this.log = opts.log ?? (() => {});
  }

  async start(): Promise<void> {
    await checkConnection(this.redis, this.opts.access);
    await this.beat();
    const beatMs = this.opts.heartbeatMs ?? 3000;
    this.heartbeat = setInterval(() => void this.beat().catch(() => {}), beatMs);
    for (const board of new Set(this.slots.map((s) => s.board))) {
      const worker = new Worker(queueName(board), (job) => this.process(board, job), {
        connection: this.redis,
        prefix: FARM_PREFIX,
        concurrency: this.slotsOf(board).length,
        lockDuration: this.opts.lockMs ?? 6000,
        stalledInterval: this.opts.stalledMs ?? 3000,
        // a job whose worker died twice is failed rather than passed on forever
        maxStalledCount: 2,
        autorun: true,
      });
      // connection errors while Redis restarts are retried by BullMQ; they are not the job's
      worker.on('error', () => {});
      this.workers.set(board, worker);
    }
    this.log(`worker ${this.id}: ${this.slots.map((s) => s.instance).join(', ')}`);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    await this.redis.del(heartbeatKey(this.id)).catch(() => {});
    this.redis.disconnect();
  }

  status(): SlotStatus[] {
    return this.slots.map((s) => ({ ...s }));
  }

  private slotsOf(board: string): SlotStatus[] {
    return this.slots.filter((s) => s.board === board && s.state !== 'out');
  }

  private async beat(): Promise<void> {
    const beat: Heartbeat = { id: this.id, host: hostname(), pid: process.pid, since: this.since, at: new Date().toISOString(), slots: this.status() };
    const ttl = Math.ceil(((this.opts.heartbeatMs ?? 3000) * 3) / 1000);
    await this.redis.set(heartbeatKey(this.id), JSON.stringify(beat), 'EX', ttl);
  }

  private lease(board: string): SlotStatus {
    const slot = this.slotsOf(board).find((s) => s.state === 'idle');
    // concurrency equals the free boards, so BullMQ never hands over more jobs than there are boards
    if (!slot) throw new Error(`no free ${board} board (concurrency above the boards held)`);
    slot.state = 'busy';
    return slot;
  }

  private async process(board: string, job: Job): Promise<string> {
    const jobId = job.id!;
    let checked: FarmJob;
    let bytes: Buffer;
    let input: Buffer | undefined;
    try {
      ({ job: checked, bytes, input } = checkJob(job.data, board, this.opts.allow));
    } catch (e) {
      const message = e instanceof FarmRefusal ? e.message : `refused: ${(e as Error).message}`;
      this.log(`job ${jobId} ${message}`);
      throw new UnrecoverableError(message);
    }
    // a job retried after its worker died may have finished there: its result stands, once
    if ((await this.redis.exists(resultKey(jobId))) === 1) {
      this.log(`job ${jobId} already has its result`);
      return 'done';
    }
    // the model is read before a board is leased: a file that is no model is the job's fault, not the board's
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-farm-'));
    // the model keeps its extension (.tflite or .onnx): the importer is chosen by it
    const modelPath = join(dir, isModelFile(checked.model.name) ? checked.model.name : `${checked.model.name}.tflite`);
    // the input keeps its extension (.npy or raw) in a folder of its own: its name cannot meet the model's
    const inputPath = checked.input ? join(dir, 'input', checked.input.name) : undefined;
    try {
      writeFileSync(modelPath, bytes);
      if (inputPath) {
        mkdirSync(join(dir, 'input'));
        writeFileSync(inputPath, input!);
      }
      loadGraph(modelPath);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      const message = `refused: ${(e as Error).message.split('\n')[0]}`;
      this.log(`job ${jobId} ${message}`);
      throw new UnrecoverableError(message);
    }
    await this.turn();
    let slot: SlotStatus;
    try {
      slot = this.lease(board);
    } catch (e) {
      this.endTurn();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    slot.job = jobId;
    void this.beat().catch(() => {});
    const started = Date.now();
    this.log(`job ${jobId} ${checked.command} ${checked.model.name} on ${slot.instance}`);
    try {
      const { exitCode, output } = await this.opts.execute(checked, modelPath, slot, inputPath);
      const result: FarmResult = {
        jobId,
        command: checked.command,
        board,
        model: checked.model.name,
        sha256: checked.model.sha256,
        worker: this.id,
        instance: slot.instance,
        exitCode,
        output,
        seconds: (Date.now() - started) / 1000,
      };
      const written = await this.redis.set(resultKey(jobId), JSON.stringify(result), 'EX', RESULT_TTL_SECONDS, 'NX');
      slot.failures = 0;
      slot.lastError = null;
      this.log(`job ${jobId} ${written === 'OK' ? 'result written' : 'result already written'} (${result.seconds.toFixed(1)} s)`);
      return 'done';
    } catch (e) {
      const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
      slot.failures += 1;
      slot.lastError = message;
      this.log(`job ${jobId} failed on ${slot.instance}: ${message}`);
      if (slot.failures >= FAILURES_OUT_OF_ROTATION) this.takeOut(slot);
      throw new Error(`${slot.instance} on ${this.id}: ${message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      slot.job = null;
      if (slot.state === 'busy') slot.state = 'idle';
      this.endTurn();
      void this.beat().catch(() => {});
    }
  }

  /** Waits until fewer than maxJobs jobs run on the host (at once without maxJobs). */
  private async turn(): Promise<void> {
    if (this.opts.maxJobs === undefined) return;
    if (this.running < this.opts.maxJobs) {
      this.running += 1;
      return;
    }
    // the finishing job hands its turn over: running stays as it is
    await new Promise<void>((resolve) => this.turns.push(resolve));
  }

  private endTurn(): void {
    if (this.opts.maxJobs === undefined) return;
    const next = this.turns.shift();
    if (next) next();
    else this.running -= 1;
  }

  /** A board that failed FAILURES_OUT_OF_ROTATION jobs in a row takes no more jobs until the worker restarts. */
  private takeOut(slot: SlotStatus): void {
    slot.state = 'out';
    this.log(`${slot.instance} taken out of rotation after ${slot.failures} failed jobs in a row`);
    const worker = this.workers.get(slot.board);
    if (!worker) return;
    const left = this.slotsOf(slot.board).length;
    if (left > 0) worker.concurrency = left;
    // the last board of its kind: stop taking that queue's jobs (another worker may hold the kind)
    else void worker.close().catch(() => {});
  }
}
