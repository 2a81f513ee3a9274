// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro itself as the test oracle: `tflm-ref` (reference kernels at the commit of the goldens,
 * found by ./runtimes.ts) runs any .tflite and writes its outputs, and with --layers every tensor.
 * Every answer is also recorded (./oracle_answers.ts): where tflm-ref is absent, as on CI, the
 * recorded answer is replayed; a query without one skips the running test with a one-line notice.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Graph, byteSize } from '../../src/core/ir/graph.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { concat } from '../../src/lab/data/bytes.ts';
import { currentTest } from '../support/root-hooks.ts';
import {
  type OracleAnswer,
  type OracleMode,
  type OracleQuery,
  type TflmTensorInfo,
  answerKey,
  loadAnswer,
  oracleCounts,
  oracleMode,
  saveAnswer,
} from './oracle_answers.ts';
import { findRuntime, missingRuntimeNotice, runtimePath } from './runtimes.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

export type { TflmTensorInfo } from './oracle_answers.ts';

/** Where tflm-ref is expected (it may be absent). */
export const TFLM_REF = runtimePath('tflm-ref');

/** Whether tflm-ref runs here (not only its recorded answers). */
export function tflmRefLive(): boolean {
  return findRuntime('tflm-ref') !== undefined;
}

/**
 * Whether TFLite Micro's answers can be had: live, or replayed from the recorded ones (always, in
 * the project). Kept for the callers that ask before building their cases; a query that has no
 * recorded answer skips its test then.
 */
export function tflmRefAvailable(_ctx?: Mocha.Context): boolean {
  return true;
}

/** Whether tflm-ref runs here; otherwise a one-line notice and, with a context, a skip (for what only a live oracle can do). */
export function requireLiveTflmRef(ctx?: Mocha.Context, skipped = 'skipping what needs TensorFlow Lite Micro live'): boolean {
  if (tflmRefLive()) return true;
  console.warn(`  ${missingRuntimeNotice('tflm-ref', skipped)}`);
  ctx?.skip();
  return false;
}

export interface TflmRun {
  /** outputs of every inference, each output tensor's bytes concatenated, one record per inference */
  outputs: Uint8Array;
  /** with `layers`: every tensor of subgraph 0 after the last inference */
  tensors?: { info: TflmTensorInfo; bytes: Uint8Array }[];
}

export class TflmRefError extends Error {}

/** No live tflm-ref and no recorded answer, outside a test (a test is skipped instead). */
export class TflmRefUnavailable extends Error {}

export interface TflmOptions {
  /** also read every tensor after the last inference */
  layers?: boolean;
  /** reset variable tensors before every inference */
  resetEach?: boolean;
}

function args(tool: string, modelPath: string, dir: string, hasInput: boolean, options: TflmOptions): [string, string[]] {
  const a = [modelPath, '--output', join(dir, 'out.bin')];
  if (hasInput) a.push('--input', join(dir, 'in.bin'));
  if (options.layers) a.push('--layers', join(dir, 'layers'));
  if (options.resetEach) a.push('--reset-each');
  return [tool, a];
}

function collect(dir: string, options: TflmOptions): TflmRun {
  const run: TflmRun = { outputs: new Uint8Array(readFileSync(join(dir, 'out.bin'))) };
  if (options.layers) {
    const index = JSON.parse(readFileSync(join(dir, 'layers', 'index.json'), 'utf8')) as TflmTensorInfo[];
    run.tensors = index.map((info) => ({ info, bytes: new Uint8Array(readFileSync(join(dir, 'layers', `${info.index}.bin`))) }));
  }
  return run;
}

function prepareDir(query: OracleQuery, options: TflmOptions): { dir: string; modelPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-tflm-'));
  const modelPath = join(dir, 'model.tflite');
  writeFileSync(modelPath, query.model);
  if (query.input) writeFileSync(join(dir, 'in.bin'), query.input);
  if (options.layers) mkdirSync(join(dir, 'layers'));
  return { dir, modelPath };
}

function queryOf(model: Uint8Array | string, input: Uint8Array | undefined, options: TflmOptions): OracleQuery {
  return { model: typeof model === 'string' ? new Uint8Array(readFileSync(model)) : model, input, layers: options.layers, resetEach: options.resetEach };
}

function errorText(e: unknown): string {
  return `tflm-ref: ${((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).trim()}`;
}

/**
 * The key of the same query with the model's tensor and graph names cleared, or undefined for a
 * model our reader refuses. Names do not change TFLite Micro's outputs, but models built with tfjs
 * layers carry names from a process-wide counter, so their bytes depend on what ran before them.
 */
function nameFreeKey(query: OracleQuery): string | undefined {
  try {
    const graph = parseTflite(query.model, 'model.tflite');
    graph.name = 'model';
    for (const t of graph.tensors) t.name = `t${t.index}`;
    return answerKey({ ...query, model: writeTflite(graph) });
  } catch {
    return undefined;
  }
}

function loadAnswerOf(key: string | undefined): OracleAnswer | undefined {
  return key === undefined ? undefined : loadAnswer(key);
}

/** The recorded answer, or a skip of the running test (a TflmRefUnavailable outside one). */
function replay(key: string, model: Uint8Array | string, query: OracleQuery): OracleAnswer {
  const answer = loadAnswer(key) ?? loadAnswerOf(nameFreeKey(query));
  if (answer) {
    oracleCounts.replayed++;
    const test = currentTest();
    if (test) oracleCounts.tests.add(test.fullTitle());
    return answer;
  }
  oracleCounts.missing++;
  const what = typeof model === 'string' ? model : `a ${model.length}-byte model`;
  const line = missingRuntimeNotice('tflm-ref', `no recorded answer for ${what} (key ${key.slice(0, 12)}; npm run oracle:record records it)`);
  const test = currentTest();
  if (test) {
    console.warn(`  ${line}: skipped`);
    test.skip();
  }
  throw new TflmRefUnavailable(line);
}

function settle(answer: OracleAnswer): TflmRun {
  if (answer.error !== undefined) throw new TflmRefError(answer.error);
  return { outputs: answer.outputs, tensors: answer.tensors };
}

/** A query about to run live: its key, the mode, its scratch folder and the command line. */
interface LiveRun {
  key: string;
  mode: OracleMode;
  dir: string;
  command: [string, string[]];
  options: TflmOptions;
  query: OracleQuery;
}

/** The recorded answer where the oracle replays, else the live run to make. */
function begin(model: Uint8Array | string, input: Uint8Array | undefined, options: TflmOptions): { replayed: TflmRun } | LiveRun {
  const tool = findRuntime('tflm-ref');
  const mode = oracleMode(tool !== undefined);
  const query = queryOf(model, input, options);
  const key = answerKey(query);
  if (mode === 'replay') return { replayed: settle(replay(key, model, query)) };
  const { dir, modelPath } = prepareDir(query, options);
  return { key, mode, dir, command: args(tool!, modelPath, dir, input !== undefined, options), options, query };
}

/** A live run's outcome (`failure`: what running it threw), recorded when recording; the scratch folder goes. */
function end(run: LiveRun, failure: unknown): TflmRun {
  try {
    let answer: OracleAnswer;
    try {
      if (failure !== undefined) throw failure;
      answer = collect(run.dir, run.options);
    } catch (e) {
      answer = { error: errorText(e) };
    }
    oracleCounts.live++;
    if (run.mode === 'record') {
      saveAnswer(run.key, answer);
      const alias = nameFreeKey(run.query);
      if (alias !== undefined && alias !== run.key) saveAnswer(alias, answer);
    }
    return settle(answer);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
}

/** Runs a model (a path, or the bytes of a .tflite) on `input` (every inference's inputs concatenated). */
export function runTflmRef(model: Uint8Array | string, input?: Uint8Array, options: TflmOptions = {}): TflmRun {
  const run = begin(model, input, options);
  if ('replayed' in run) return run.replayed;
  let failure: unknown;
  try {
    execFileSync(...run.command, { stdio: ['ignore', 'pipe', 'pipe'], timeout: HANG_GUARD_MS });
  } catch (e) {
    failure = e;
  }
  return end(run, failure);
}

/** The same without blocking the event loop (the fuzzer runs it beside builds and emulators). */
export async function runTflmRefAsync(model: Uint8Array | string, input?: Uint8Array, options: TflmOptions = {}): Promise<TflmRun> {
  const run = begin(model, input, options);
  if ('replayed' in run) return run.replayed;
  let failure: unknown;
  try {
    await promisify(execFile)(...run.command, { timeout: HANG_GUARD_MS, encoding: 'buffer' });
  } catch (e) {
    failure = e;
  }
  return end(run, failure);
}

/**
 * For a before() hook that asks the oracle: runs `fn`, and where an answer is neither live nor
 * recorded, prints the notice and skips the hook's tests instead of failing it.
 */
export function withOracle(ctx: Mocha.Context, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TflmRefUnavailable)) throw e;
    console.warn(`  ${e.message}: skipped`);
    ctx.skip();
  }
}

/** Writes a run's tensors as tflm-ref's --layers DIR does (`<index>.bin` and index.json). */
export function writeLayersDir(run: TflmRun, dir: string): void {
  if (!run.tensors) throw new Error('writeLayersDir: the run was made without layers');
  mkdirSync(dir, { recursive: true });
  for (const t of run.tensors) writeFileSync(join(dir, `${t.info.index}.bin`), t.bytes);
  writeFileSync(join(dir, 'index.json'), JSON.stringify(run.tensors.map((t) => t.info)));
}

/** tflm-ref's output bytes of every inference, split into one array per graph output. */
export function splitTflmOutputs(graph: Graph, bytes: Uint8Array, inferences = 1): Uint8Array[][] {
  const record = graph.outputs.reduce((n, o) => n + byteSize(graph.tensors[o]!), 0);
  if (bytes.length !== record * inferences) throw new Error(`tflm-ref gave ${bytes.length} output bytes, expected ${inferences} x ${record}`);
  let at = 0;
  return Array.from({ length: inferences }, () => graph.outputs.map((o) => bytes.slice(at, (at += byteSize(graph.tensors[o]!)))));
}

/** A graph written by our writer, run by TFLite Micro: the output tensors' bytes, one array each. */
export function tflmOutputs(graph: Graph, inputs: Uint8Array[]): Uint8Array[] {
  const input = concatBytes(inputs);
  const run = runTflmRef(writeTflite(graph), input.length > 0 ? input : undefined);
  return splitTflmOutputs(graph, run.outputs)[0]!;
}

/** Byte arrays end to end (src/lab/run/bytes.ts's concat, under the name the tests import). */
export const concatBytes = concat;
