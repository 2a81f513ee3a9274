// SPDX-License-Identifier: Apache-2.0
/**
 * Input fuzzing (docs/fuzzing.md): mutants of valid models (mutate.ts) go through what `inspect` and
 * `compile` do, in a worker thread with a time and a memory limit per case (worker.ts). A mutant the
 * compiler accepts is built for the host under ASan+UBSan and run on a random input, many mutants
 * to an executable (host_batch.ts; a batch that does not pass cleanly sends its mutants to the
 * classic check alone); its outputs must equal our TS reference's and TFLite Micro's (tflm-ref),
 * where TFLite Micro accepts the model. Findings: crashes (any exception other than a one-line TinyforgeError), hangs,
 * cases over the memory limit, rejections of more than one line, accepted models whose build or run
 * fails, and accepted models whose outputs differ.
 */
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { concat, equalBytes, splitOutputs } from '../../../src/lab/data/bytes.ts';
import { fromBytes } from '../../../src/core/ir/buffers.ts';
import { makeTempFolder, removeTempFolder } from '../../../src/lab/lifecycle.ts';
import { writeDirectoryAtomically } from '../../../src/lab/output.ts';
import { buildFirmware } from '../../../src/lab/toolchain/firmware.ts';
import { type ObjectCache, pruneObjectCache } from '../../../src/lab/toolchain/object_cache.ts';
import { runOnHost } from '../../../src/lab/device/index.ts';
import { rng } from '../../helpers/op_harness.ts';
import { findRuntime } from '../../helpers/runtimes.ts';
import { sharedFile } from '../../helpers/shared.ts';
import { fcAutoencoder } from '../../helpers/autoencoder_model.ts';
import { writeTflite } from '../../../src/core/model/tflite/writer.ts';
import { MUTATION_CLASSES, type MutationClass, mutate } from './mutate.ts';
import type { CaseRequest, CaseVerdict, HostMaterial } from './worker.ts';
import { HostBatch, type HostBatchFigures, type HostOutcome, TflmBatch, type TflmOutcome } from './host_batch.ts';

export type Outcome = 'rejected' | 'accepted' | 'crash' | 'hang' | 'memory' | 'multi-line' | 'accepted-but-failed' | 'accepted-but-wrong';
export const FINDINGS: Outcome[] = ['crash', 'hang', 'memory', 'multi-line', 'accepted-but-failed', 'accepted-but-wrong'];

export interface InputFuzzOptions {
  seed: number;
  count: number;
  /** per case, in the worker (default 10 s; a case past it is run again with 3 times as long before it counts as a hang) */
  timeLimitMs?: number;
  /** the worker's heap (default 768 MB) */
  memoryLimitMb?: number;
  /** accepted mutants checked on the host at most (default: all) */
  hostRuns?: number;
  /** accepted mutants built into one sanitized executable and run by one process (default 25) */
  hostBatch?: number;
  /** cases in flight at once, each with its worker and build folder (default 1) */
  jobs?: number;
  /** start no case after this many minutes: the figures are then for the cases run (a campaign on a shared machine with a deadline) */
  maxMinutes?: number;
  /** where reproducers go (none when undefined) */
  reproDir?: string;
  /** one line per finding and a line every 100 cases */
  log?: (line: string) => void;
}

export interface InputFuzzResult {
  cases: number;
  /** outcome counts per mutation class */
  table: Record<MutationClass, Partial<Record<Outcome, number>>>;
  jobs: number;
  /**
   * accepted mutants checked on the host; `hostBuilds` of them built and run, the others had the
   * same C, inputs and TS reference outputs as an earlier case, whose run checked them
   */
  hostRuns: number;
  hostBuilds: number;
  /** the model units of the batches: compiled, and taken from the batches' object cache */
  unitsCompiled: number;
  unitHits: number;
  /** batches built and run together; mutants checked alone (the classic check: a batch that failed, or an output that differed in it) */
  batches: number;
  alone: number;
  /** checked mutants whose outputs TFLite Micro's were compared with (it refused the others); `tflmRuns` runs of tflm-ref did it, the rest were the same model bytes and inputs as an earlier run */
  tflmCompared: number;
  tflmRuns: number;
  /** cases past the time limit that were run once more, with three times the limit (a hang when that fails too) */
  hangRetries: number;
  times: StageTimes;
  findings: { case: number; mutation: MutationClass; outcome: Outcome; detail: string; message: string }[];
  seconds: number;
}

/** The models mutants are made from: the small shared models and one of ours. */
export function seedModels(): { name: string; bytes: Uint8Array }[] {
  const seeds = [{ name: 'fc_autoencoder', bytes: writeTflite(fcAutoencoder({ widths: [32, 16, 8, 16, 32] })) }];
  for (const name of ['hello_world_int8', 'micro_speech', 'mnist_lstm_int8', 'simple_add']) {
    const path = sharedFile(`${name}.tflite`);
    if (existsSync(path)) seeds.push({ name, bytes: new Uint8Array(readFileSync(path)) });
  }
  return seeds;
}

/** A worker's start-up (loading the compiler through tsx, a warm-up case) is not a case's time: it gets this long. */
const WORKER_START_MS = 300_000;

/**
 * Runs cases one at a time in a worker thread that is kept from case to case; a worker that hangs,
 * runs out of heap or dies is replaced for the next case. A case's time limit starts once its worker
 * is ready, so a fresh worker's start-up on a busy machine is never a hang.
 */
class CaseRunner {
  private worker: Promise<Worker | Error> | undefined;
  constructor(
    private readonly memoryLimitMb: number,
    private readonly warmUp: CaseRequest,
  ) {}

  private spawn(): Promise<Worker | Error> {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb } });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        resolve(new Error(`the worker did not start within ${WORKER_START_MS} ms`));
      }, WORKER_START_MS);
      // ready, then a valid model through every stage: the compiler's code is loaded and compiled
      // (the first case of a fresh worker takes several times longer than the next)
      worker.once('message', () => {
        worker.once('message', () => {
          clearTimeout(timer);
          worker.off('error', failed);
          resolve(worker);
        });
        worker.postMessage(this.warmUp);
      });
      const failed = (e: Error) => {
        clearTimeout(timer);
        resolve(e);
      };
      worker.once('error', failed);
    });
  }

  /** One case with a time limit: the verdict, or 'hang' / 'memory' when the worker had to be stopped. */
  async run(request: CaseRequest, timeLimitMs: number): Promise<CaseVerdict | { status: 'hang' | 'memory' | 'crash'; message: string }> {
    let started = await (this.worker ??= this.spawn());
    // a worker that cannot start (the machine too busy to load the compiler in time) says nothing
    // about the mutant: tried again, then the campaign stops with an error, not a finding
    for (let attempt = 1; started instanceof Error && attempt < 3; attempt++) started = await (this.worker = this.spawn());
    if (started instanceof Error) {
      this.worker = undefined;
      throw new Error(`the fuzzing worker did not start three times: ${started.message}`);
    }
    const worker = started;
    return new Promise((resolve) => {
      const done = (v: CaseVerdict | { status: 'hang' | 'memory' | 'crash'; message: string }) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        resolve(v);
      };
      const onMessage = (v: CaseVerdict) => v.id === request.id && done(v);
      const onError = (e: Error & { code?: string }) => {
        this.worker = undefined;
        done({ status: e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash', message: `${e.code ?? ''} ${e.message}` });
      };
      const timer = setTimeout(() => {
        this.worker = undefined;
        void worker.terminate();
        done({ status: 'hang', message: `no verdict within ${timeLimitMs} ms` });
      }, timeLimitMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    const worker = await this.worker;
    if (worker instanceof Worker) await worker.terminate();
  }
}

const sha256 = (parts: (string | Uint8Array)[]) => {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(`${p.length}\0`).update(p);
  return hash.digest('hex');
};

/**
 * Builds one accepted mutant's host C under ASan+UBSan and runs it, as `runModel` does for `run
 * --target host --sanitize` (the sources written to a folder, `buildFirmware`, `runOnHost`, the
 * outputs compared byte for byte with the TS reference's), from the material the worker made: the
 * classic check, for the mutants a batch (host_batch.ts) does not clear. The folder is the slot's
 * own, and the model's units go through `unitCache` (keyed by their preprocessed text).
 */
async function hostBuildAndRun(material: HostMaterial, dir: string, unitCache: ObjectCache, caseIndex: number): Promise<HostOutcome> {
  try {
    const modelDir = writeDirectoryAtomically(join(dir, 'model'), material.files);
    // -g0: no debug info (a third of model.c's compile); the sanitizers are the same, UBSan's reports
    // carry their file and line without it, and a finding's mutant is saved to be rebuilt with `run`
    const outDir = join(dir, 'build');
    const build = await buildFirmware({ target: 'host', modelDir, outDir, sanitize: true, extraCflags: ['-g0'], modelUnitCache: unitCache });
    const host = await runOnHost(build.elf, concat(material.inputs), { timeoutMs: HOST_RUN_MS });
    const sizes = material.expected.map((e) => e.length);
    const outputs = splitOutputs(host.outputs, sizes);
    const same = host.outputs.length === sizes.reduce((a, b) => a + b, 0) && outputs.every((o, k) => equalBytes(o, material.expected[k]!));
    if (!same) return { outcome: 'accepted-but-wrong', message: 'host C differs from the TS reference', case: caseIndex };
    return { outcome: 'accepted', message: '', outputs, case: caseIndex };
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return { outcome: 'accepted-but-failed', message, case: caseIndex };
  }
}

/** The sanitized run's limit: one mutant alone, or a whole batch (whose mutants are then run alone). */
const HOST_RUN_MS = 60_000;

/** Time spent per stage, in ms (the campaign's own figures, `--json`). */
export interface StageTimes {
  /** in the worker: parse, passes, plan, inspect, the C for both targets, the TS reference; per class */
  worker: Record<string, number>;
  /** host batches (build and run, and the mutants run alone) */
  hostBuildAndRun: number;
  tflmRef: number;
}

export async function runInputFuzz(options: InputFuzzOptions): Promise<InputFuzzResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const seeds = seedModels();
  const jobs = Math.max(1, Math.floor(options.jobs ?? 1));
  const batchSize = Math.max(1, Math.floor(options.hostBatch ?? 25));
  const timeLimitMs = options.timeLimitMs ?? 10_000;
  const stopAfterMs = (options.maxMinutes ?? Infinity) * 60_000;
  const work = makeTempFolder('fuzz-input');
  const warmUp: CaseRequest = {
    id: -1,
    name: `${seeds[0]!.name}.tflite`,
    bytes: seeds[0]!.bytes,
    host: { fileName: `${seeds[0]!.name}.tflite`, inputSeed: 1 },
  };
  // the model's units of every mutant checked alone; bounded, and gone with the campaign's folder
  const unitCache: ObjectCache = { dir: join(work, 'objects'), maxBytes: 256 * 1024 * 1024 };
  const batchObjects = { dir: join(work, 'batch-objects'), maxBytes: 256 * 1024 * 1024, entries: new Map<string, number>() };
  const batchFigures: HostBatchFigures = { unitsCompiled: 0, unitHits: 0, batches: 0, alone: 0 };
  const slots = Array.from({ length: jobs }, (_, k) => {
    const dir = join(work, `slot-${k}`);
    const host = new HostBatch({
      dir: join(dir, 'batch'),
      objects: batchObjects,
      figures: batchFigures,
      runTimeoutMs: HOST_RUN_MS,
      alone: async (material, caseIndex) => {
        const outcome = await hostBuildAndRun(material, dir, unitCache, caseIndex);
        pruneObjectCache(unitCache);
        return outcome;
      },
    });
    return { runner: new CaseRunner(options.memoryLimitMb ?? 768, warmUp), host, tflm: new TflmBatch(findRuntime('tflm-ref'), join(dir, 'tflm')) };
  });
  const table = Object.fromEntries(MUTATION_CLASSES.map((m) => [m, {}])) as InputFuzzResult['table'];
  const findings: InputFuzzResult['findings'] = [];
  const hostChecks = new Map<string, Promise<HostOutcome>>();
  const tflmChecks = new Map<string, Promise<TflmOutcome>>();
  const times: StageTimes = { worker: {}, hostBuildAndRun: 0, tflmRef: 0 };
  const figures = { hostRuns: 0, hostBuilds: 0, tflmCompared: 0, tflmRuns: 0, hangRetries: 0 };
  const pending: Promise<void>[] = [];
  let hostRequested = 0;
  let done = 0;

  const record = (i: number, mutation: MutationClass, detail: string, bytes: Uint8Array, outcome: Outcome, message: string) => {
    const row = table[mutation];
    row[outcome] = (row[outcome] ?? 0) + 1;
    if (FINDINGS.includes(outcome)) {
      findings.push({ case: i, mutation, outcome, detail, message });
      log(`case ${i} (${detail}): ${outcome}: ${message}`);
      if (options.reproDir) {
        mkdirSync(options.reproDir, { recursive: true });
        writeFileSync(join(options.reproDir, `${options.seed}-${i}-${mutation}.tflite`), bytes);
      }
    }
    if (++done % 100 === 0) log(`${done}/${options.count} cases, ${findings.length} findings, ${figures.hostRuns} host runs (${figures.hostBuilds} built)`);
  };

  /** An accepted mutant's host check and TFLite Micro's outputs, once their batches have run. */
  const judge = async (
    material: HostMaterial,
    bytes: Uint8Array,
    i: number,
    host: Promise<HostOutcome>,
    tflm: Promise<TflmOutcome> | undefined,
  ): Promise<{ outcome: Outcome; message: string }> => {
    const h = await host;
    const message = h.case === i || h.outcome === 'accepted' ? h.message : `${h.message} (the same C and inputs as case ${h.case})`;
    if (h.outcome !== 'accepted' || !h.outputs || !tflm) return { outcome: h.outcome, message };
    const theirs = await tflm;
    if (theirs === 'refused') return { outcome: 'accepted', message: 'TFLite Micro refuses it' };
    if (theirs === 'unanswered') return { outcome: 'accepted', message: 'no TFLite Micro answer (tflm-ref absent, none recorded)' };
    figures.tflmCompared++;
    const ours = h.outputs;
    const split = splitOutputs(
      theirs.outputs,
      ours.map((o) => o.length),
    );
    const differs =
      theirs.outputs.length !== ours.reduce((n, o) => n + o.length, 0)
        ? 0
        : split.findIndex((b, o) => {
            const a = Array.from(fromBytes(material.outputTypes[o]!, b) as ArrayLike<number | bigint>, Number);
            const c = Array.from(fromBytes(material.outputTypes[o]!, ours[o]!) as ArrayLike<number | bigint>, Number);
            return a.some((v, k) => !Object.is(v, c[k]));
          });
    return differs >= 0 ? { outcome: 'accepted-but-wrong', message: `output ${differs} differs from TFLite Micro's` } : { outcome: 'accepted', message: '' };
  };

  const flush = async (slot: (typeof slots)[number]) => {
    const t1 = performance.now();
    await slot.host.flush();
    const t2 = performance.now();
    await slot.tflm.flush();
    times.hostBuildAndRun += t2 - t1;
    times.tflmRef += performance.now() - t2;
  };

  const runOne = async (i: number, slot: (typeof slots)[number]) => {
    const rand = rng(options.seed * 1_000_003 + i);
    const seed = seeds[Math.floor(rand() * seeds.length)]!;
    const mutant = mutate(seed.bytes, rand);
    const name = `${seed.name}_m${i}.tflite`;
    const detail = `${seed.name}, ${mutant.mutation}: ${mutant.detail}`;
    // the host check's inputs are drawn from the case's own stream, after the mutation
    const inputSeed = Math.floor(rand() * 2 ** 32);
    const wantHost = options.hostRuns === undefined || hostRequested < options.hostRuns;
    // named after the seed, not the mutant: the model's name is in its C (its symbols' prefix), so
    // every mutant of a seed that keeps its C shares the objects of an earlier one
    const host = wantHost ? { fileName: `${seed.name.replace(/[^\w.-]/g, '_')}.tflite`, inputSeed } : undefined;
    const t0 = performance.now();
    const request = { id: i, name, bytes: mutant.bytes, host };
    let verdict = await slot.runner.run(request, timeLimitMs);
    if (verdict.status === 'hang') {
      // the limit is wall time, and a shared machine can starve a worker: a hang counts once a
      // fresh worker with three times the limit does not finish the case either
      figures.hangRetries++;
      log(`case ${i}: ${verdict.message}; once more with ${3 * timeLimitMs} ms`);
      verdict = await slot.runner.run(request, 3 * timeLimitMs);
    }
    times.worker[mutant.mutation] = (times.worker[mutant.mutation] ?? 0) + performance.now() - t0;
    const material = verdict.status === 'accepted' ? verdict.host : undefined;
    if (verdict.status === 'rejected')
      record(i, mutant.mutation, detail, mutant.bytes, /[\n\r]/.test(verdict.message) ? 'multi-line' : 'rejected', verdict.message);
    else if (verdict.status !== 'accepted') record(i, mutant.mutation, detail, mutant.bytes, verdict.status, verdict.message);
    else if (!material || !(options.hostRuns === undefined || hostRequested < options.hostRuns))
      record(i, mutant.mutation, detail, mutant.bytes, 'accepted', '');
    else {
      hostRequested++;
      figures.hostRuns++;
      // the same C, inputs and expected outputs as an earlier case: that case's build and run checks it
      const hostKey = sha256([...material.files.flatMap((f) => [f.name, f.text]), '\0inputs', ...material.inputs, '\0expected', ...material.expected]);
      let checked = hostChecks.get(hostKey);
      if (!checked) {
        figures.hostBuilds++;
        checked = slot.host.add(material, i);
        hostChecks.set(hostKey, checked);
      }
      // the same model bytes and inputs as an earlier case: TFLite Micro's answer is that case's
      const tflmKey = sha256([mutant.bytes, '\0inputs', ...material.inputs]);
      let tflm = tflmChecks.get(tflmKey);
      if (!tflm) {
        figures.tflmRuns++;
        tflm = slot.tflm.add(mutant.bytes, material.inputs);
        tflmChecks.set(tflmKey, tflm);
      }
      pending.push(judge(material, mutant.bytes, i, checked, tflm).then((v) => record(i, mutant.mutation, detail, mutant.bytes, v.outcome, v.message)));
      if (slot.host.size >= batchSize) await flush(slot);
    }
  };

  try {
    let next = 0;
    await Promise.all(
      slots.map(async (slot) => {
        while (next < options.count && Date.now() - started < stopAfterMs) await runOne(next++, slot);
        await flush(slot);
      }),
    );
    await Promise.all(pending);
  } finally {
    await Promise.all(slots.map((s) => s.runner.close()));
    removeTempFolder(work);
  }
  findings.sort((a, b) => a.case - b.case);
  return { cases: done, jobs, table, ...figures, ...batchFigures, findings, seconds: (Date.now() - started) / 1000, times };
}

/** The table per mutation class, as the CLI prints it. */
export function formatInputFuzz(result: InputFuzzResult): string {
  const outcomes: Outcome[] = ['rejected', 'accepted', ...FINDINGS];
  const head = ['mutation', ...outcomes];
  const rows = MUTATION_CLASSES.map((m) => [m, ...outcomes.map((o) => String(result.table[m][o] ?? 0))]);
  const totals = ['total', ...outcomes.map((o) => String(MUTATION_CLASSES.reduce((n, m) => n + (result.table[m][o] ?? 0), 0)))];
  const widths = head.map((h, c) => Math.max(h.length, ...[...rows, totals].map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [
    line(head),
    ...rows.map(line),
    line(totals),
    `${result.cases} mutants in ${result.seconds.toFixed(0)} s (${result.jobs} job${result.jobs > 1 ? 's' : ''}, ${((result.cases * 60) / result.seconds).toFixed(0)} mutants/min); ${result.hostRuns} accepted mutants checked on the host under ASan+UBSan (${result.hostBuilds} built and run in ${result.batches} batches, ${result.alone} alone; ${result.unitsCompiled} units compiled, ${result.unitHits} from the object cache; ${result.hostRuns - result.hostBuilds} with the same C and inputs as an earlier one), ${result.tflmCompared} of them compared with TFLite Micro (${result.tflmRuns} tflm-ref runs)`,
    `${result.hangRetries} cases past the time limit run once more with three times the limit; ${result.findings.length} findings`,
  ].join('\n');
}
