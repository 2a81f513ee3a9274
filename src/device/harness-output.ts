/**
 * Reads the lines the on-board harness (firmware/common/harness.c) prints into typed results.
 * Anything the harness would not print is an error that quotes the line, so a corrupted console
 * or a crashed board never passes as a result.
 */
import { TinyforgeError } from '../errors.ts';
import type { CounterSpec } from '../build/targets.ts';

export interface LayerTiming {
  index: number;
  ticks: number;
  /** ticks × countsPerTick, in the counter's unit */
  count: number;
}

export interface CaseResult {
  index: number;
  /** raw ticks of the board's counter for one tf_model_invoke */
  ticks: number;
  /** ticks × countsPerTick, in the unit of `counter.kind` */
  count: number;
  /** the same as `count` when the counter counts instructions (emulators); absent otherwise */
  instructions?: number;
  /** all output tensors concatenated in output order */
  outputs: Uint8Array;
  /** per-layer timings (profile builds only; empty otherwise) */
  layers: LayerTiming[];
}

export interface BoardRun {
  board: string;
  /** TF_MODEL_NAME as the firmware reports it */
  model: string;
  counter: { kind: CounterSpec['kind']; source: string; countsPerTick: number };
  cases: CaseResult[];
  memory: {
    /** planned arena bytes (TF_MODEL_ARENA_BYTES) */
    arena: number;
    /** deepest stack use since reset (painted stack), harness included */
    stack: number;
    /** deepest stack use of any single inference, measured below the harness's frame */
    stackInvoke: number;
  };
  /** the console output, as received */
  log: string;
}

const quote = (line: string) => JSON.stringify(line.length > 100 ? `${line.slice(0, 100)}...` : line);

function parseCount(text: string, where: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new TinyforgeError(`${where}: bad number ${quote(text)}`);
  return value;
}

function parseHex(text: string, where: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) throw new TinyforgeError(`${where}: bad output hex ${quote(text)}`);
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** The message of the first `TF ERROR` line, if the harness reported one. */
export function harnessError(log: string): string | undefined {
  const line = log.split('\n').find((l) => l.trim().startsWith('TF ERROR'));
  return line?.trim().slice('TF ERROR'.length).trim();
}

/** The last non-empty line of a console log, for timeout and crash messages. */
export function lastLine(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.length > 0 ? lines[lines.length - 1] : '(nothing)';
}

export function parseHarnessOutput(
  log: string,
  board: string,
  counter: CounterSpec,
  expectedCases?: number,
): BoardRun {
  const error = harnessError(log);
  if (error !== undefined) throw new TinyforgeError(`${board}: firmware reported: ${error}`);

  const lines = log.replace(/\r/g, '').split('\n');
  let model: string | undefined;
  let memory: BoardRun['memory'] | undefined;
  let done = false;
  const cases: CaseResult[] = [];
  const withCount = (ticks: number) => ticks * counter.countsPerTick;

  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${board}: console line ${i + 1}`;
    if (done) throw new TinyforgeError(`${where}: output after TF DONE: ${quote(line)}`);
    let m: RegExpExecArray | null;
    if ((m = /^TF HELLO model=(\S+) counter=(\S+)$/.exec(line))) {
      if (model !== undefined) throw new TinyforgeError(`${where}: second TF HELLO (did the board reset?)`);
      model = m[1];
    } else if (model === undefined) {
      throw new TinyforgeError(`${where}: expected TF HELLO first, got ${quote(line)}`);
    } else if ((m = /^TF CASE (\d+) TICKS (\d+) OUT ([0-9a-f]*)$/.exec(line))) {
      const index = parseCount(m[1], where);
      if (index !== cases.length) throw new TinyforgeError(`${where}: case ${index} out of order (expected ${cases.length})`);
      const ticks = parseCount(m[2], where);
      const count = withCount(ticks);
      cases.push({
        index, ticks, count, outputs: parseHex(m[3], where), layers: [],
        ...(counter.kind === 'instructions' ? { instructions: count } : {}),
      });
    } else if ((m = /^TF LAYER (\d+) (\d+) TICKS (\d+)$/.exec(line))) {
      const caseIndex = parseCount(m[1], where);
      const current = cases[cases.length - 1];
      if (current === undefined || caseIndex !== current.index) throw new TinyforgeError(`${where}: layer timing for case ${caseIndex} out of place`);
      const index = parseCount(m[2], where);
      if (index !== current.layers.length) throw new TinyforgeError(`${where}: layer ${index} out of order (expected ${current.layers.length})`);
      const ticks = parseCount(m[3], where);
      current.layers.push({ index, ticks, count: withCount(ticks) });
    } else if ((m = /^TF MEM arena=(\d+) stack=(\d+) stack_invoke=(\d+)$/.exec(line))) {
      memory = { arena: parseCount(m[1], where), stack: parseCount(m[2], where), stackInvoke: parseCount(m[3], where) };
    } else if (line === 'TF DONE') {
      done = true;
    } else {
      throw new TinyforgeError(`${where}: unexpected output ${quote(line)}`);
    }
  });

  if (model === undefined) throw new TinyforgeError(`${board}: no TF HELLO from the firmware (console: ${quote(lastLine(log))})`);
  if (!done) throw new TinyforgeError(`${board}: firmware stopped before TF DONE; last line: ${quote(lastLine(log))}`);
  if (memory === undefined) throw new TinyforgeError(`${board}: firmware printed no TF MEM line`);
  if (expectedCases !== undefined && cases.length !== expectedCases) {
    throw new TinyforgeError(`${board}: expected ${expectedCases} case results, got ${cases.length}`);
  }
  return {
    board, model, cases, memory, log,
    counter: { kind: counter.kind, source: counter.source, countsPerTick: counter.countsPerTick },
  };
}
