// SPDX-License-Identifier: Apache-2.0
import { TinyforgeError } from '../../core/errors.ts';
import type { CompiledModel } from '../../core/compile.ts';
import { loadGraph } from '../../core/model/load.ts';
import type { Graph } from '../../core/ir/graph.ts';
import { interpret } from '../../core/ops/interpreter.ts';
import type { PreparedGraph } from '../../core/ops/prepare.ts';
import type { TensorBuffer } from '../../core/ir/buffers.ts';
import { loadTarget } from '../toolchain/index.ts';
import type { BoardDescriptor } from '../../core/targets/targets.ts';
import { placeOnInstalledBoards } from '../toolchain/compilers.ts';
import { type FitEstimate, type WeightsInRamMode, type WeightsPlacement, estimateFit, weightsPlacement } from '../toolchain/fit.ts';
import type { BuildResult } from '../toolchain/index.ts';
import { runCases, runOnBoard, runOnHost, withSession } from '../device/index.ts';
import type { MemoryBudget } from '../../core/plan/budget.ts';
import { type PatchOption, formatPatch } from '../../core/plan/patch_policy.ts';
import type { KernelChoices, Prefer } from '../../core/ops/op.ts';
import { type DeviceBuild, type RunsOn, compileForTarget, requireTools, runsOnFacts, withDeviceBuild, withTargetBuild } from './device-build.ts';
import type { EmulatorLink } from '../device/transport/qemu.ts';
import { type InputCase, zeroPointCase } from '../data/inputs.ts';
import { concat, outputValues, splitOutputs } from '../data/bytes.ts';
import { type FloatTolerance, floatTolerance, outputMatches, outputUlpTolerances } from './float_tolerance.ts';
import type { CycleEstimate } from '../estimate/types.ts';
import { estimateRequest, reportedCounter, timingFor } from '../estimate/timing/run.ts';
import type { EstimateClock } from '../estimate/timing/index.ts';
import type { OnnxRequant } from '../../core/passes/onnx_requant.ts';
import type { OnnxLayout } from '../../core/model/onnx/edge_layout.ts';
import type { OnnxBindings } from '../../core/model/onnx/bind.ts';

export interface RunOptions {
  target: string;
  /** an emulated board; or a real one: without `port` its core's emulator runs the model and the fit is checked for it */
  board?: string;
  /** a serial port with a real board already flashed with this model's harness (`tinyforge flash MODEL`) */
  port?: string;
  /** the port's baud rate: the harness is built for it (as `flash --baud` built it) */
  baudRate?: number;
  /** inputs to run; default one input at the zero point */
  cases?: InputCase[];
  /**
   * run the cases back to back with the model's state (LSTM, SVDF and other variable tensors) carried
   * from one to the next, as a device fed a stream does; default each from reset state, as a fresh
   * TFLite Micro interpreter starts. The reference carries its state the same way.
   */
  carryState?: boolean;
  /** keep the build directory here instead of a temporary one */
  workDir?: string;
  timeoutMs?: number;
  /** host only: build with AddressSanitizer + UBSan */
  sanitize?: boolean;
  /** emulated boards: the UART over a pseudo-terminal (default) or the emulator's stdio */
  link?: EmulatorLink;
  /** fit the arena / constant tables to this budget (compile --max-ram / --max-flash) */
  budget?: MemoryBudget;
  /** row-band execution of an initial convolution chain (compile --patch) */
  patch?: PatchOption;
  /** the most-read layers' weight tables in internal RAM where the board's flash is slower (compile --weights-in-ram) */
  weightsInRam?: WeightsInRamMode;
  /** weight storage per layer (compile --prefer) */
  prefer?: Prefer;
  /** the weight storages to choose among (compile --sparse-kernels, --no-entropy, ...); absent: all */
  kernels?: KernelChoices;
  /** false: keep the neurons no output depends on (compile --no-dead-neurons) */
  deadNeurons?: boolean;
  /** layers of an ONNX model: ONNX Runtime's float32 arithmetic or fixed point (compile --onnx-requant) */
  onnxRequant?: OnnxRequant;
  /** an ONNX model's inputs and outputs: channels last (default; no transpose on the board) or as exported (NCHW) (compile --onnx-layout) */
  onnxLayout?: OnnxLayout;
  /** an ONNX model's graph inputs bound to constants: input name -> file (compile --bind) */
  bind?: OnnxBindings;
  /** reports progress (to stderr in the CLI) */
  progress?: (message: string) => void;
  /** trace the instructions for the timing model's estimated cycles (default true where the core has one) */
  estimate?: boolean;
  /** the estimate for a real board: its caches / flash accelerator on (default: hits assumed) or off (every fetch pays the wait states) */
  estimateCaches?: 'on' | 'off';
  /** the clock the estimate is for (`--clock`, resolved against the real board: its wait states); default the board descriptor's clock */
  estimateClock?: EstimateClock;
  /** validation (npm run timing:validate): the emulator's own cycles over the estimate's window (rp2040js, else null) and the instructions the trace saw there */
  onReferenceCycles?: (cycles: number | null, tracedInstructions: number | null) => void;
}

export interface CaseReport {
  index: number;
  /** one array of integers per output tensor */
  outputs: number[][];
  /** counter value for this inference; null on the host (no counter) */
  count: number | null;
  /** the outputs equal the TypeScript reference kernels' byte for byte */
  matchesReference: boolean;
}

/** `run --json`: the contract of DESIGN.md §6. */
export interface RunReport extends Partial<RunsOn> {
  model: string;
  target: string;
  board: string | null;
  counter: { kind: 'instructions' | 'cycles'; source: string } | null;
  /** outputs of the first inference after initialisation, one integer array per output tensor */
  outputs: number[][];
  perInference: number | null;
  memory: {
    arena: number;
    scratch: number;
    stack: number | null;
    flash: number;
    flashWeights: number;
    ram: number | null;
    /** bytes of constant tables kept in RAM (--weights-in-ram auto; 0: none), counted in `ram` */
    weightsInRam: number;
    /** where the kernels read the weight tables: flash, staged (copied into the arena per layer), ram (auto) or ram+flash */
    weights: WeightsPlacement;
    lowerBound: number;
    classicFloor: number;
  };
  cases: CaseReport[];
  matchesReference: boolean;
  macs: number;
  /** the row-band stage the build runs, what it saved and cost (plan/patch.ts formatPatch); absent: whole tensors */
  patch?: string;
  /**
   * the real board the model was checked against when an emulator ran it for that board
   * (`--board nucleo-l4r5zi` without a port): its chip and the fit of the model in its memory;
   * the counts are the emulator's, not this board's
   */
  realBoard: { name: string; chip: string; flash: { needed: number; available: number }; ram: { needed: number; available: number } } | null;
  /**
   * estimated core cycles of the first inference from the emulator's instruction stream and the
   * core's published timing (src/lab/estimate/timing/); null where the target has no timing model
   */
  cycleEstimate: CycleEstimate | null;
  /** where the model has float32 outputs: the ULPs each may differ from the reference by, and the worst seen (float_tolerance.ts) */
  floatTolerance?: FloatTolerance;
}

/** What `realBoard` says about a real board the fit was checked for while `runOn` ran the model. */
function realBoardOf(fitFor: BoardDescriptor | undefined, runOn: BoardDescriptor | undefined, fit: FitEstimate | null): RunReport['realBoard'] {
  if (!fitFor || fitFor === runOn || !fitFor.hardware || !fit) return null;
  return {
    name: fitFor.name,
    chip: fitFor.hardware.chip,
    flash: { needed: fit.flash.total, available: fit.flash.available },
    ram: { needed: fit.ram.total, available: fit.ram.available },
  };
}

/** Compiles, builds, runs on the target's board (or natively for `host`) and reads the cost back. */
export async function runModel(modelPath: string, options: RunOptions): Promise<RunReport> {
  if (options.port) return runOnPort(modelPath, options.port, options);
  const progress = options.progress ?? (() => {});
  const target = loadTarget(options.target);
  const { runOn: board, fitFor } = placeOnInstalledBoards(target, options.board, false, progress);
  requireTools(target, board, true); // before any work
  const graph = loadGraph(modelPath, options);
  const compiled = compileForTarget(graph, modelPath, target, fitFor, {
    budget: options.budget,
    patch: options.patch,
    weightsInRam: options.weightsInRam,
    prefer: options.prefer,
    kernels: options.kernels,
    deadNeurons: options.deadNeurons,
    onnxRequant: options.onnxRequant,
    onnxLayout: options.onnxLayout,
    progress,
    runOn: board,
  });
  // after compiling: the model is validated (sizes within MAX_MODEL_BYTES) before an input is made for it
  const cases = options.cases ?? [zeroPointCase(graph)];
  const realBoard = realBoardOf(fitFor, board, estimateFit(compiled, target, fitFor));
  const expected = referenceOutputs(compiled.prepared, cases, options.carryState ?? false);
  const buildOptions = { workDir: options.workDir, profile: false, sanitize: options.sanitize, progress };
  return withTargetBuild(compiled, target, board, buildOptions, async ({ build }) => {
    if (!board) {
      progress('running on the host');
      const host = await runOnHost(build.elf, concat(cases.map(concat)), { timeoutMs: options.timeoutMs, carryState: options.carryState });
      const outputBytes = splitCases(
        host.outputs,
        expected[0]!.map((o) => o.length),
        cases.length,
      );
      const context = { compiled, target: target.name, board: null, build, expected, realBoard: null, cycleEstimate: null };
      return report(context, { counter: null, actual: outputBytes, counts: null, stack: null });
    }
    progress(
      realBoard
        ? `running on ${board.name}, the emulator of ${realBoard.name}'s core; the memory fit is checked for ${realBoard.name} (${realBoard.chip})`
        : `running on ${board.name}`,
    );
    // null where nothing is traced: no estimate asked and a board that counts without the plugin
    const timing = timingFor({ target, runOn: board, fitFor, elf: build.elf, prefix: compiled.generated.prefix, ...estimateRequest(options) }, progress);
    const run = await runOnBoard({
      board: board.name,
      elf: build.elf,
      expectModel: compiled.generated.facts,
      cases: cases.map(concat),
      carryState: options.carryState,
      timeoutMs: options.timeoutMs ?? 300_000,
      link: options.link,
      progress,
      ...(timing ? { timing: timing.session } : {}),
    });
    const timed = timing ? timing.finish({ layerCount: null, layerPositions: null, which: 'first' }) : null;
    options.onReferenceCycles?.(timed?.reference ?? null, timed?.instructions ?? null);
    const cycleEstimate = timed?.estimate ?? null;
    // one inference per case: a board that counts with the plugin takes each case's count from its trace
    const counter = reportedCounter(board, run.counter, timed?.counts ?? null, run.cases.length);
    const counted = counter.plugin
      ? { ...run, counter, cases: run.cases.map((c, i) => ({ ...c, count: timed!.counts.inferences[i]!, instructions: timed!.counts.inferences[i]! })) }
      : { ...run, counter };
    const context = { compiled, target: target.name, board: board.name, build, expected, realBoard, cycleEstimate };
    return { ...deviceReport(context, counted), ...runsOnFacts(target, board, true) };
  });
}

/**
 * A real board on a serial port: the harness it runs must be this model's build (HELLO's build id is
 * checked), the one `tinyforge flash MODEL` puts there, so the build here is the same, not the profile
 * variant. The report has the shape of an emulated run.
 */
async function runOnPort(modelPath: string, port: string, options: RunOptions): Promise<RunReport> {
  if (options.sanitize) throw new TinyforgeError('--sanitize is for the host target, not a board on --port');
  const graph = loadGraph(modelPath, options);
  const buildOptions = {
    target: options.target,
    board: options.board,
    port,
    baudRate: options.baudRate,
    workDir: options.workDir,
    timeoutMs: options.timeoutMs,
    profile: false,
    budget: options.budget,
    patch: options.patch,
    prefer: options.prefer,
    kernels: options.kernels,
    deadNeurons: options.deadNeurons,
    onnxRequant: options.onnxRequant,
    onnxLayout: options.onnxLayout,
    progress: options.progress,
  };
  return withDeviceBuild(graph, modelPath, buildOptions, (deviceBuild) => runOnDevice(graph, options, deviceBuild));
}

/**
 * The device part of `run --port`: one session on the board, with the build already made (a campaign
 * reuses one build across many sessions: test/faults/).
 */
export async function runOnDevice(graph: Graph, options: Pick<RunOptions, 'cases' | 'carryState'>, deviceBuild: DeviceBuild): Promise<RunReport> {
  const { target, compiled, build, session } = deviceBuild;
  const cases = options.cases ?? [zeroPointCase(graph)];
  const carry = options.carryState ?? false;
  const expected = referenceOutputs(compiled.prepared, cases, carry);
  const run = await withSession(session, (s) => runCases(s, cases.map(concat), false, carry));
  const context = { compiled, target: target.name, board: run.board, build, expected, realBoard: null, cycleEstimate: null };
  return { ...deviceReport(context, run), ...runsOnFacts(target, deviceBuild.board, false) };
}

/** The TypeScript reference's outputs of each case: from reset state, or with the state carried case to case. */
export function referenceOutputs(prepared: PreparedGraph, cases: InputCase[], carryState: boolean): Uint8Array[][] {
  const state = new Map<number, TensorBuffer>();
  return cases.map((c) => interpret(prepared, c, carryState ? state : undefined).outputs);
}

/** What a run's report is made from besides what the board measured: the compile, the build, where it ran, the reference. */
interface RunContext {
  compiled: CompiledModel;
  target: string;
  /** the board that ran it; null for the host */
  board: string | null;
  build: BuildResult;
  /** the reference's outputs, per case and output */
  expected: Uint8Array[][];
  realBoard: RunReport['realBoard'];
  cycleEstimate: CycleEstimate | null;
}

/** What a board (or the host) gave back: each case's outputs per output tensor, its count, the stack the invoke used. */
interface RunMeasured {
  counter: RunReport['counter'];
  actual: Uint8Array[][];
  counts: number[] | null;
  stack: number | null;
}

/** The report of a run on a board (emulated or on a port): each case's output bytes split per output tensor. */
function deviceReport(
  context: RunContext,
  run: { counter: { kind: 'instructions' | 'cycles'; source: string }; cases: { outputs: Uint8Array; count: number }[]; memory: { stackInvoke: number } },
): RunReport {
  const sizes = context.expected[0]!.map((o) => o.length);
  return report(context, {
    counter: { kind: run.counter.kind, source: run.counter.source },
    actual: run.cases.map((c) => splitOutputs(c.outputs, sizes)),
    counts: run.cases.map((c) => c.count),
    stack: run.memory.stackInvoke,
  });
}

function report(context: RunContext, measured: RunMeasured): RunReport {
  const { compiled, target, board, build, expected, realBoard, cycleEstimate } = context;
  const { counter, actual, counts, stack } = measured;
  const { graph, plan } = compiled;
  // float32 outputs of libm layers (LOGISTIC, TANH, ...): within their ULP bounds; all else byte for byte
  const ulps = outputUlpTolerances(graph);
  const tolerance = floatTolerance(graph, actual, expected);
  const cases = actual.map((outs, index) => ({
    index,
    outputs: outs.map((bytes, o) => outputValues(graph, o, bytes)),
    count: counts ? counts[index]! : null,
    matchesReference: outs.every((bytes, o) => outputMatches(bytes, expected[index]![o]!, ulps[o] ?? null)),
  }));
  return {
    model: graph.name,
    target,
    board,
    counter,
    outputs: cases[0]!.outputs,
    perInference: cases[0]!.count,
    memory: {
      arena: plan.arenaBytes,
      scratch: plan.scratchBytes,
      stack,
      flash: build.sizes.flash,
      flashWeights: build.sizes.flashWeights,
      ram: stack === null ? null : build.sizes.ram + stack,
      weightsInRam: compiled.weightsInRam?.bytes ?? 0,
      weights: weightsPlacement(compiled),
      lowerBound: plan.lowerBound,
      classicFloor: plan.classicFloor,
    },
    cases,
    matchesReference: cases.every((c) => c.matchesReference),
    macs: compiled.prepared.layers.reduce((n, l) => n + l.macs, 0),
    realBoard,
    cycleEstimate,
    ...(compiled.patch ? { patch: formatPatch(compiled.patch) } : {}),
    ...(tolerance ? { floatTolerance: tolerance } : {}),
  };
}

function splitCases(bytes: Uint8Array, sizes: number[], count: number): Uint8Array[][] {
  const perCase = sizes.reduce((a, b) => a + b, 0);
  return Array.from({ length: count }, (_, c) => splitOutputs(bytes.subarray(c * perCase, (c + 1) * perCase), sizes));
}
