// SPDX-License-Identifier: Apache-2.0
/**
 * Input fuzzing (issue 16): mutants of valid models (mutate.ts) go through what `inspect` and
 * `compile` do, in a worker thread with a time and a memory limit per case (worker.ts). A mutant the
 * compiler accepts is built for the host under ASan+UBSan and run on a random input; its outputs must
 * equal our TS reference's (runModel checks) and TFLite Micro's (tflm-ref), where TFLite Micro
 * accepts the model. Findings: crashes (any exception other than a one-line TinyforgeError), hangs,
 * cases over the memory limit, rejections of more than one line, accepted models whose build or run
 * fails, and accepted models whose outputs differ.
 */
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTflite } from '../../../src/model/tflite/reader.ts';
import { byteSize, elementCount } from '../../../src/ir/graph.ts';
import { runModel } from '../../../src/run/run.ts';
import { concat, outputValues, splitOutputs } from '../../../src/run/bytes.ts';
import { makeTempFolder, removeTempFolder } from '../../../src/lifecycle.ts';
import { randomValues } from '../batch.ts';
import { rng } from '../../helpers/op_harness.ts';
import { TFLM_REF, TflmRefError, runTflmRefAsync } from '../../helpers/tflm_ref.ts';
import { SHARED_DIR } from '../../helpers/shared.ts';
import { fcAutoencoder } from '../../helpers/autoencoder_model.ts';
import { writeTflite } from '../../../src/model/tflite/writer.ts';
import { MUTATION_CLASSES, type MutationClass, mutate } from './mutate.ts';
import type { CaseRequest, CaseVerdict } from './worker.ts';

export type Outcome = 'rejected' | 'accepted' | 'crash' | 'hang' | 'memory' | 'multi-line' | 'accepted-but-failed' | 'accepted-but-wrong';
export const FINDINGS: Outcome[] = ['crash', 'hang', 'memory', 'multi-line', 'accepted-but-failed', 'accepted-but-wrong'];

export interface InputFuzzOptions {
  seed: number;
  count: number;
  /** per case, in the worker (default 10 s) */
  timeLimitMs?: number;
  /** the worker's heap (default 768 MB) */
  memoryLimitMb?: number;
  /** accepted mutants built and run on the host at most (default: all) */
  hostRuns?: number;
  /** where reproducers go (none when undefined) */
  reproDir?: string;
  /** one line per finding and a line every 100 cases */
  log?: (line: string) => void;
}

export interface InputFuzzResult {
  cases: number;
  /** outcome counts per mutation class */
  table: Record<MutationClass, Partial<Record<Outcome, number>>>;
  /** host runs of accepted mutants, and how many TFLite Micro also ran (the rest it refused) */
  hostRuns: number;
  tflmCompared: number;
  findings: { case: number; mutation: MutationClass; outcome: Outcome; detail: string; message: string }[];
  seconds: number;
}

/** The models mutants are made from: the small shared models and one of ours. */
export function seedModels(): { name: string; bytes: Uint8Array }[] {
  const seeds = [{ name: 'fc_autoencoder', bytes: writeTflite(fcAutoencoder({ widths: [32, 16, 8, 16, 32] })) }];
  for (const name of ['hello_world_int8', 'micro_speech', 'mnist_lstm_int8', 'simple_add']) {
    const path = join(SHARED_DIR, 'models', `${name}.tflite`);
    if (existsSync(path)) seeds.push({ name, bytes: new Uint8Array(readFileSync(path)) });
  }
  return seeds;
}

class CaseRunner {
  private worker: Worker | undefined;
  constructor(private readonly memoryLimitMb: number) {}

  private spawn(): Worker {
    return new Worker(new URL('./worker-entry.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb } });
  }

  /** One case with a time limit: the verdict, or 'hang' / 'memory' when the worker had to be stopped. */
  run(request: CaseRequest, timeLimitMs: number): Promise<CaseVerdict | { status: 'hang' | 'memory' | 'crash'; message: string }> {
    const worker = (this.worker ??= this.spawn());
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
    await this.worker?.terminate();
  }
}

/**
 * Builds and runs an accepted mutant on the host (ASan+UBSan) and compares with TFLite Micro. The
 * file is named after the seed (`fileStem`), not the mutant: the model's name is in model.h, which the
 * harness includes, so every mutant of a seed that keeps its interface builds the very same harness
 * object, and the object cache (src/build/object_cache.ts) serves it instead of compiling it again.
 */
async function hostCheck(bytes: Uint8Array, name: string, fileStem: string, rand: () => number): Promise<{ outcome: Outcome; message: string; tflm: boolean }> {
  const graph = parseTflite(bytes, name);
  const inputs = graph.inputs.map((i) => {
    const t = graph.tensors[i]!;
    return randomValues(rand, t.dtype, elementCount(t.shape));
  });
  const dir = makeTempFolder('fuzz-input');
  try {
    const path = join(dir, `${fileStem.replace(/[^\w.-]/g, '_')}.tflite`);
    writeFileSync(path, bytes);
    let report;
    try {
      report = await runModel(path, { target: 'host', sanitize: true, cases: [inputs], timeoutMs: 60_000 });
    } catch (e) {
      const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      return { outcome: 'accepted-but-failed', message, tflm: false };
    }
    if (!report.matchesReference) return { outcome: 'accepted-but-wrong', message: 'host C differs from the TS reference', tflm: false };
    if (!existsSync(TFLM_REF)) return { outcome: 'accepted', message: '', tflm: false };
    let tflm;
    try {
      tflm = await runTflmRefAsync(bytes, inputs.length ? concat(inputs) : undefined);
    } catch (e) {
      if (e instanceof TflmRefError) return { outcome: 'accepted', message: 'TFLite Micro refuses it', tflm: false };
      throw e;
    }
    const sizes = graph.outputs.map((o) => byteSize(graph.tensors[o]!));
    const theirs = splitOutputs(tflm.outputs, sizes).map((b, o) => outputValues(graph, o, b));
    const differs = theirs.findIndex((values, o) => values.some((v, i) => !Object.is(v, report.outputs[o]?.[i])));
    if (differs >= 0) return { outcome: 'accepted-but-wrong', message: `output ${differs} differs from TFLite Micro's`, tflm: true };
    return { outcome: 'accepted', message: '', tflm: true };
  } finally {
    removeTempFolder(dir);
  }
}

export async function runInputFuzz(options: InputFuzzOptions): Promise<InputFuzzResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const seeds = seedModels();
  const runner = new CaseRunner(options.memoryLimitMb ?? 768);
  const table = Object.fromEntries(MUTATION_CLASSES.map((m) => [m, {}])) as InputFuzzResult['table'];
  const findings: InputFuzzResult['findings'] = [];
  let hostRuns = 0;
  let tflmCompared = 0;
  try {
    for (let i = 0; i < options.count; i++) {
      const rand = rng(options.seed * 1_000_003 + i);
      const seed = seeds[Math.floor(rand() * seeds.length)]!;
      const mutant = mutate(seed.bytes, rand);
      const name = `${seed.name}_m${i}.tflite`;
      const verdict = await runner.run({ id: i, name, bytes: mutant.bytes }, options.timeLimitMs ?? 10_000);
      let outcome: Outcome;
      let message = 'message' in verdict ? verdict.message : '';
      if (verdict.status === 'rejected') outcome = /[\n\r]/.test(verdict.message) ? 'multi-line' : 'rejected';
      else if (verdict.status === 'accepted') {
        outcome = 'accepted';
        if (options.hostRuns === undefined || hostRuns < options.hostRuns) {
          hostRuns++;
          const checked = await hostCheck(mutant.bytes, name, seed.name, rand);
          outcome = checked.outcome;
          message = checked.message;
          if (checked.tflm) tflmCompared++;
        }
      } else outcome = verdict.status;
      const row = table[mutant.mutation];
      row[outcome] = (row[outcome] ?? 0) + 1;
      if (FINDINGS.includes(outcome)) {
        findings.push({ case: i, mutation: mutant.mutation, outcome, detail: `${seed.name}: ${mutant.detail}`, message });
        log(`case ${i} (${seed.name}, ${mutant.mutation}: ${mutant.detail}): ${outcome}: ${message}`);
        if (options.reproDir) {
          mkdirSync(options.reproDir, { recursive: true });
          writeFileSync(join(options.reproDir, `${options.seed}-${i}-${mutant.mutation}.tflite`), mutant.bytes);
        }
      }
      if ((i + 1) % 100 === 0) log(`${i + 1}/${options.count} cases, ${findings.length} findings, ${hostRuns} host runs`);
    }
  } finally {
    await runner.close();
  }
  return { cases: options.count, table, hostRuns, tflmCompared, findings, seconds: (Date.now() - started) / 1000 };
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
    `${result.cases} mutants in ${result.seconds.toFixed(0)} s; ${result.hostRuns} accepted mutants built and run on the host under ASan+UBSan, ${result.tflmCompared} of them also run by TFLite Micro`,
    `${result.findings.length} findings`,
  ].join('\n');
}
