// SPDX-License-Identifier: Apache-2.0
/**
 * The build gate: a model's generated C compiled for every target with that target's own toolchain
 * and flags (-Werror included), failing on any diagnostic at all. The C depends on the target's ISA
 * (kernel variants), so a graph is generated once per distinct `isa` and each target compiles its
 * own. Per target either
 *  - `compile`: every .c of the model compiled with the target's cflags (`gcc -c`), nothing linked
 *    (fast: what the fuzzer runs per model); Xtensa is always checked this way (compile_check.ts);
 *  - `link` (option `link`): the firmware built and linked with the harness exactly as `run` does
 *    (buildFirmware), its whole log required free of warnings. A model too big for the board's
 *    memory is not a gate failure: the result says `fits: false` and the model's files are then
 *    compiled alone.
 * Compiles run in a pool of `parallel` processes (default 2). The model's units go through the cache
 * of the models' units where the environment names one (TINYFORGE_MODEL_UNIT_CACHE: object_cache.ts),
 * shared with buildFirmware, whose flags for them differ only in -D and -I.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type CompiledModel, compileGraph } from '../../core/compile.ts';
import { writeDirectoryAtomically } from '../output.ts';
import type { Graph } from '../../core/ir/graph.ts';
import type { KernelChoices, Prefer } from '../../core/ops/op.ts';
import { loadGraph } from '../../core/model/load.ts';
import { buildFirmware } from './firmware.ts';
import { FIRMWARE_DIR, listTargets, loadTarget, type TargetDescriptor } from '../../core/targets/targets.ts';
import { MODEL_STRICT_CFLAGS, isCompiledSource, objectStem } from './toolchain.ts';
import { compileCached, modelUnitCacheFromEnv, pruneObjectCache } from './object_cache.ts';
import { CHECK_INCLUDE_DIR } from './compile_check.ts';
import { type ResolvedCompiler, findCompiler } from './compilers.ts';

/**
 * What to check: a graph (generated per ISA here), a `.tflite` path (likewise), a model directory
 * already generated (<name>.h and .c files: compiled as it is for every target, so only the kernel
 * variants of the ISA it was generated for are checked), or a CompiledModel (its source graph
 * regenerated per ISA: pass `graph` from compileGraph's input where you have it).
 */
export type GateInput = Graph | string | CompiledModel;

export interface GateOptions {
  /** target names (default: every descriptor in targets/) */
  targets?: string[];
  /** link the firmware where it is built here (not Xtensa); default false: compile only */
  link?: boolean;
  /** concurrent compiler processes (default min(2, cores)) */
  parallel?: number;
  /** where the generated C, objects and logs go (default a temporary directory, removed after) */
  workDir?: string;
  /** keep workDir (default: removed unless given) */
  keep?: boolean;
  /** added to every compile */
  extraCflags?: string[];
  /** compile --prefer and the weight-storage choices the C is generated with (absent: the defaults) */
  prefer?: Prefer;
  kernels?: KernelChoices;
  /** a missing toolchain fails the target instead of skipping it (default: CI=true) */
  requireToolchains?: boolean;
}

export interface GateTargetResult {
  target: string;
  /** how it was checked; `skipped` where the toolchain is missing (see `skipped`) */
  mode: 'compile' | 'link' | 'skipped';
  /** no error and not a single diagnostic line */
  ok: boolean;
  /** the compiler's command name: the target's, or its fallback's once found (see `fallback`) */
  compiler: string;
  /** set when the target's fallback compiler did the check: what that check proves and what not */
  fallback?: string;
  /** the .c files compiled (relative to the model directory) */
  files: string[];
  /** the compiler's (and linker's) diagnostics, or the generator's error; empty when ok */
  diagnostics: string[];
  /** link mode: whether the image fit the board's memory (false: the model's files compiled alone) */
  fits?: boolean;
  /** why the target was skipped (toolchain missing) */
  skipped?: string;
  /** the generated model directory compiled for this target (gone after the call unless workDir or keep) */
  modelDir?: string;
  /** time spent compiling (and linking) for this target, summed over its processes */
  ms: number;
}

export interface GateResult {
  /** every target ok (skipped targets count as ok unless toolchains are required) */
  ok: boolean;
  targets: GateTargetResult[];
  /** one line per failing target: "target: first diagnostic" */
  failures: string[];
}

/** Lines of a compiler or linker log that are diagnostics (anything but blank lines). */
function diagnosticLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
}

/** Runs `work` over `items` with at most `limit` in flight; every item runs (no early stop). */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function isCompiledModel(x: GateInput): x is CompiledModel {
  return typeof x === 'object' && 'generated' in x && 'prepared' in x;
}

/** The C per ISA: generated here from a graph, or the given model directory for every target. */
function sourcesFor(
  input: GateInput,
  targets: TargetDescriptor[],
  workDir: string,
  choices: Pick<GateOptions, 'prefer' | 'kernels'>,
): Map<string, string | Error> {
  const byTarget = new Map<string, string | Error>();
  if (typeof input === 'string' && existsSync(input) && statSync(input).isDirectory()) {
    const dir = resolve(input);
    for (const t of targets) byTarget.set(t.name, dir);
    return byTarget;
  }
  const graph: Graph = typeof input === 'string' ? loadGraph(input) : isCompiledModel(input) ? input.graph : input;
  const source = typeof input === 'string' ? basename(input) : isCompiledModel(input) ? input.source : graph.name;
  const byIsa = new Map<string, string | Error>();
  for (const t of targets) {
    const key = JSON.stringify(t.isa, Object.keys(t.isa).sort());
    if (!byIsa.has(key)) {
      const dir = join(workDir, `c-${byIsa.size}-${t.name}`);
      try {
        const compiled = compileGraph(graph, source, { isa: t.isa, prefer: choices.prefer, kernels: choices.kernels });
        byIsa.set(key, writeDirectoryAtomically(dir, compiled.generated.files));
      } catch (e) {
        byIsa.set(key, e as Error);
      }
    }
    byTarget.set(t.name, byIsa.get(key)!);
  }
  return byTarget;
}

/**
 * Compiles (or builds) a model for every target; never throws for a compiler's verdict, only for a
 * bad input (a missing file). See the header for the modes.
 */
export async function compileForEveryTarget(input: GateInput, options: GateOptions = {}): Promise<GateResult> {
  const targets = (options.targets ?? listTargets()).map((name) => loadTarget(name));
  const ownDir = options.workDir === undefined;
  const workDir = ownDir ? mkdtempSync(join(tmpdir(), 'tinyforge-gate-')) : resolve(options.workDir!);
  mkdirSync(workDir, { recursive: true });
  const parallel = options.parallel ?? Math.min(2, availableParallelism());
  const requireTools = options.requireToolchains ?? process.env.CI === 'true';
  try {
    const sources = sourcesFor(input, targets, workDir, options);
    const results = new Map<string, GateTargetResult>();
    // one job per target and .c file (compile) or per target (link)
    type Job = { target: TargetDescriptor; compiler: ResolvedCompiler; modelDir: string; file?: string; link?: boolean };
    const jobs: Job[] = [];
    for (const t of targets) {
      const src = sources.get(t.name)!;
      const base: GateTargetResult = { target: t.name, mode: 'compile', ok: true, compiler: t.toolchain.cc, files: [], diagnostics: [], ms: 0 };
      results.set(t.name, base);
      if (src instanceof Error) {
        Object.assign(base, { ok: false, diagnostics: [`code generation failed: ${src.message}`] });
        continue;
      }
      base.modelDir = src;
      let compiler: ResolvedCompiler;
      try {
        compiler = findCompiler(t);
      } catch (e) {
        Object.assign(base, { mode: 'skipped', skipped: (e as Error).message, ok: !requireTools, diagnostics: requireTools ? [(e as Error).message] : [] });
        continue;
      }
      base.compiler = compiler.name;
      if (compiler.fallback !== null) base.fallback = compiler.fallback;
      const files = readdirSync(src).filter(isCompiledSource).sort();
      base.files = files;
      if (options.link && t.firmware !== 'xtensa') {
        base.mode = 'link';
        jobs.push({ target: t, compiler, modelDir: src, link: true });
      } else {
        for (const file of files) jobs.push({ target: t, compiler, modelDir: src, file });
      }
    }
    const modelUnitCache = modelUnitCacheFromEnv();
    const fail = (r: GateTargetResult, lines: string[]) => {
      r.ok = false;
      r.diagnostics.push(...lines);
    };
    const compileFile = async (t: TargetDescriptor, compiler: ResolvedCompiler, modelDir: string, file: string, r: GateTargetResult) => {
      const cc = compiler.path;
      const objDir = join(workDir, 'obj', t.name);
      mkdirSync(objDir, { recursive: true });
      const libcStandIn = compiler.fallback === null ? [] : ['-isystem', CHECK_INCLUDE_DIR];
      const flags = [...compiler.cflags, ...MODEL_STRICT_CFLAGS, ...(options.extraCflags ?? []), `-I${modelDir}`, ...libcStandIn];
      // the model's units as buildFirmware compiles them (the same flags but its -D and -I): a run of
      // many builds (TINYFORGE_MODEL_UNIT_CACHE, a test run's) compiles a unit once for both; only a
      // compile without a word on stderr is ever stored, so a hit is a compile without a diagnostic
      const { result: out } = await compileCached(modelUnitCache, {
        cc,
        flags,
        source: join(modelDir, file),
        object: join(objDir, `${objectStem(file)}.o`),
        volatilePaths: [modelDir],
      });
      const lines = diagnosticLines(out.stderr);
      if (out.code !== 0 || lines.length > 0) fail(r, lines.length > 0 ? lines : [`${file}: ${cc} exited with ${out.code ?? out.signal}`]);
    };
    await pool(jobs, parallel, async (job) => {
      const r = results.get(job.target.name)!;
      const t0 = Date.now();
      try {
        await runJob(job, r);
      } finally {
        r.ms += Date.now() - t0;
      }
    });
    async function runJob(job: Job, r: GateTargetResult): Promise<void> {
      if (!job.link) {
        await compileFile(job.target, job.compiler, job.modelDir, job.file!, r);
        return;
      }
      const outDir = join(workDir, 'fw', job.target.name);
      try {
        await buildFirmware({ target: job.target.name, modelDir: job.modelDir, outDir, extraCflags: options.extraCflags });
        r.fits = true;
        const log = readFileSync(join(outDir, 'build.log'), 'utf8');
        const lines = log.split('\n').filter((l) => /\b(warning|error)\b/i.test(l) && !l.startsWith('$ '));
        if (lines.length > 0) fail(r, lines);
      } catch (e) {
        const message = (e as Error).message;
        if (/will not fit|overflowed by/.test(message)) {
          // too big for this board is not what the gate is about: check the model's C alone
          r.fits = false;
          for (const file of r.files) await compileFile(job.target, job.compiler, job.modelDir, file, r);
        } else {
          fail(r, [message]);
        }
      }
    }
    if (modelUnitCache) pruneObjectCache(modelUnitCache);
    const list = targets.map((t) => results.get(t.name)!);
    return {
      ok: list.every((r) => r.ok),
      targets: list,
      failures: list.filter((r) => !r.ok).map((r) => `${r.target}: ${r.diagnostics.find((l) => /error|warning/.test(l)) ?? r.diagnostics[0] ?? 'failed'}`),
    };
  } finally {
    if (ownDir && !options.keep) rmSync(workDir, { recursive: true, force: true });
  }
}
