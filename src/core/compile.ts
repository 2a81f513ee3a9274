// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Graph } from './ir/graph.ts';
import { loadGraph } from './model/load.ts';
import { TinyforgeError } from './errors.ts';
import { type PreparedGraph, prepareGraph } from './ops/prepare.ts';
import type { MemoryPlan } from './plan/arena.ts';
import { planMemory } from './plan/schedule.ts';
import { type ArenaOption, type GeneratedFile, type GeneratedModel, type SharedArenaCode, generateC } from './codegen/generate.ts';
import { LIBRARY_HEADER, LIBRARY_NAME, generateLibraryFiles, sharedArenaCode } from './codegen/library.ts';
import { cSymbolName } from './codegen/c_text.ts';
import { type SharedArenaPlan, planSharedArena } from './plan/shared_arena.ts';
import { type Provenance, compileChoices, sha256Hex } from './codegen/banner.ts';
import type { KernelChoices, KernelIsa, Prefer } from './ops/op.ts';
import { optimizeGraph } from './passes/index.ts';
import { rejectFloatOps, rejectOversizedPlan } from './passes/validate.ts';
import { planArena } from './plan/arena.ts';
import { useCalledSubgraphSteps } from './ops/common/families/subgraph_call.ts';
import { type BudgetOutcome, type MemoryBudget, fitToBudget } from './plan/budget.ts';
import { PATCH_STAGE } from './ops/patch_stage/index.ts';
import { type OnnxRequant, applyOnnxRequant } from './passes/onnx_requant.ts';
import { type ExternalRam, splitArena } from './plan/regions.ts';
import { type WeightsInRamOption, type WeightsInRamPlan, chooseWeightsInRam } from './plan/weight_regions.ts';
import { type StageWeightsOption, type StagedLayer, type StagedWeightsPlan, stagingCandidates, withStagedScratch } from './plan/weight_staging.ts';
import type { OnnxLayout } from './model/onnx/edge_layout.ts';
import type { OnnxBindings } from './model/onnx/bind.ts';
import {
  type PartRam,
  type PatchOption,
  type PatchReport,
  chosenBy,
  defaultPatchOption,
  formatDeclined,
  patchReport,
  planWithPatch,
} from './plan/patch_policy.ts';
import { type FastFormsOutcome, chooseFastForms } from './plan/fast_forms.ts';

// IF and WHILE compile their called subgraphs through the same steps as the model
useCalledSubgraphSteps({ rejectFloatOps, prepare: prepareGraph, plan: planArena });

export type { Provenance } from './codegen/banner.ts';

export interface CompileOptions {
  /** the target's ISA (a target descriptor's `isa`): picks kernel variants; absent: portable C */
  isa?: KernelIsa;
  /**
   * What the banner of every generated file says made it: target name, model file and its sha256,
   * command line. Absent parts say so (a library call with no file); the C itself does not depend on it.
   */
  provenance?: Provenance;
  /** fit the arena and constant tables to this budget, trading speed for memory (plan/budget.ts) */
  budget?: MemoryBudget;
  /**
   * Row-band execution of an initial convolution chain (plan/patch.ts): `auto` uses the stage that
   * lowers the arena most, if any; `off` none; a choice forces one. Absent: the `default` policy (a
   * stage only when it saves at least 10% of the arena for at most 5% more estimated instructions,
   * where whole tensors take at least 5% of `partRam`), or whole tensors under an explicit `prefer: 'speed'`; `auto` first under a `budget.ram` whole
   * tensors miss (the budget asks for the bytes).
   */
  patch?: PatchOption;
  /**
   * the RAM of the smallest real part the target stands for (targets.ts smallestPartRam): the
   * default row-band policy takes no stage for a model whose whole tensors take under 5% of it;
   * absent (the host, a bare ISA): RAM counts as scarce
   */
  partRam?: PartRam;
  /**
   * where weight storages compete (dense, sparse, ...): the fastest no bigger than dense (absent or
   * `speed`), or the smallest; an explicit `speed` also keeps the default's row bands out
   */
  prefer?: Prefer;
  /** the weight storages to choose among (ops/op.ts KernelChoices); absent: all, as the cost model decides */
  kernels?: KernelChoices;
  /** remove the neurons no output depends on (passes/dead_neurons.ts); absent: true */
  deadNeurons?: boolean;
  /** `caller`: the generated init takes the arena as an argument instead of the model's .c holding it (default `static`) */
  arena?: ArenaOption;
  /** the model's name in the C (files `<name>.h`, ..., symbols `tf_<name>_`); default the graph's own */
  name?: string;
  /** the name of each element of the first output: a labels table in the model header (`<prefix>_labels`) */
  labels?: readonly string[];
  /**
   * Layers lowered from ONNX (`attrs.arithmetic 'onnxruntime'`): `exact` (default) computes as ONNX
   * Runtime, float32 requantization; `fixed` runs TFLite's fixed-point kernels (faster, no float;
   * within 1 LSB of ONNX Runtime) (passes/onnx_requant.ts)
   */
  onnxRequant?: OnnxRequant;
  /**
   * External RAM (a board's PSRAM, targets.ts externalRamOf) the arena's coldest buffers may go in
   * when it does not fit the internal RAM: `budget.ram` then limits the internal arena only (no
   * kernel is traded for it), else `internalRam` does (plan/regions.ts)
   */
  externalRam?: ExternalRam;
  /** with `externalRam` and no `budget.ram`: the internal RAM the arena may take (the chip's, less stack and harness) */
  internalRam?: number;
  /**
   * Put the constant tables of the layers that read them most per byte in the internal RAM the
   * arena leaves (plan/weight_regions.ts): `internalBytes` (or `budget.ram` when given) less the
   * internal arena. Absent: every table stays in flash.
   */
  weightsInRam?: WeightsInRamOption;
  /**
   * Copy the tables of the layers that read them many times per inference from flash into their
   * scratch in the arena at their start (plan/weight_staging.ts), where the arena stays within
   * `internalBytes` (or `budget.ram`). Not with `weightsInRam`, a caller's or a shared arena.
   */
  stageWeights?: StageWeightsOption;
  /**
   * An ONNX model file's inputs and outputs (read by compileFile / compileFiles as they load it):
   * `channels-last` (default: NHWC, no transpose on the board) or `as-exported` (NCHW, as ONNX)
   */
  onnxLayout?: OnnxLayout;
  /** an ONNX model file's graph inputs bound to constants (read by compileFile / compileFiles): input name -> file (.pb, .npy or raw bytes) */
  bind?: OnnxBindings;
}

export interface CompiledModel {
  source: string;
  /** the graph as compiled: after the graph passes (constants folded, no-ops aliased, ...), its ops in the order they run (planMemory) */
  graph: Graph;
  prepared: PreparedGraph;
  plan: MemoryPlan;
  generated: GeneratedModel;
  /** what fitting to `CompileOptions.budget` moved and cost; absent without a budget */
  budget?: BudgetOutcome;
  /** the row-band stage, when one runs */
  patch?: PatchReport;
  /** why the default policy ran whole tensors though a stage would have lowered the arena (formatDeclined) */
  patchDeclined?: string;
  /** the layers the default ran on a frugal form rather than an arena-hungry fast one (plan/fast_forms.ts) */
  fastFormsDeclined?: FastFormsOutcome;
  /** the layers whose constant tables went to internal RAM; absent without `weightsInRam` */
  weightsInRam?: WeightsInRamPlan;
  /** the layers that copy their tables into the arena at their start; absent without `stageWeights` */
  stagedWeights?: StagedWeightsPlan;
}

/**
 * Runs the graph passes, then checks, prepares, plans and lowers the graph to C, in memory. With
 * `externalRam`, an arena over the internal limit is split between internal RAM and it.
 */
export function compileGraph(input: Graph, source = input.name, options: CompileOptions = {}): CompiledModel {
  const compiled = compileArena(input, source, options);
  const weights = options.weightsInRam;
  if (!weights) return options.stageWeights ? stageWeights(compiled, options, options.stageWeights) : compiled;
  const available = (options.budget?.ram ?? weights.internalBytes) - compiled.plan.arenaBytes;
  const chosen = chooseWeightsInRam(compiled.prepared, compiled.generated.layerConstBytes, available, weights);
  if (chosen.layers.length === 0) return { ...compiled, weightsInRam: chosen };
  const weightsInRam = new Set(chosen.layers.map((l) => l.position));
  return { ...compiled, weightsInRam: chosen, generated: lowerToC(compiled.prepared, compiled.plan, source, options, { weightsInRam }) };
}

/**
 * The compiled model with its most-read tables staged in the arena (plan/weight_staging.ts): the
 * candidates' scratch grown, the arena planned again, the least-read dropped while the arena
 * outgrows the internal RAM (or `budget.ram`), or the faster RAM it fitted unstaged; the model as it
 * was when none is left.
 */
function stageWeights(compiled: CompiledModel, options: CompileOptions, stage: StageWeightsOption): CompiledModel {
  if (options.arena === 'caller' || compiled.plan.external) return compiled;
  const arenaBefore = compiled.plan.arenaBytes;
  const fast = stage.fastBytes !== undefined && arenaBefore <= stage.fastBytes ? stage.fastBytes : Infinity;
  const limit = Math.min(options.budget?.ram ?? stage.internalBytes, fast);
  const candidates = stagingCandidates(compiled.prepared, compiled.generated.layerTables, stage);
  while (candidates.length > 0) {
    // the order the arena was planned in stays: the tables' names carry their layers' positions
    const prepared = withStagedScratch(compiled.prepared, candidates);
    const plan = planArena(prepared);
    if (plan.arenaBytes <= limit) {
      const layers = [...candidates].sort((a, b) => a.position - b.position);
      const stagedWeights = new Map(layers.map((l) => [l.position, l]));
      const generated = lowerToC(prepared, plan, compiled.source, options, { stagedWeights });
      const bytesCopied = layers.reduce((n, l) => n + l.bytes, 0);
      return { ...compiled, prepared, plan, generated, stagedWeights: { layers, bytesCopied, arenaBefore, arenaAfter: plan.arenaBytes } };
    }
    candidates.pop();
  }
  return compiled;
}

/** compileGraph before the weights' placement: the arena, split into external RAM when it must be. */
function compileArena(input: Graph, source: string, options: CompileOptions): CompiledModel {
  const external = options.externalRam;
  if (!external) return compileWhole(input, source, options);
  const internalBytes = options.budget?.ram ?? options.internalRam;
  // the RAM budget is the internal arena's, met by moving buffers out, not by slower kernels
  const flash = options.budget?.flash;
  const whole = compileWhole(input, source, { ...options, budget: flash !== undefined ? { flash } : undefined });
  if (internalBytes === undefined || whole.plan.arenaBytes <= internalBytes) return whole;
  if (options.arena === 'caller')
    throw new TinyforgeError(`${source}: --arena caller takes one arena; an arena split between internal RAM and ${external.name} is static`);
  const plan = splitArena(whole.prepared, whole.plan, internalBytes, external, source);
  return { ...whole, plan, generated: lowerToC(whole.prepared, plan, source, options) };
}

function compileWhole(input: Graph, source: string, options: CompileOptions): CompiledModel {
  const named = options.name !== undefined ? { ...input, name: options.name } : input;
  const graph = optimizeGraph(applyOnnxRequant(named, options.onnxRequant), source, { deadNeurons: options.deadNeurons });
  // arena-hungry fast forms where they pay (plan/fast_forms.ts); every one under an explicit `--prefer speed`
  const forms =
    options.prefer === 'speed' ? undefined : chooseFastForms(prepareGraph(graph, source, options.isa, options.prefer, options.kernels), options.partRam);
  const fastest = forms?.prepared ?? prepareGraph(graph, source, options.isa, options.prefer, options.kernels);
  const declinedForms = forms?.outcome ? { fastFormsDeclined: forms.outcome } : {};
  // the ops may run in another topological order when that needs a smaller arena
  const whole = planMemory(fastest);
  const ram = options.budget?.ram;
  const patchOption = resolvePatchOption(options, whole.plan.arenaBytes);
  // the default policy weighs its own costs; a budget's search is for `auto` and forced stages
  const banded = planWithPatch(fastest, patchOption, whole, patchOption === 'default' ? undefined : ram, options.partRam);
  const stage = banded.stage;
  const patch = patchReport(banded, chosenBy(options.patch, patchOption));
  const patchDeclined = formatDeclined(banded);
  // the C of the chosen plan, its banner naming the choices made
  const lower = (p: PreparedGraph, plan: MemoryPlan) => lowerToC(p, plan, source, options);
  if (!options.budget) {
    const { prepared, plan } = banded;
    rejectOversizedPlan(plan.arenaBytes, constantBytes(prepared.graph), source);
    const generated = lower(prepared, plan);
    return { source, graph: prepared.graph, prepared, plan, generated, patch, ...(patchDeclined ? { patchDeclined } : {}), ...declinedForms };
  }
  const constBytes = (p: PreparedGraph, plan: MemoryPlan) => generateC(p, plan, options.isa).layerConstBytes;
  // a stage the budget took that does not fit alone: frugal kernels without it first, with it if they fall short
  const stageFitsAlone = !stage || ram === undefined || banded.plan.arenaBytes <= ram || options.patch !== undefined;
  let fitted: ReturnType<typeof fitToBudget>;
  if (stageFitsAlone) fitted = fitToBudget(banded.prepared, options.budget, constBytes, source);
  else {
    try {
      fitted = fitToBudget(fastest, options.budget, constBytes, source);
    } catch (e) {
      if (!(e instanceof TinyforgeError)) throw e;
      fitted = fitToBudget(banded.prepared, options.budget, constBytes, source);
    }
  }
  const { prepared, plan } = planMemory(fitted.prepared);
  rejectOversizedPlan(plan.arenaBytes, constantBytes(prepared.graph), source);
  const generated = lower(prepared, plan);
  const kept = prepared.layers.find((l) => l.op.kind === PATCH_STAGE);
  return {
    source,
    graph: prepared.graph,
    prepared,
    plan,
    generated,
    budget: fitted.outcome,
    patch: patch && kept ? { ...patch, position: kept.position, arenaAfter: plan.arenaBytes } : undefined,
    ...(patchDeclined ? { patchDeclined } : {}),
    ...declinedForms,
  };
}

/** Where the C puts what the plan does not: the arena it shares with other models, weights copied to or staged in RAM. */
interface Placement {
  sharedArena?: SharedArenaCode;
  weightsInRam?: ReadonlySet<number>;
  stagedWeights?: ReadonlyMap<number, StagedLayer>;
}

/** The C of a planned model, its banner naming the compile's choices; `placement.sharedArena` when it shares one. */
function lowerToC(prepared: PreparedGraph, plan: MemoryPlan, source: string, options: CompileOptions, placement: Placement = {}): GeneratedModel {
  const { sharedArena, weightsInRam, stagedWeights } = placement;
  const provenance = { modelFile: source, ...options.provenance, choices: compileChoices(options) };
  return generateC(prepared, plan, options.isa, provenance, {
    arena: options.arena,
    ...(sharedArena ? { sharedArena } : {}),
    ...(options.labels ? { labels: options.labels } : {}),
    ...(weightsInRam ? { weightsInRam } : {}),
    ...(stagedWeights ? { stagedWeights } : {}),
  });
}

/** One model of a library: its graph, where it came from, and its name in the C (default the graph's). */
export interface LibraryModel {
  graph: Graph;
  source: string;
  name?: string;
  /** the banner's facts about its file (modelFileProvenance) */
  provenance?: Provenance;
}

/** Several models compiled into one library sharing one arena (compileModels). */
export interface CompiledLibrary {
  /** every model as compiled, its plan and C moved into the shared arena */
  models: CompiledModel[];
  shared: SharedArenaPlan;
  /** every file of the library: each model's own, each kernel file once, tf_models.h (and .c), one CMakeLists.txt */
  files: GeneratedFile[];
}

/**
 * Compiles several models that never run at the same time into one library: each model through
 * compileGraph with its own name (files `<name>.h`, ..., symbols `tf_<name>_*`), then one arena for
 * all of them (plan/shared_arena.ts), each model's C lowered again with its plan moved into it.
 * `options.name` is not used: each model's name is its own.
 */
export function compileModels(inputs: LibraryModel[], options: CompileOptions = {}): CompiledLibrary {
  if (inputs.length === 0) throw new TinyforgeError('give at least one model');
  const names = inputs.map((m) => cSymbolName(m.name ?? m.graph.name));
  names.forEach((name, k) => {
    const source = inputs[k]!.source;
    if (`tf_${name}` === LIBRARY_NAME || name === LIBRARY_NAME)
      throw new TinyforgeError(`${source}: the name '${name}' is the shared arena's (${LIBRARY_HEADER}): give the model another with --name`);
    const before = names.indexOf(name);
    if (before < k) {
      const example = names.map((n, i) => (i === k ? `${n}_2` : n)).join(',');
      throw new TinyforgeError(
        `models ${before + 1} and ${k + 1} (${inputs[before]!.source}, ${source}) are both named '${name}' in the C: name each with --name, a comma list in model order, e.g. --name ${example}`,
      );
    }
  });
  const separate = inputs.map((m, k) => {
    // a name given is a choice the banner records; the default (the graph's) is none
    // one arena shared by several models lives in one memory: no split into external RAM
    const own = {
      ...options,
      externalRam: undefined,
      // one model's RAM left over is not the library's: the shared arena is planned after
      weightsInRam: undefined,
      name: m.name !== undefined ? names[k] : undefined,
      provenance: { ...options.provenance, ...m.provenance },
    };
    return { own, compiled: compileGraph(m.graph, m.source, own) };
  });
  const shared = planSharedArena(separate.map(({ compiled }) => ({ graph: compiled.graph, plan: compiled.plan })));
  // each model's plan met the budget alone; the states it cannot move come on top of the shared part
  const ram = options.budget?.ram;
  if (ram !== undefined && shared.arenaBytes > ram)
    throw new TinyforgeError(
      `the shared arena needs ${shared.arenaBytes.toLocaleString('en-US')} bytes, over --max-ram ${ram.toLocaleString('en-US')}: the models' states take ${shared.scratchOffset.toLocaleString('en-US')}, the largest activation part ${(shared.arenaBytes - shared.scratchOffset).toLocaleString('en-US')}`,
    );
  const models = separate.map(({ own, compiled }, k): CompiledModel => {
    const plan = shared.plans[k]!;
    return { ...compiled, plan, generated: lowerToC(compiled.prepared, plan, compiled.source, own, { sharedArena: sharedArenaCode(shared, k) }) };
  });
  const files: GeneratedFile[] = [];
  const kernels = new Map<string, string>();
  for (const m of models) {
    for (const f of m.generated.files) {
      if (f.role === 'cmake') continue;
      if (f.role === 'kernel') {
        const before = kernels.get(f.name);
        if (before !== undefined) {
          if (before !== f.text) throw new Error(`internal error: kernel file ${f.name} differs between the models of one library`);
          continue;
        }
        kernels.set(f.name, f.text);
      }
      files.push(f);
    }
  }
  const provenances = separate.map(({ own, compiled }) => ({ modelFile: compiled.source, ...own.provenance }));
  files.push(
    ...generateLibraryFiles(
      models.map((m) => m.generated),
      names,
      shared,
      options.arena,
      options.isa,
      provenances,
    ),
  );
  const taken = new Map<string, string>();
  for (const f of files) {
    const other = taken.get(f.name);
    if (other !== undefined) throw new TinyforgeError(`two files of the library are named ${f.name}: give the models other names with --name`);
    taken.set(f.name, f.name);
  }
  return { models, shared, files };
}

/** compileModels of model files: each named after its file unless `names` (in model order) says otherwise. */
export function compileFiles(modelPaths: string[], options: CompileOptions = {}, names?: (string | undefined)[]): CompiledLibrary {
  if (names && names.length !== modelPaths.length)
    throw new TinyforgeError(`give one name per model, in model order: ${modelPaths.length} models, ${names.length} names`);
  return compileModels(
    modelPaths.map((path, k) => ({ graph: loadGraph(path, options), source: basename(path), name: names?.[k], provenance: modelFileProvenance(path) })),
    options,
  );
}

/**
 * The row-band option a compile plans with: the one asked for; `auto` under a RAM budget whole
 * tensors miss (the budget asks for the bytes); else the default policy, or whole tensors under an
 * explicit `--prefer speed` (defaultPatchOption). A budget whole tensors meet changes nothing: it
 * never makes the plan bigger than without it.
 */
export function resolvePatchOption(options: Pick<CompileOptions, 'patch' | 'budget' | 'prefer'>, wholeArenaBytes: number): PatchOption {
  if (options.patch !== undefined) return options.patch;
  const ram = options.budget?.ram;
  if (ram !== undefined && wholeArenaBytes > ram) return 'auto';
  return defaultPatchOption(options.prefer);
}

/** Bytes of a graph's constant tensors (weights, biases, tables). */
function constantBytes(graph: Graph): number {
  return graph.tensors.reduce((n, t) => n + (t.data ? t.data.length : 0), 0);
}

/** The banner's facts about a model file: its name and the sha256 of its bytes (none if unreadable). */
export function modelFileProvenance(modelPath: string): Provenance {
  try {
    return { modelFile: basename(modelPath), modelSha256: sha256Hex(readFileSync(modelPath)) };
  } catch {
    return { modelFile: basename(modelPath) };
  }
}

/**
 * The provenance of the sources `run`, `profile`, `validate` and `flash` build into tinyforge's
 * harness firmware. The same for all four, so `tinyforge run --port` finds the build that
 * `tinyforge flash` put on the board (the build id hashes the sources, banner included).
 */
export function harnessProvenance(modelPath: string, target: string): Provenance {
  return {
    ...modelFileProvenance(modelPath),
    target,
    command: `tinyforge run, profile, validate or flash of ${basename(modelPath)} for --target ${target} (the device harness build)`,
  };
}

export function compileFile(modelPath: string, options: CompileOptions = {}): CompiledModel {
  const graph = loadGraph(modelPath, options);
  return compileGraph(graph, basename(modelPath), { ...options, provenance: { ...modelFileProvenance(modelPath), ...options.provenance } });
}
