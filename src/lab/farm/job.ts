// SPDX-License-Identifier: Apache-2.0
/**
 * What travels through the farm's queues: one job asks one board kind to run, profile or validate one
 * model with a few options. A job is checked where it is made and again where it is taken: whoever
 * wrote it into Redis, a malformed or oversized job, an option off the allow-list or a model whose
 * bytes do not hash to the sha256 it names is refused in one line and never reaches a board.
 */
import { createHash } from 'node:crypto';
import { TinyforgeError } from '../../core/errors.ts';

/** The commands a farm job may run: those that take a model to a board and print one JSON object. */
export const FARM_COMMANDS = ['run', 'profile', 'validate'] as const;
export type FarmCommand = (typeof FARM_COMMANDS)[number];

/** The largest model a job carries (its bytes ride in Redis, base64-encoded, with the job). */
export const MAX_MODEL_BYTES = 16 * 1024 * 1024;

/** BullMQ's keys and ours live under this prefix, so one Redis can serve other things too. */
export const FARM_PREFIX = 'tinyforge';

/** The queue of one board kind: a worker listens only on the queues of the boards it holds. */
export function queueName(board: string): string {
  return `board-${board}`;
}

/** A job's result, written once (SET NX) so a retried job is never reported twice. */
export function resultKey(jobId: string): string {
  return `${FARM_PREFIX}:farm:result:${jobId}`;
}

/** A worker's heartbeat: its boards and their state, expiring when the worker stops beating. */
export function heartbeatKey(workerId: string): string {
  return `${FARM_PREFIX}:farm:worker:${workerId}`;
}

export const HEARTBEAT_PATTERN = `${FARM_PREFIX}:farm:worker:*`;

/** Board kinds some client asked for, so `farm status` lists queues that have no worker yet. */
export const KNOWN_BOARDS_KEY = `${FARM_PREFIX}:farm:boards`;

/** A board name as `tinyforge boards` prints them; it is part of a queue name and a Redis key. */
const BOARD_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function checkBoardName(board: string): string {
  if (!BOARD_NAME.test(board)) throw new TinyforgeError(`'${board}' is not a board name (lower-case letters, digits, '.', '_', '-')`);
  return board;
}

/** A flag's value check: returns nothing, throws a TinyforgeError naming the flag. */
export type OptionCheck = (value: string) => unknown;

/**
 * The options a job may carry, per command, as the command's own flag names (without `--`); the
 * client hands in the checks its flags use, so a value the command would refuse is refused before
 * it is queued. A boolean flag's check is null and its value is `true`.
 */
export type OptionAllowList = Record<FarmCommand, Record<string, OptionCheck | null>>;

/** A file a job carries: its name (no directory), sha256 and bytes (base64). */
export interface FarmFile {
  name: string;
  sha256: string;
  base64: string;
}

/** The model (.tflite or .onnx) a job runs. */
export type FarmModel = FarmFile;

/** The flag that takes a command's input file: a job may carry that one file (raw bytes or .npy). */
export const INPUT_FLAG: Record<FarmCommand, string> = { run: 'input', profile: 'input', validate: 'inputs' };

export interface FarmJob {
  version: 1;
  command: FarmCommand;
  board: string;
  model: FarmModel;
  /** the file given to INPUT_FLAG[command], when there is one */
  input?: FarmFile;
  options: Record<string, string | true>;
}

/** A job that must not run: its message is one line and says why. */
export class FarmRefusal extends TinyforgeError {
  constructor(message: string) {
    super(`refused: ${message}`);
    this.name = 'FarmRefusal';
  }
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const MODEL_NAME = /^[^/\\\0]{1,200}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A job as made by a client: the files' bytes hashed and checked against the size limit. */
export function makeJob(
  command: FarmCommand,
  board: string,
  model: { name: string; bytes: Uint8Array },
  options: Record<string, string | true>,
  allow: OptionAllowList,
  input?: { name: string; bytes: Uint8Array },
): FarmJob {
  const { name, bytes } = model;
  const size = bytes.length + (input?.bytes.length ?? 0);
  if (size > MAX_MODEL_BYTES)
    throw new FarmRefusal(`${name}${input ? ` and ${input.name}` : ''} are ${size} bytes, above the farm's limit of ${MAX_MODEL_BYTES}`);
  const file = (n: string, b: Uint8Array): FarmFile => ({ name: n, sha256: sha256Of(b), base64: Buffer.from(b).toString('base64') });
  const job: FarmJob = {
    version: 1,
    command,
    board: checkBoardName(board),
    model: file(name, bytes),
    ...(input ? { input: file(input.name, input.bytes) } : {}),
    options,
  };
  return checkJob(job, board, allow).job;
}

/** A carried file's bytes, checked: a name, base64 within the room left, bytes that hash to its sha256. */
function checkFile(file: unknown, what: string, room: number): Buffer {
  if (!isRecord(file)) throw new FarmRefusal(`the job carries no ${what}`);
  if (typeof file.name !== 'string' || !MODEL_NAME.test(file.name) || file.name === '.' || file.name === '..')
    throw new FarmRefusal(`the ${what} has no usable file name`);
  if (typeof file.sha256 !== 'string' || !SHA256.test(file.sha256)) throw new FarmRefusal(`the ${what} has no sha256 (64 lower-case hex digits)`);
  if (typeof file.base64 !== 'string' || !BASE64.test(file.base64) || file.base64.length % 4 !== 0) throw new FarmRefusal(`the ${what}'s bytes are not base64`);
  // the size is checked on the text, before anything is decoded
  if ((file.base64.length / 4) * 3 > room + 2) throw new FarmRefusal(`the job is above the farm's limit of ${MAX_MODEL_BYTES} bytes`);
  const bytes = Buffer.from(file.base64, 'base64');
  if (bytes.length > room) throw new FarmRefusal(`the job is above the farm's limit of ${MAX_MODEL_BYTES} bytes`);
  const actual = sha256Of(bytes);
  if (actual !== file.sha256) throw new FarmRefusal(`the ${what}'s bytes hash to ${actual.slice(0, 12)}..., not the job's ${file.sha256.slice(0, 12)}...`);
  return bytes;
}

/**
 * Checks a job taken from the queue of `board`: its shape, command, options against the allow-list,
 * its size and the model's hash. Returns the job and the model's bytes; throws FarmRefusal.
 */
export function checkJob(data: unknown, board: string, allow: OptionAllowList): { job: FarmJob; bytes: Buffer; input?: Buffer } {
  if (!isRecord(data)) throw new FarmRefusal('the job is not an object');
  if (data.version !== 1) throw new FarmRefusal(`job version ${JSON.stringify(data.version)} is not 1`);
  const command = data.command;
  if (typeof command !== 'string' || !(FARM_COMMANDS as readonly string[]).includes(command))
    throw new FarmRefusal(`command ${JSON.stringify(command)} is not one of ${FARM_COMMANDS.join(', ')}`);
  if (data.board !== board) throw new FarmRefusal(`the job names board ${JSON.stringify(data.board)}, not this queue's ${board}`);
  const bytes = checkFile(data.model, 'model', MAX_MODEL_BYTES);
  const input = data.input === undefined ? undefined : checkFile(data.input, 'input', MAX_MODEL_BYTES - bytes.length);
  const options = data.options;
  if (!isRecord(options)) throw new FarmRefusal('the job has no options object');
  const allowed = allow[command as FarmCommand];
  for (const [flag, value] of Object.entries(options)) {
    if (!Object.hasOwn(allowed, flag)) throw new FarmRefusal(`--${flag} is not an option a farm job may carry for ${command}`);
    const check = allowed[flag];
    if (check === null || check === undefined) {
      if (value !== true) throw new FarmRefusal(`--${flag} takes no value`);
      continue;
    }
    if (typeof value !== 'string' || value.length > 200) throw new FarmRefusal(`--${flag} needs a value`);
    try {
      check(value);
    } catch (e) {
      throw new FarmRefusal(e instanceof Error ? e.message : String(e));
    }
  }
  const extra = Object.keys(data).filter((k) => !['version', 'command', 'board', 'model', 'input', 'options'].includes(k));
  if (extra.length > 0) throw new FarmRefusal(`the job has unknown fields: ${extra.join(', ')}`);
  return { job: data as unknown as FarmJob, bytes, ...(input ? { input } : {}) };
}

/** A job's options as the command's flags. */
export function optionArgs(options: Record<string, string | true>): string[] {
  return Object.entries(options).flatMap(([flag, value]) => (value === true ? [`--${flag}`] : [`--${flag}`, value]));
}

/**
 * A result read back from Redis, checked against the job it answers: its shape and types (finite
 * numbers, non-empty names, an output object), and the job's own id, command, board, model name
 * and hash, so that nothing written under the key by anyone else is taken for the job's result.
 * Throws a TinyforgeError, one line naming the job.
 */
export function checkResult(text: string, id: string, job: Pick<FarmJob, 'command' | 'board' | 'model'>): FarmResult {
  const fail = (what: string): never => {
    throw new TinyforgeError(`farm job ${id}: its result is malformed: ${what}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  if (!isRecord(data)) return fail('not an object');
  const expected: Record<string, string> = { jobId: id, command: job.command, board: job.board, model: job.model.name, sha256: job.model.sha256 };
  for (const [key, value] of Object.entries(expected))
    if (data[key] !== value) fail(`${key} is ${JSON.stringify(data[key]) ?? 'missing'}, not the job's ${JSON.stringify(value)}`);
  for (const key of ['worker', 'instance'])
    if (typeof data[key] !== 'string' || data[key] === '') fail(`${key} is ${JSON.stringify(data[key]) ?? 'missing'}, not a name`);
  if (!Number.isInteger(data.exitCode)) fail(`exitCode is ${JSON.stringify(data.exitCode) ?? 'missing'}, not an integer`);
  if (typeof data.seconds !== 'number' || !Number.isFinite(data.seconds) || data.seconds < 0)
    fail(`seconds is ${JSON.stringify(data.seconds) ?? 'missing'}, not a duration`);
  if (!isRecord(data.output)) fail("output is not the command's JSON object");
  return data as unknown as FarmResult;
}

/** What a worker writes once per job: the command's --json output, or why the board failed it. */
export interface FarmResult {
  jobId: string;
  command: FarmCommand;
  board: string;
  model: string;
  sha256: string;
  /** the worker and board instance that ran it */
  worker: string;
  instance: string;
  /** the command's exit code: 0, or non-zero with its output still printed (outputs differ from the reference) */
  exitCode: number;
  /** exactly what `tinyforge COMMAND --json` printed, parsed */
  output: Record<string, unknown>;
  seconds: number;
}
