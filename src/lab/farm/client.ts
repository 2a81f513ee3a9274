// SPDX-License-Identifier: Apache-2.0
/**
 * The client side of the farm: jobs queued on their boards' queues, followed until each has its
 * result (or its failure), and the farm's state for `farm status`. The client polls rather than
 * listening for events: a poll survives a Redis restart, and a result is read from the key it was
 * written to once, so a job retried after its worker died is still reported exactly once.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { FARM_PREFIX, HEARTBEAT_PATTERN, KNOWN_BOARDS_KEY, type FarmJob, type FarmResult, checkResult, queueName, resultKey } from './job.ts';
import type { Heartbeat } from './worker.ts';

export type JobProgress = 'queued' | 'running' | 'done' | 'failed';

export interface Submitted {
  id: string;
  job: FarmJob;
}

export interface Outcome {
  id: string;
  board: string;
  model: string;
  result: FarmResult | null;
  /** why the job failed, one line (a refusal, a board's error) */
  error: string | null;
}

/** How often the client looks at its jobs. */
const POLL_MS = 500;

export class FarmClient {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly redis: Redis) {}

  private queue(board: string): Queue {
    let q = this.queues.get(board);
    if (!q) {
      q = new Queue(queueName(board), { connection: this.redis, prefix: FARM_PREFIX });
      q.on('error', () => {});
      this.queues.set(board, q);
    }
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  /** Queues each job on its board's queue; ids are fresh, so nothing old is taken for a result. */
  async submit(jobs: FarmJob[]): Promise<Submitted[]> {
    const batch = randomUUID().slice(0, 8);
    const submitted: Submitted[] = [];
    for (const [i, job] of jobs.entries()) {
      const id = `${batch}-${i}`;
      await this.queue(job.board).add(job.command, job, {
        jobId: id,
        attempts: 1,
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      await this.redis.sadd(KNOWN_BOARDS_KEY, job.board);
      submitted.push({ id, job });
    }
    return submitted;
  }

  /** Puts a raw job on a board's queue, as any Redis client could (the workers check it). */
  async addRaw(board: string, data: unknown, id: string = randomUUID()): Promise<string> {
    await this.queue(board).add('raw', data, { jobId: id, attempts: 1 });
    return id;
  }

  /**
   * Where one job is: queued, running, done (its result is written) or failed (with why). A result
   * that is not the job's (malformed, or another job's: checkResult) fails the job, one line naming it.
   */
  async progressOf(s: {
    id: string;
    job: Pick<FarmJob, 'command' | 'board' | 'model'>;
  }): Promise<{ state: JobProgress; error: string | null; result: FarmResult | null }> {
    const text = await this.redis.get(resultKey(s.id));
    if (text !== null) {
      try {
        return { state: 'done', error: null, result: checkResult(text, s.id, s.job) };
      } catch (e) {
        return { state: 'failed', error: e instanceof Error ? e.message : String(e), result: null };
      }
    }
    const board = s.job.board;
    // the state first, then the job: a job read before it failed would carry no reason yet
    const state = await this.queue(board).getJobState(s.id);
    if (state === 'failed') {
      const job = await this.queue(board).getJob(s.id);
      return { state: 'failed', error: (job?.failedReason || 'failed').split('\n')[0]!, result: null };
    }
    if (state === 'active') return { state: 'running', error: null, result: null };
    // completed without a result key: a result expired, or the job completed just before its key is read
    if (state === 'completed') return { state: 'running', error: null, result: null };
    return { state: 'queued', error: null, result: null };
  }

  /**
   * Follows the jobs until each is done or failed; `onProgress` sees every job's state at each poll.
   * A poll that fails (Redis restarting) is tried again at the next.
   */
  async wait(submitted: Submitted[], onProgress: (states: Map<string, JobProgress>) => void = () => {}, timeoutMs = 3_600_000): Promise<Outcome[]> {
    const outcomes = new Map<string, Outcome>();
    const states = new Map<string, JobProgress>(submitted.map((s) => [s.id, 'queued']));
    const deadline = Date.now() + timeoutMs;
    while (outcomes.size < submitted.length) {
      for (const s of submitted) {
        if (outcomes.has(s.id)) continue;
        try {
          const p = await this.progressOf(s);
          states.set(s.id, p.state);
          if (p.state === 'done' || p.state === 'failed')
            outcomes.set(s.id, { id: s.id, board: s.job.board, model: s.job.model.name, result: p.result, error: p.error });
        } catch {
          // Redis is away: the next poll asks again
        }
      }
      onProgress(states);
      if (outcomes.size === submitted.length) break;
      if (Date.now() > deadline) {
        for (const s of submitted)
          if (!outcomes.has(s.id))
            outcomes.set(s.id, { id: s.id, board: s.job.board, model: s.job.model.name, result: null, error: `no result within ${timeoutMs / 1000} s` });
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return submitted.map((s) => outcomes.get(s.id)!);
  }

  /** The live workers (those whose heartbeat has not expired). */
  async workers(): Promise<Heartbeat[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', HEARTBEAT_PATTERN, 'COUNT', 100);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.redis.mget(...keys);
    return values
      .filter((v): v is string => v !== null)
      .map((v) => JSON.parse(v) as Heartbeat)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The boards some live worker offers and has not taken out of rotation (`--boards all`). */
  async liveBoards(): Promise<string[]> {
    const boards = new Set<string>();
    for (const w of await this.workers()) for (const s of w.slots) if (s.state !== 'out') boards.add(s.board);
    return [...boards].sort();
  }

  /** Each board queue's job counts: the boards workers offer and those clients asked for. */
  async queueCounts(): Promise<{ board: string; waiting: number; active: number; completed: number; failed: number }[]> {
    const boards = new Set<string>(await this.redis.smembers(KNOWN_BOARDS_KEY));
    for (const w of await this.workers()) for (const s of w.slots) boards.add(s.board);
    const rows = [];
    for (const board of [...boards].sort()) {
      const c = await this.queue(board).getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
      rows.push({
        board,
        waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
      });
    }
    return rows;
  }
}
