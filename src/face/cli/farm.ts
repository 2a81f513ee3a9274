// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge farm worker|sweep|status` and `--farm URL` of run, profile and validate: many boards
 * on many hosts behind BullMQ queues in one Redis (docs/farm.md). A worker runs each job as this CLI
 * would run it locally with --json, so a farm's results are the very documents a local run prints.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { TinyforgeError } from '../../core/errors.ts';
import { clockOption } from '../../lab/estimate/clock.ts';
import { type FarmCommand, type FarmJob, type FarmResult, type OptionAllowList, INPUT_FLAG, checkBoardName, makeJob, optionArgs } from '../../lab/farm/job.ts';
import type { FarmClient, JobProgress, Outcome } from '../../lab/farm/client.ts';
import { type RedisAccess, checkRedisUrl, redactedUrl } from '../../lab/farm/access.ts';
import type { BoardSlot } from '../../lab/farm/worker.ts';
import { BULLMQ, loadOptional } from '../../lab/optional_deps.ts';
import { type PortBoard, detectPortBoards, emulatedSlots, portBoardOption, portSlots } from '../../lab/farm/ports.ts';
import { takeInterrupt, trackChild } from '../../lab/lifecycle.ts';
import { assertReplaceable, writeFileAtomically } from '../../lab/output.ts';
import { byteSizeOption, countOption, patchOption, preferOption, timeoutOption, PREFER_HELP } from './device-options.ts';
import { formatTable } from '../report/table.ts';
import { addAlias } from './option-aliases.ts';
import { jsonLine } from '../report/json_document.ts';
import { chartJsSource, isTinyforgeReport, reportHtml } from '../report/html.ts';
import type { ProfileJson } from '../report/profile.ts';
import type { PatchOption } from '../../core/plan/patch_policy.ts';

/** The flags a farm job may carry: those that shape the build and the run, none that name a local file. */
const SHAPING = {
  'max-ram': byteSizeOption('--max-ram'),
  'max-flash': byteSizeOption('--max-flash'),
  prefer: preferOption,
  patch: patchOption,
  timeout: timeoutOption,
};
export const FARM_OPTIONS: OptionAllowList = {
  run: { ...SHAPING, clock: clockOption, 'no-estimate': null },
  profile: { ...SHAPING, clock: clockOption, 'no-estimate': null, runs: countOption('--runs', 65_535) },
  validate: SHAPING,
};

/** The farm's flags after its URL, spelled alike on every command that reaches the farm. */
const TLS_OPTIONS: [flags: string, help: string][] = [
  ['--farm-tls', 'connect over TLS (implied by rediss:// and by the files below)'],
  ['--farm-ca <file>', "PEM file of the CA that signed the farm's Redis certificate"],
  ['--farm-cert <file>', 'PEM client certificate (a Redis with tls-auth-clients)'],
  ['--farm-key <file>', 'PEM key of the client certificate'],
];

/** The farm's TLS flags (each help after `prefix`), and the `--redis…` spellings of all its flags as aliases. */
export function farmAccess(command: Command, prefix: string): Command {
  for (const [flags, help] of TLS_OPTIONS) command.option(flags, `${prefix}${help}`);
  for (const suffix of ['', '-tls', '-ca', '-cert', '-key']) addAlias(command, `--redis${suffix}`, `--farm${suffix}`);
  return command;
}

/** The farm's flags of `farm worker|sweep|status`. */
function farmFlags(command: Command): Command {
  return farmAccess(
    command.option('--farm <url>', "the farm's Redis URL, redis://[user:password@]host:port (rediss:// for TLS); default: $TINYFORGE_REDIS_URL"),
    '',
  );
}

export interface AccessFlags {
  farm?: string;
  farmTls?: boolean;
  farmCa?: string;
  farmCert?: string;
  farmKey?: string;
}

function accessOf(flags: AccessFlags): RedisAccess {
  const url = flags.farm ?? process.env.TINYFORGE_REDIS_URL;
  if (!url) throw new TinyforgeError("give the farm's Redis: --farm URL (or $TINYFORGE_REDIS_URL)");
  return { url: checkRedisUrl(url), tls: flags.farmTls, ca: flags.farmCa, cert: flags.farmCert, key: flags.farmKey };
}

/**
 * The farm's queues and Redis connection: BullMQ and ioredis are optional dependencies, loaded here,
 * when a farm command is about to connect; where they are not installed, `neededBy` (the command)
 * says so in one line.
 */
async function loadFarm(neededBy: string) {
  return loadOptional(BULLMQ, neededBy, async () => {
    const [client, redis, worker] = await Promise.all([
      import('../../lab/farm/client.ts'),
      import('../../lab/farm/redis.ts'),
      import('../../lab/farm/worker.ts'),
    ]);
    return { FarmClient: client.FarmClient, connectRedis: redis.connectRedis, checkConnection: redis.checkConnection, FarmWorker: worker.FarmWorker };
  });
}

async function withClient<T>(flags: AccessFlags, neededBy: string, use: (client: FarmClient) => Promise<T>): Promise<T> {
  const access = accessOf(flags);
  const { FarmClient, connectRedis, checkConnection } = await loadFarm(neededBy);
  const redis = connectRedis(access);
  await checkConnection(redis, access);
  const client = new FarmClient(redis);
  try {
    return await use(client);
  } finally {
    await client.close().catch(() => {});
    redis.disconnect();
  }
}

/**
 * `run` jobs on the farm's boards, all queued at once so that the workers take them side by side;
 * one outcome per job, in the jobs' order (tune's candidates).
 */
export async function runFarmJobs(flags: AccessFlags, neededBy: string, jobs: FarmJob[]): Promise<Outcome[]> {
  return withClient(flags, neededBy, async (client) => {
    const submitted = await client.submit(jobs);
    const outcomes = await client.wait(submitted);
    return submitted.map((s) => outcomes.find((o) => o.id === s.id)!);
  });
}

function boardListOption(value: string): string[] {
  const boards = value.split(',').map((b) => b.trim());
  if (boards.length === 1 && boards[0] === 'all') return ['all'];
  return boards.map(checkBoardName);
}

/** Runs one job as this CLI runs locally: the command with --json, as a child, its stdout parsed. */
function runSelf(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function lastErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return [...lines].reverse().find((l) => l.startsWith('error:') || l.startsWith('internal error:')) ?? lines.at(-1) ?? 'no output';
}

/** The worker's executor: a real board is flashed with the model first, an emulated one is started by the command. */
export async function executeJob(
  job: FarmJob,
  modelPath: string,
  slot: BoardSlot & { probe?: string },
  inputPath?: string,
): Promise<{ exitCode: number; output: Record<string, unknown> }> {
  const shaping = optionArgs(Object.fromEntries(Object.entries(job.options).filter(([k]) => ['max-ram', 'max-flash', 'prefer', 'patch'].includes(k))));
  const where = slot.port ? ['--board', slot.board, '--port', slot.port] : ['--board', slot.board];
  if (slot.port) {
    const flash = await runSelf(['flash', modelPath, ...where, ...(slot.probe ? ['--probe', slot.probe] : []), ...shaping]);
    if (flash.exitCode !== 0) throw new Error(`flash: ${lastErrorLine(flash.stderr)}`);
  }
  const input = inputPath ? [`--${INPUT_FLAG[job.command]}`, inputPath] : [];
  const r = await runSelf([job.command, modelPath, ...where, ...input, ...optionArgs(job.options), '--json']);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(lastErrorLine(r.stderr));
  return { exitCode: r.exitCode, output: JSON.parse(line) as Record<string, unknown> };
}

function workerCommand(): Command {
  return farmFlags(
    new Command('worker')
      .description("offer this host's boards to the farm: take their jobs one per board at a time, until stopped")
      .option('--boards <boards>', 'emulated boards to offer, comma-separated (`tinyforge boards`)', boardListOption)
      .option('--instances <n>', 'emulated instances of each board (jobs run at once per board kind)', countOption('--instances', 64), 1)
      .option('--jobs <n>', 'the most jobs the host runs at once over all its boards (default: one per board)', countOption('--jobs', 64))
      .option('--ports <mode>', 'auto: offer the real boards on this host, found by their USB ids')
      .option('--port-board <path=board[@probe]>', 'a real board on a port whose USB id does not name it (repeatable)', portBoardOption)
      .option('--name <id>', "the worker's id in `farm status` (default: host-pid)"),
  ).action(async (opts: AccessFlags & { boards?: string[]; instances: number; jobs?: number; ports?: string; portBoard?: PortBoard[]; name?: string }) => {
    if (opts.ports !== undefined && opts.ports !== 'auto') throw new TinyforgeError(`--ports must be auto, got '${opts.ports}'`);
    if (!opts.boards && opts.ports === undefined && !opts.portBoard)
      throw new TinyforgeError('give the boards to offer: --boards B1,B2 (emulated) or --ports auto');
    if (opts.boards?.includes('all')) throw new TinyforgeError('--boards of a worker names the boards it holds, not all');
    const slots: (BoardSlot & { probe?: string })[] = opts.boards ? emulatedSlots(opts.boards, opts.instances) : [];
    if (opts.ports === 'auto' || opts.portBoard) {
      const { found, skipped } = await detectPortBoards(opts.portBoard ?? []);
      for (const line of skipped) process.stderr.write(`${line}\n`);
      const real = portSlots(found);
      slots.push(...real.map((s, i) => ({ ...s, ...(found[i]!.probe ? { probe: found[i]!.probe } : {}) })));
    }
    if (slots.length === 0) throw new TinyforgeError('no board to offer: no known USB id on any port (name ports with --port-board PATH=BOARD)');
    const access = accessOf(opts);
    const { FarmWorker } = await loadFarm('tinyforge farm worker');
    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    const worker = new FarmWorker({
      access,
      id: opts.name,
      slots,
      allow: FARM_OPTIONS,
      execute: (job, modelPath, slot, inputPath) => executeJob(job, modelPath, slot, inputPath),
      log,
      ...(opts.jobs !== undefined ? { maxJobs: opts.jobs } : {}),
    });
    await worker.start();
    // runs until stopped: Ctrl-C finishes the jobs in hand and leaves; a second Ctrl-C or SIGTERM
    // ends it at once, and its jobs go to other workers when their locks run out
    await new Promise<void>((resolve) =>
      takeInterrupt(() => {
        log(`worker ${worker.id} stopping after its running jobs (Ctrl-C again to stop now)`);
        void worker.close().finally(resolve);
      }),
    );
  });
}

/** The figures of one result the tables show, from the command's --json document. */
function rowFigures(output: Record<string, unknown>): {
  cycles: string;
  time: string;
  arena: string;
  flash: string;
  ram: string;
  fits: string;
  matches: string;
} {
  const memory = (output.memory ?? {}) as Record<string, number | undefined>;
  const capacity = (output.capacity ?? null) as { flash?: number; ram?: number } | null;
  const counter = (output.counter ?? null) as { kind?: string } | null;
  const estimate = (output.cycleEstimate ?? null) as { perInference?: number; clockHz?: number } | null;
  const per = typeof output.perInference === 'number' ? output.perInference : null;
  const seconds = estimate?.perInference !== undefined && estimate.clockHz ? estimate.perInference / estimate.clockHz : null;
  // ms as the local tables print them; microseconds only where a model runs under a millisecond
  const time = seconds === null ? '-' : seconds >= 1e-3 ? `${(seconds * 1e3).toFixed(seconds >= 0.1 ? 0 : 2)} ms` : `${(seconds * 1e6).toFixed(1)} us`;
  const fits =
    capacity && memory.flash !== undefined && memory.ram !== undefined && capacity.flash !== undefined && capacity.ram !== undefined
      ? memory.flash <= capacity.flash && memory.ram <= capacity.ram
        ? 'yes'
        : 'no'
      : '-';
  return {
    cycles: per !== null ? `${per.toLocaleString('en-US')} ${counter?.kind ?? ''}`.trim() : '-',
    time,
    arena: memory.arena !== undefined ? memory.arena.toLocaleString('en-US') : '-',
    flash: memory.flash !== undefined ? memory.flash.toLocaleString('en-US') : '-',
    ram: memory.ram !== undefined ? memory.ram.toLocaleString('en-US') : '-',
    fits,
    matches: typeof output.matchesReference === 'boolean' ? (output.matchesReference ? 'yes' : 'NO') : '-',
  };
}

/** One table, a row per (model, board): the farm's answer to a sweep or a command on several boards. */
export function formatFarmTable(outcomes: Outcome[]): string {
  const rows = outcomes.map((o) => {
    // the reason follows the table, one line each: a long message here would widen every row
    if (!o.result) return [o.model, o.board, 'failed (below)', '', '', '', '', '', ''];
    const f = rowFigures(o.result.output);
    return [o.model, o.board, f.cycles, f.time, f.arena, f.flash, f.ram, f.fits, f.matches];
  });
  return formatTable(['model', 'board', 'per inference', 'est. time', 'arena', 'flash', 'ram', 'fits', 'matches'], rows);
}

/** Queued/running/done per board while the jobs run, on a terminal; nothing in a pipe. */
function progressBars(outcomesOf: { id: string; job: FarmJob }[]): { update: (states: Map<string, JobProgress>) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {board} [{bar}] {done}/{total} done, {running} running, {queued} queued, {failed} failed',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const boards = [...new Set(outcomesOf.map((s) => s.job.board))].sort();
  const width = Math.max(...boards.map((b) => b.length));
  const bars = new Map(
    boards.map((b) => {
      const total = outcomesOf.filter((s) => s.job.board === b).length;
      return [b, multi.create(total, 0, { board: b.padEnd(width), done: 0, running: 0, queued: total, failed: 0 })];
    }),
  );
  return {
    update: (states) => {
      for (const b of boards) {
        const ids = outcomesOf.filter((s) => s.job.board === b).map((s) => s.id);
        const count = (st: JobProgress) => ids.filter((id) => states.get(id) === st).length;
        bars
          .get(b)!
          .update(count('done') + count('failed'), { done: count('done'), running: count('running'), queued: count('queued'), failed: count('failed') });
      }
    },
    stop: () => multi.stop(),
  };
}

async function resolveBoards(client: FarmClient, boards: string[]): Promise<string[]> {
  if (boards.length === 1 && boards[0] === 'all') {
    const live = await client.liveBoards();
    if (live.length === 0) throw new TinyforgeError('--boards all: no worker is offering a board (see `tinyforge farm status`)');
    return live;
  }
  return boards;
}

/** Writes each profile document as an HTML report: FILE for one, FILE's name with model and board for several. */
function writeHtmlReports(file: string, outcomes: Outcome[]): string[] {
  const done = outcomes.filter((o) => o.result && o.result.command === 'profile');
  const ext = extname(file) || '.html';
  const base = file.slice(0, file.length - extname(file).length);
  const written: string[] = [];
  for (const o of done) {
    const path = done.length === 1 ? file : `${base}.${basename(o.model, extname(o.model))}.${o.board}${ext}`;
    assertReplaceable(path, isTinyforgeReport);
    writeFileAtomically(path, reportHtml([o.result!.output as unknown as ProfileJson]), isTinyforgeReport);
    written.push(path);
  }
  return written;
}

/** What `--json` prints for a sweep: every job's result as its command printed it. */
function sweepJson(outcomes: Outcome[]): object {
  return {
    results: outcomes.map((o) => ({
      model: o.model,
      board: o.board,
      job: o.id,
      worker: o.result?.worker ?? null,
      instance: o.result?.instance ?? null,
      error: o.error,
      output: o.result?.output ?? null,
    })),
  };
}

async function runJobs(client: FarmClient, jobs: FarmJob[]): Promise<Outcome[]> {
  const submitted = await client.submit(jobs);
  const bars = progressBars(submitted);
  try {
    return await client.wait(submitted, bars.update);
  } finally {
    bars.stop();
  }
}

function readModel(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TinyforgeError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function sweepCommand(): Command {
  return farmFlags(
    new Command('sweep')
      .description('profile every model on every board of the farm: one table of latency, arena, flash and fit')
      .argument('<models...>', 'model files (.tflite, .onnx)')
      .requiredOption('--boards <boards>', 'boards, comma-separated, or all (those live workers offer)', boardListOption)
      .option('--max-ram <bytes>', 'fit the arena in this many bytes (as compile --max-ram)', SHAPING['max-ram'])
      .option('--max-flash <bytes>', "fit the model's constant tables in this many bytes", SHAPING['max-flash'])
      .option('--prefer <what>', PREFER_HELP, preferOption)
      .option('--runs <n>', 'inferences to average over (1 to 65535)', countOption('--runs', 65_535))
      .option('--no-estimate', 'emulated boards: skip the estimated cycles (no instruction trace for the timing model)')
      .option('--json', 'print one JSON object on stdout')
      .option('--html <file>', "also write each result's HTML report (FILE.MODEL.BOARD.html when there are several)"),
  ).action(
    async (
      models: string[],
      opts: AccessFlags & {
        boards: string[];
        maxRam?: number;
        maxFlash?: number;
        prefer?: string;
        runs?: number;
        estimate: boolean;
        json?: boolean;
        html?: string;
      },
    ) => {
      const options: Record<string, string | true> = {};
      if (opts.maxRam !== undefined) options['max-ram'] = String(opts.maxRam);
      if (opts.maxFlash !== undefined) options['max-flash'] = String(opts.maxFlash);
      if (opts.prefer !== undefined) options.prefer = opts.prefer;
      if (opts.runs !== undefined) options.runs = String(opts.runs);
      if (!opts.estimate) options['no-estimate'] = true;
      if (opts.html) chartJsSource('tinyforge farm sweep --html');
      const bytes = models.map(readModel);
      const outcomes = await withClient(opts, 'tinyforge farm sweep', async (client) => {
        const boards = await resolveBoards(client, opts.boards);
        const jobs = models.flatMap((m, i) => boards.map((b) => makeJob('profile', b, { name: basename(m), bytes: bytes[i]! }, options, FARM_OPTIONS)));
        return runJobs(client, jobs);
      });
      finish(outcomes, opts, 'farm-sweep');
    },
  );
}

function finish(outcomes: Outcome[], opts: { json?: boolean; html?: string }, document: 'farm-sweep' | FarmCommand): void {
  if (opts.html) for (const path of writeHtmlReports(opts.html, outcomes)) process.stderr.write(`wrote ${path}\n`);
  if (opts.json) {
    // a command on the farm prints, per board, the very line it prints locally
    if (document === 'farm-sweep') process.stdout.write(jsonLine('farm-sweep', sweepJson(outcomes)));
    else for (const o of outcomes) if (o.result) process.stdout.write(`${JSON.stringify(o.result.output)}\n`);
  } else process.stdout.write(`${formatFarmTable(outcomes)}\n`);
  const failed = outcomes.filter((o) => !o.result);
  for (const o of failed) process.stderr.write(`error: ${o.model} on ${o.board}: ${o.error}\n`);
  if (failed.length > 0) process.exitCode = 1;
  else if (outcomes.some((o) => o.result!.output.matchesReference === false)) {
    process.stderr.write("error: the outputs on some boards differ from tinyforge's reference (the host interpreter)\n");
    process.exitCode = 3;
  }
}

function statusCommand(): Command {
  return farmFlags(
    new Command('status').description("the farm's workers, their boards, and each board's queue").option('--json', 'print one JSON object on stdout'),
  ).action(async (opts: AccessFlags & { json?: boolean }) => {
    const access = accessOf(opts);
    const { workers, queues } = await withClient(opts, 'tinyforge farm status', async (client) => ({
      workers: await client.workers(),
      queues: await client.queueCounts(),
    }));
    if (opts.json) {
      process.stdout.write(jsonLine('farm-status', { redis: redactedUrl(access.url), workers, queues }));
      return;
    }
    const boardRows = workers.flatMap((w) =>
      w.slots.map((s) => [w.id, s.instance, s.state === 'out' ? 'OUT of rotation' : s.state, s.job ?? '-', s.failures, s.lastError ?? '-']),
    );
    const out = [
      workers.length === 0
        ? 'no live workers'
        : formatTable(['worker', 'board', 'state', 'job', 'failures', 'last error'], boardRows, 'workers and boards', {
            shrink: [{ column: 5, from: 'end' }],
          }),
      queues.length === 0
        ? 'no queues'
        : formatTable(
            ['queue (board)', 'waiting', 'active', 'completed', 'failed'],
            queues.map((q) => [q.board, q.waiting, q.active, q.completed, q.failed]),
            'queues',
          ),
    ];
    process.stdout.write(`${out.join('\n\n')}\n`);
  });
}

export function farmCommand(): Command {
  return new Command('farm')
    .description('a board farm on BullMQ and Redis: workers offer boards on many hosts, sweeps run models on all of them (docs/farm.md)')
    .addCommand(workerCommand())
    .addCommand(sweepCommand())
    .addCommand(statusCommand());
}

/** The `--farm URL` and `--boards` flags (and the farm's TLS ones) of run, profile and validate. */
export function farmOptions(command: Command): Command {
  return farmAccess(
    command
      .option('--farm <url>', "run on the farm's boards instead (a Redis URL, docs/farm.md): with --board B, or --boards B1,B2|all")
      .option('--boards <boards>', 'with --farm: several boards, comma-separated, or all (those live workers offer)', boardListOption),
    'with --farm: ',
  );
}

export interface FarmFlags extends AccessFlags {
  board?: string;
  boards?: string[];
}

/** Flags that name a file or a port on this host: a farm job cannot carry them. */
const LOCAL_ONLY = [
  'target',
  'port',
  'baud',
  'keep',
  'labels',
  'labelsFile',
  'carryState',
  'reference',
  'original',
  'compare',
  'battery',
  'stride',
  'windowStride',
  'rate',
] as const;

function patchText(p: PatchOption): string {
  return typeof p === 'string' ? p : `${p.start}:${p.length}:${p.tileRows}${p.add ? ':add' : ''}${p.cache ? ':cache' : ''}`;
}

/** run/profile/validate --farm: the job per board, the local command's --json lines or one table. */
export async function runOnFarm(command: FarmCommand, modelPath: string, flags: FarmFlags, cli: Command): Promise<void> {
  const opts = flags as FarmFlags & Record<string, unknown>;
  const given = (flag: string) => cli.getOptionValueSource(flag) === 'cli';
  for (const flag of LOCAL_ONLY)
    if (given(flag))
      throw new TinyforgeError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} names something on this host: a farm job cannot carry it`);
  if (command !== 'profile' && given('html')) throw new TinyforgeError('--html with --farm is for profile');
  if (given('html')) chartJsSource('tinyforge profile --html');
  if (opts.board !== undefined && opts.boards !== undefined) throw new TinyforgeError('give --board B or --boards B1,B2|all, not both');
  if (opts.board === undefined && opts.boards === undefined) throw new TinyforgeError('--farm needs --board B or --boards B1,B2|all');
  const options: Record<string, string | true> = {};
  if (typeof opts.maxRam === 'number') options['max-ram'] = String(opts.maxRam);
  if (typeof opts.maxFlash === 'number') options['max-flash'] = String(opts.maxFlash);
  if (typeof opts.prefer === 'string') options.prefer = opts.prefer;
  if (opts.patch !== undefined) options.patch = patchText(opts.patch as PatchOption);
  if (given('timeout') && typeof opts.timeout === 'number') options.timeout = String(opts.timeout / 1000);
  if (typeof opts.clock === 'number') options.clock = String(opts.clock);
  if (command === 'profile' && given('runs')) options.runs = String(opts.runs);
  if (command !== 'validate' && opts.estimate === false) options['no-estimate'] = true;
  for (const flag of Object.keys(cli.opts()))
    if (
      given(flag) &&
      ![
        'farm',
        'board',
        'boards',
        'json',
        'html',
        'farmTls',
        'farmCa',
        'farmCert',
        'farmKey',
        'maxRam',
        'maxFlash',
        'prefer',
        'patch',
        'timeout',
        'clock',
        'runs',
        'estimate',
        'verbose',
        INPUT_FLAG[command],
      ].includes(flag)
    )
      throw new TinyforgeError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is not carried by a farm job`);
  const bytes = readModel(modelPath);
  const inputFlag = INPUT_FLAG[command] as 'input' | 'inputs';
  const inputFile = given(inputFlag) ? String(opts[inputFlag]) : undefined;
  if (inputFile !== undefined && !(existsSync(inputFile) && statSync(inputFile).isFile()))
    throw new TinyforgeError(`--${inputFlag} ${inputFile}: a farm job carries one file (raw bytes or .npy), and this is not one`);
  const input = inputFile !== undefined ? { name: basename(inputFile), bytes: readModel(inputFile) } : undefined;
  const outcomes = await withClient(opts, `tinyforge ${command} --farm`, async (client) => {
    const boards = opts.board !== undefined ? [checkBoardName(opts.board)] : await resolveBoards(client, opts.boards!);
    const jobs = boards.map((b) => makeJob(command, b, { name: basename(modelPath), bytes }, options, FARM_OPTIONS, input));
    return runJobs(client, jobs);
  });
  finish(outcomes, { json: opts.json as boolean | undefined, html: opts.html as string | undefined }, command);
}

export type { FarmResult };
