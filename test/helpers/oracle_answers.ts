// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro's answers, recorded: every run of `tflm-ref` the tests make (a model's bytes, its
 * input bytes and the run's flags) is keyed by a SHA-256 of those, and what tflm-ref answered (its
 * outputs, every tensor with --layers, or its refusal) is committed under test/oracle/answers/. On a
 * machine without tflm-ref the tests replay those answers, so CI checks bit-exactness against TFLite
 * Micro anywhere; where tflm-ref is present they run it live. The oracle itself is never committed.
 *
 *   TINYFORGE_ORACLE=record   run tflm-ref live and write (or rewrite) every answer asked for
 *   TINYFORGE_ORACLE=replay   never run tflm-ref, even when present (how CI sees the tests)
 *   (unset)                   live when tflm-ref is present, else replay
 *
 * `npm run oracle:record` (scripts/oracle-record.mjs) records the whole test suite's answers and
 * drops those no test asks for any more; TINYFORGE_ORACLE_USED names the file each key is listed in.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export const ANSWERS_DIR = resolve(import.meta.dirname, '..', 'oracle', 'answers');

export type OracleMode = 'live' | 'replay' | 'record';

/** The oracle's mode, from TINYFORGE_ORACLE and whether tflm-ref is present. */
export function oracleMode(liveAvailable: boolean, env: NodeJS.ProcessEnv = process.env): OracleMode {
  const set = env.TINYFORGE_ORACLE;
  if (set === 'record') {
    if (!liveAvailable) throw new Error('TINYFORGE_ORACLE=record needs tflm-ref (docs/reference-runtimes.md)');
    return 'record';
  }
  if (set === 'replay') return 'replay';
  if (set !== undefined && set !== '' && set !== 'live') throw new Error(`TINYFORGE_ORACLE=${set}: expected record, replay or live`);
  return liveAvailable ? 'live' : 'replay';
}

/** What one run is asked: the model, every inference's inputs concatenated, and tflm-ref's flags. */
export interface OracleQuery {
  model: Uint8Array;
  input?: Uint8Array;
  layers?: boolean;
  resetEach?: boolean;
}

/** One tensor as tflm-ref's --layers index.json describes it. */
export interface TflmTensorInfo {
  index: number;
  name: string;
  type: string;
  shape: number[];
  scale: number;
  zero_point: number;
  bytes: number;
}

/** What tflm-ref answered: its outputs (and tensors), or the one line it refused with. */
export type OracleAnswer =
  | { outputs: Uint8Array; tensors?: { info: TflmTensorInfo; bytes: Uint8Array }[]; error?: undefined }
  | { error: string; outputs?: undefined; tensors?: undefined };

/** The key of a query: the same model, input and flags always give the same key. */
export function answerKey(q: OracleQuery): string {
  const h = createHash('sha256');
  const part = (bytes: Uint8Array) => {
    h.update(`${bytes.length}:`);
    h.update(bytes);
  };
  part(q.model);
  part(q.input ?? new Uint8Array(0));
  h.update(`layers=${q.layers ? 1 : 0};reset=${q.resetEach ? 1 : 0}`);
  return h.digest('hex');
}

function answerPath(key: string): string {
  return join(ANSWERS_DIR, key.slice(0, 2), `${key}.json.gz`);
}

interface StoredAnswer {
  outputs?: string;
  tensors?: { info: TflmTensorInfo; bytes: string }[];
  error?: string;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** The recorded answer of `key`, or undefined when none was recorded. */
export function loadAnswer(key: string): OracleAnswer | undefined {
  const path = answerPath(key);
  if (!existsSync(path)) return undefined;
  let stored: StoredAnswer;
  try {
    stored = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as StoredAnswer;
  } catch (e) {
    throw new Error(`${path}: not a recorded answer (${(e as Error).message})`);
  }
  noteUsed(key);
  if (stored.error !== undefined) return { error: stored.error };
  if (stored.outputs === undefined) throw new Error(`${path}: a recorded answer without outputs or error`);
  return {
    outputs: unb64(stored.outputs),
    tensors: stored.tensors?.map((t) => ({ info: t.info, bytes: unb64(t.bytes) })),
  };
}

/** Records `answer` for `key` (written whole, then renamed: two test processes may record at once). */
export function saveAnswer(key: string, answer: OracleAnswer): void {
  const stored: StoredAnswer =
    answer.error !== undefined
      ? { error: answer.error }
      : { outputs: b64(answer.outputs), ...(answer.tensors ? { tensors: answer.tensors.map((t) => ({ info: t.info, bytes: b64(t.bytes) })) } : {}) };
  const path = answerPath(key);
  mkdirSync(join(ANSWERS_DIR, key.slice(0, 2)), { recursive: true });
  const partial = `${path}.${process.pid}.part`;
  // mtime 0 in the gzip header: the same answer always gives the same bytes
  writeFileSync(partial, gzipSync(Buffer.from(JSON.stringify(stored)), { level: 9 }));
  renameSync(partial, path);
  noteUsed(key);
}

/** Under `npm run oracle:record`: the keys the tests asked for, so that answers nobody asks for are dropped. */
function noteUsed(key: string): void {
  const list = process.env.TINYFORGE_ORACLE_USED;
  if (list) appendFileSync(list, `${key}\n`);
}

/** Replays so far in this process, and queries that had no recorded answer (printed by the reporter). */
export const oracleCounts: { live: number; replayed: number; missing: number; tests: Set<string> } = ((
  globalThis as { tinyforgeOracleCounts?: typeof oracleCounts }
).tinyforgeOracleCounts ??= { live: 0, replayed: 0, missing: 0, tests: new Set() });
