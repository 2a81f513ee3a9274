// SPDX-License-Identifier: Apache-2.0
/**
 * Where the input fuzzer's time goes (docs/fuzzing.md, "Where the time goes"):
 * `npx tsx bench/fuzz-inputs-stages.ts --seed S --count N`.
 *
 * Replays the mutants of `npm run fuzz:inputs -- --seed S --count N` (the same draws) in this process,
 * without the worker's limits, timing each stage the worker runs (parse, graph passes, kernels and
 * plan, the inspect tables and JSON, the C for the Cortex-M4 with the fit check, the C for the host)
 * and, for every accepted mutant, each stage of the sanitized host check as it ran before this bench
 * was written (`runModel`: parse, compile, TS reference, sources written, the build, the run; then
 * tflm-ref), per mutation class. The host build is timed as a whole and then each of its commands
 * (from its build.log) replayed alone: the model's units, the harness and the link. Worker start-up
 * is timed apart (a worker thread with tsx registered, to its first verdict).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TinyforgeError } from '../src/core/errors.ts';
import { parseTflite } from '../src/core/model/tflite/reader.ts';
import { optimizeGraph } from '../src/core/passes/index.ts';
import { prepareGraph, unsupportedOps } from '../src/core/ops/prepare.ts';
import { planWithPatch } from '../src/core/plan/patch_policy.ts';
import { formatOps, formatPlan, formatTensors, formatTimeline } from '../src/face/report/inspect.ts';
import { inspectionJson } from '../src/face/report/json.ts';
import { compileGraph } from '../src/core/compile.ts';
import { loadTarget } from '../src/core/targets/targets.ts';
import { checkFits } from '../src/lab/toolchain/fit.ts';
import { compileForTarget, withTargetBuild } from '../src/lab/run/device-build.ts';
import { interpret } from '../src/core/ops/interpreter.ts';
import { runOnHost } from '../src/lab/device/index.ts';
import { elementCount } from '../src/core/ir/graph.ts';
import { concat } from '../src/lab/data/bytes.ts';
import { makeTempFolder, removeTempFolder } from '../src/lab/lifecycle.ts';
import { randomValues } from '../test/fuzz/batch.ts';
import { rng } from '../test/helpers/op_harness.ts';
import { TflmRefError, runTflmRefAsync, tflmRefLive } from '../test/helpers/tflm_ref.ts';
import { seedModels } from '../test/fuzz/inputs/campaign.ts';
import { mutate } from '../test/fuzz/inputs/mutate.ts';
import { buildLogCommands, timeCommand } from './build-log.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const seedArg = opt('--seed', 900);
const count = opt('--count', 300);

const m4 = loadTarget('cortex-m4');
const host = loadTarget('host');
const seeds = seedModels();

/** ms per stage, summed per class; counts of cases per class */
const byClass = new Map<string, Map<string, number>>();
const cases = new Map<string, number>();
const add = (cls: string, stage: string, ms: number) => {
  const row = byClass.get(cls) ?? new Map<string, number>();
  byClass.set(cls, row);
  row.set(stage, (row.get(stage) ?? 0) + ms);
};
const timed = <T>(cls: string, stage: string, f: () => T): T => {
  const t = performance.now();
  try {
    return f();
  } finally {
    add(cls, stage, performance.now() - t);
  }
};
const timedAsync = async <T>(cls: string, stage: string, f: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  try {
    return await f();
  } finally {
    add(cls, stage, performance.now() - t);
  }
};

function findBuildLog(workDir: string): string {
  return readFileSync(join(workDir, 'build', 'build.log'), 'utf8');
}

/** Each command of a build log replayed alone: ms per unit name (weights.c, model.c, host_main.c, link). */
function replay(log: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const { cc, args } of buildLogCommands(log)) {
    const ms = timeCommand(cc, args);
    const c = args.indexOf('-c');
    const unit = c < 0 ? 'link' : args[c + 1]!.split('/').pop()!;
    times.set(unit, (times.get(unit) ?? 0) + ms);
  }
  return times;
}

const started = performance.now();
let hostRuns = 0;
for (let i = 0; i < count; i++) {
  const rand = rng(seedArg * 1_000_003 + i);
  const seed = seeds[Math.floor(rand() * seeds.length)]!;
  const mutant = timed('all', 'mutate', () => mutate(seed.bytes, rand));
  const cls = mutant.mutation;
  cases.set(cls, (cases.get(cls) ?? 0) + 1);
  const name = `${seed.name}_m${i}.tflite`;
  let accepted = false;
  try {
    const graph = timed(cls, 'w:parse', () => parseTflite(mutant.bytes, name));
    let optimized = graph;
    try {
      optimized = timed(cls, 'w:passes', () => optimizeGraph(graph, name));
    } catch (e) {
      if (!(e instanceof TinyforgeError)) throw e;
    }
    const missing = unsupportedOps(optimized);
    let prepared;
    try {
      prepared = missing.length === 0 ? timed(cls, 'w:kernels', () => prepareGraph(optimized, name, m4.isa)) : undefined;
    } catch (e) {
      if (!(e instanceof TinyforgeError)) throw e;
    }
    const planned = prepared ? timed(cls, 'w:plan', () => planWithPatch(prepared, 'off')) : undefined;
    timed(cls, 'w:inspect-tables', () => {
      void [
        formatOps(optimized, planned?.prepared),
        formatTensors(optimized),
        planned ? formatPlan(optimized, planned.plan) + formatTimeline(planned.plan) : '',
      ];
      JSON.stringify(inspectionJson(optimized, planned?.prepared, planned?.plan, missing));
    });
    const compiled = timed(cls, 'w:compile-m4', () => compileGraph(parseTflite(mutant.bytes, name), name, { isa: m4.isa }));
    timed(cls, 'w:fit', () => checkFits(compiled, name, m4, m4.boards[0]));
    timed(cls, 'w:compile-host', () => compileGraph(parseTflite(mutant.bytes, name), name, { isa: host.isa }));
    accepted = true;
  } catch (e) {
    if (!(e instanceof TinyforgeError)) console.error(`case ${i}: ${(e as Error).message}`);
  }
  if (!accepted) continue;
  hostRuns++;
  // the host check as campaign.ts ran it through runModel, stage by stage
  const graph = parseTflite(mutant.bytes, name);
  const inputs = graph.inputs.map((t) => randomValues(rand, graph.tensors[t]!.dtype, elementCount(graph.tensors[t]!.shape)));
  const dir = makeTempFolder('fuzz-stages');
  try {
    const path = join(dir, `${seed.name}.tflite`);
    writeFileSync(path, mutant.bytes);
    const g = timed(cls, 'h:parse', () => parseTflite(mutant.bytes, path));
    const c = timed(cls, 'h:compile-host', () => compileForTarget(g, path, host, undefined, { progress: () => {} }));
    timed(cls, 'h:ts-reference', () => interpret(c.prepared, inputs));
    const workDir = join(dir, 'work');
    const buildStart = performance.now();
    let buildMs = 0;
    await withTargetBuild(c, host, undefined, { workDir, profile: false, sanitize: true, progress: () => {} }, async ({ build }) => {
      buildMs = performance.now() - buildStart;
      add(cls, 'h:write+build', buildMs);
      await timedAsync(cls, 'h:run', () => runOnHost(build.elf, concat(inputs), { timeoutMs: 60_000 }).catch(() => undefined));
    }).catch(() => undefined);
    if (existsSync(join(workDir, 'build', 'build.log'))) for (const [unit, ms] of replay(findBuildLog(workDir))) add(cls, `h:build ${unit} (alone)`, ms);
    if (tflmRefLive()) {
      await timedAsync(cls, 'h:tflm-ref', () =>
        runTflmRefAsync(mutant.bytes, inputs.length ? concat(inputs) : undefined).catch((e) => {
          if (!(e instanceof TflmRefError)) throw e;
        }),
      );
    }
  } finally {
    removeTempFolder(dir);
  }
}
const total = performance.now() - started;

// worker start-up: a fresh worker thread (tsx registered, the compiler loaded) to its 'ready', 3 times
const startup: number[] = [];
const teardown: number[] = [];
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  const w = new Worker(new URL('../test/fuzz/inputs/worker-entry.mjs', import.meta.url));
  await new Promise((resolve) => w.once('message', resolve));
  startup.push(performance.now() - t);
  const t2 = performance.now();
  await w.terminate();
  teardown.push(performance.now() - t2);
}

const stages = [...new Set([...byClass.values()].flatMap((r) => [...r.keys()]))].sort();
const sums = new Map(stages.map((s) => [s, [...byClass.values()].reduce((n, r) => n + (r.get(s) ?? 0), 0)]));
const lines = [
  `seed ${seedArg}, ${count} mutants, ${hostRuns} accepted and host-checked, ${(total / 1000).toFixed(1)} s in process (host builds replayed on top)`,
];
lines.push('', '| stage | total s | ms per mutant | ms per host run |', '|---|---|---|---|');
for (const s of stages) {
  const v = sums.get(s)!;
  lines.push(`| ${s} | ${(v / 1000).toFixed(1)} | ${(v / count).toFixed(1)} | ${s.startsWith('h:') && hostRuns ? (v / hostRuns).toFixed(1) : ''} |`);
}
lines.push(
  `| worker start-up to ready / terminate (3 times) | | ${startup.map((x) => x.toFixed(0)).join(', ')} / ${teardown.map((x) => x.toFixed(0)).join(', ')} ms | |`,
);
lines.push('', '| class | mutants | worker ms/mutant | host-check ms/mutant |', '|---|---|---|---|');
for (const [cls, n] of [...cases].sort()) {
  const row = byClass.get(cls) ?? new Map();
  const w = [...row].filter(([s]) => s.startsWith('w:')).reduce((a, [, v]) => a + v, 0);
  const h = [...row].filter(([s]) => s.startsWith('h:') && !s.includes('(alone)')).reduce((a, [, v]) => a + v, 0);
  lines.push(`| ${cls} | ${n} | ${(w / n).toFixed(1)} | ${(h / n).toFixed(1)} |`);
}
const out = lines.join('\n');
console.log(out);
if (args.includes('--out')) writeFileSync(args[args.indexOf('--out') + 1]!, `${out}\n`);
