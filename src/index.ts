// SPDX-License-Identifier: Apache-2.0
/// <reference types="node" preserve="true" />
/**
 * tinyforge as a Node library: `import { compile, run, profile, openDevice } from 'tinyforge'`, and
 * for an always-on stream `compilePipelineFiles` and `runPipeline`.
 *
 * The surface is deliberately small and stable: functions taking model files and a plain
 * options object (the CLI's flags, spelled as camelCase properties), the reports they return (the
 * CLI's `--json` objects), the device session, and the error class every user-facing failure
 * throws. Everything else in dist/ is internal and may change between versions. docs/api.md
 * documents it with an example.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type CompiledLibrary, type CompiledModel, compileFile, compileFiles, modelFileProvenance } from './core/compile.ts';
import { CLIENT_IN_OUTPUT, clientInOutput, generateClient, labelsFromModel, readLabelsFile, writeClientFile } from './face/client/client.ts';
import { writeDirectoryAtomically } from './lab/output.ts';
import { type ProjectKind, projectFiles } from './lab/toolchain/project_layouts.ts';
import { boardOf, buildFirmware, loadTarget, smallestPartRam } from './lab/toolchain/index.ts';
import { resolveTargetAndBoard, targetNameFor } from './core/targets/targets.ts';
import { type Estimate, type EstimatedFor, type EstimationPlan, coreOf, cycleEstimateOf, estimateRun, planEstimation } from './lab/estimate/estimates.ts';
import { loadGraph } from './core/model/load.ts';
import { bytesToTensorLayout } from './core/ir/onnx_layout.ts';
import { checkLabelCount } from './lab/data/labels.ts';
import { type InputCase, readInputCases } from './lab/data/inputs.ts';
import { type RunReport, runModel } from './lab/run/run.ts';
import { type ProfileReport, profileModel } from './lab/run/profile.ts';
import { compileForTarget, requireTools } from './lab/run/device-build.ts';
import { DeviceSession, type SessionOptions } from './lab/device/session.ts';
import { byteSizeOption } from './face/cli/device-options.ts';
import { TinyforgeError } from './core/errors.ts';
import type { EmulatorLink } from './lab/device/transport/qemu.ts';
import type { PatchOption } from './core/plan/patch_policy.ts';
import type { KernelChoices, Prefer } from './core/ops/op.ts';
import { byteSize } from './core/ir/graph.ts';
import type { GeneratedFile } from './core/codegen/generate.ts';
import type { StreamShape } from './core/pipeline/stream.ts';
import { compilePipeline, loadPipeline, loadPipelineModels } from './lab/run/pipeline.ts';
import { pipelineReport } from './face/cli/pipeline.ts';
import { type PipelineJson, pipelineJson } from './face/report/pipeline.ts';
import { clockOption } from './lab/estimate/clock.ts';
import { batteryOption } from './lab/estimate/energy.ts';

export { TinyforgeError, OpError } from './core/errors.ts';
export { TOOL_VERSION as VERSION } from './core/codegen/banner.ts';
export type { CompiledLibrary, CompiledModel } from './core/compile.ts';
export type { SharedArenaPlan, SharedArenaSlot } from './core/plan/shared_arena.ts';
export type { RunReport, CaseReport } from './lab/run/run.ts';
export type { ProfileReport, ProfileLayer } from './lab/run/profile.ts';
export type { CycleEstimate } from './lab/estimate/types.ts';
export type { Estimate, EstimatedFor } from './lab/estimate/estimates.ts';
export type { DeviceSession, LayerCounters, Calibration } from './lab/device/session.ts';
export type { Hello, InvokeResult, DeviceMemory } from './lab/device/protocol/messages.ts';
export type { CounterSpec } from './core/targets/targets.ts';
export type { ProjectKind } from './lab/toolchain/project_layouts.ts';
export type { Graph, Tensor, DType, Quantization } from './core/ir/graph.ts';
export type { GeneratedModel, GeneratedFile } from './core/codegen/generate.ts';
export type { PatchOption, PatchReport } from './core/plan/patch_policy.ts';
export type { PatchChoice } from './core/ops/patch_stage/index.ts';
export type { KernelChoices, Prefer } from './core/ops/op.ts';
export type { EmulatorLink } from './lab/device/transport/qemu.ts';
export type { PipelineJson } from './face/report/pipeline.ts';
export type { StreamCosts, StreamCounts, StreamCountKind } from './lab/estimate/stream.ts';
export type { StreamShape } from './core/pipeline/stream.ts';

/** A byte count: a number, or as the CLI takes it (`'48K'`, `'1M'`, `'49152'`). */
export type ByteSize = number | string;

/** How the memory plan and the kernels are chosen: the CLI's `--max-ram`, `--max-flash`, `--patch`, `--prefer`, `--sparse-kernels`, ... */
export interface PlanOptions {
  /** fit the arena in this many bytes, moving layers to slower, more frugal kernels if needed */
  maxRam?: ByteSize;
  /** fit the model's constant tables (weights.c) in this many bytes */
  maxFlash?: ByteSize;
  /** row-band execution of an initial convolution chain: `'auto'`, `'off'` or a stage */
  patch?: PatchOption;
  /** run and profile: `'auto'` puts the most-read layers' weight tables in internal RAM where the board's flash is slower (the CLI's `--weights-in-ram`); default `'none'` */
  weightsInRam?: 'auto' | 'none';
  /** weight storage per layer where several compete: the fastest no bigger than dense, or the smallest */
  prefer?: Prefer;
  /** the weight storages to choose among (the CLI's `--sparse-kernels`, `--no-entropy`, ...); absent: all */
  kernels?: KernelChoices;
  /** false keeps the neurons no output depends on (the CLI's `--no-dead-neurons`) */
  deadNeurons?: boolean;
  /** layers of an ONNX model: ONNX Runtime's float32 arithmetic (`'exact'`, default) or fixed point (the CLI's `--onnx-requant`) */
  onnxRequant?: 'exact' | 'fixed';
  /**
   * an ONNX model's inputs and outputs at the C API: `'channels-last'` (default: NHWC / NWC, no
   * transpose on the board; inputs given and outputs returned here stay in ONNX's layout) or
   * `'as-exported'` (ONNX's NCHW) (the CLI's `--onnx-layout`)
   */
  onnxLayout?: 'channels-last' | 'as-exported';
  /**
   * an ONNX model's graph inputs that are constants, each read from a file: input name -> `.pb`
   * (TensorProto), `.npy` or raw bytes in the input's declared type and shape (the CLI's `--bind`);
   * the model then takes only its other inputs
   */
  bind?: Readonly<Record<string, string>>;
}

export interface CompileOptions extends PlanOptions {
  /** the target the C is generated for (`tinyforge targets`); default `cortex-m4` */
  target?: string;
  /** write the sources here (new, empty, or an earlier tinyforge output, replaced atomically); absent: in memory only */
  outDir?: string;
  /** write into a non-empty directory tinyforge did not create (nothing already there is deleted) */
  force?: boolean;
  /** lay the sources out as a project of this kind, as `compile --project` (needs `outDir`; docs/exports.md) */
  project?: ProjectKind;
  /**
   * Also generate the typed host client (docs/api.md): `true` puts it in the result (and as
   * client.ts in `outDir`), a file name writes it there (replacing only a client tinyforge wrote).
   */
  client?: boolean | string;
  /**
   * class labels, or a labels file (one a line, or JSON): the model header's labels table
   * (docs/generated-c.md) and the client's; the client's default: those the model file carries
   */
  labels?: readonly string[] | string;
  /**
   * `caller`: the generated `tf_<name>_init(arena, bytes)` takes the arena from the application
   * (docs/generated-c.md); default `static`, an array in model.c
   */
  arena?: 'static' | 'caller';
  /** the model's name in the C: files `<name>.h`, ..., symbols `tf_<name>_` (default: the model file's name) */
  name?: string;
}

export interface CompileResult extends CompiledModel {
  /** the target's name */
  target: string;
  /** where the sources were written (absolute), or null when `outDir` was not given */
  outDir: string | null;
  /** the client's TypeScript source, when `client` asked for it */
  client: string | null;
}

/** An inference's inputs: every input tensor's raw bytes, concatenated in input order. */
export type InputBytes = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array;

export interface RunOptions extends PlanOptions {
  /** default `cortex-m4`; `host` builds and runs natively */
  target?: string;
  /** the target's board (default its emulated board; with `port` its real board) */
  board?: string;
  /** a serial port with a real board already flashed with this model (`tinyforge flash MODEL`) */
  port?: string;
  /** inputs to run, each an inference's raw bytes; default one input at the zero point */
  inputs?: InputBytes[];
  /** or inputs from a file, as `--input` takes it (raw bytes or `.npy`) */
  inputFile?: string;
  /** keep the generated sources and the build here (default: a temporary directory, removed) */
  keep?: string;
  /** limit for the run on the board, ms (default 300 s) */
  timeoutMs?: number;
  /** host target only: build with AddressSanitizer + UBSan */
  sanitize?: boolean;
  /** emulated boards: the UART over a pseudo-terminal (default) or the emulator's stdio */
  link?: EmulatorLink;
  /** emulated boards: the estimated cycles of the per-core timing model (default true; docs/timing.md) */
  estimate?: boolean;
  /** the estimate for a real `board`: its caches / flash accelerator on (hits assumed, default) or off */
  estimateCaches?: 'on' | 'off';
  /** a real `board`: the clock (Hz) its ms and µJ are estimated at, as `--clock` (default: the board's) */
  clockHz?: number;
  /** a real `board`: the battery (mAh) the inferences are counted on, as `--battery` */
  batteryMah?: number;
  /** progress notes (the CLI prints them to stderr); default: silent */
  progress?: (message: string) => void;
}

/**
 * What `--json` adds to a run: the estimates (cycles, and for a real `board` ms, µJ and battery
 * inferences; docs/json-output.md) and the board, clock and current they were made for.
 */
export interface Estimated {
  estimates: Estimate[];
  estimatedFor: EstimatedFor | null;
}

export interface ProfileOptions extends Omit<RunOptions, 'inputs' | 'sanitize'> {
  /** the input to profile with (default: every input at its zero point) */
  input?: InputBytes;
  /** inferences to average over (default 1) */
  runs?: number;
}

export interface OpenDeviceOptions {
  /** a serial port with a board already running tinyforge's harness (`tinyforge flash`) */
  port?: string;
  /** the emulated board to start, or with `port` the board's descriptor (for its counter facts) */
  board?: string;
  /** firmware to start the emulated board with (the harness ELF a build made) */
  elf?: string;
  /**
   * A model file: the harness for it is built for `target` (the build `tinyforge flash` makes) and
   * its emulated board started; with `port`, the board there must run that very build.
   */
  model?: string;
  /** with `model`: the target to build for (default `cortex-m4`) */
  target?: string;
  /** with `model`: build the profile variant (per-layer counters; `DeviceSession.readLayers`) */
  profileBuild?: boolean;
  /** emulated boards: the UART over a pseudo-terminal (default) or the emulator's stdio */
  link?: EmulatorLink;
  /** per request, ms (default 2000) */
  timeoutMs?: number;
  /** per inference, ms (default 120 s) */
  invokeTimeoutMs?: number;
  /** real ports: reopen a port that vanishes (default 5 tries, 1000 ms apart) */
  reconnect?: { tries?: number; delayMs?: number };
  progress?: (message: string) => void;
}

/** Compiles a model file to C for a target; with `outDir` writes the sources there. */
export async function compile(model: string, options: CompileOptions = {}): Promise<CompileResult> {
  const target = loadTarget(options.target ?? 'cortex-m4');
  const command = `the Node API: compile(${JSON.stringify(basename(model))}, { target: '${target.name}', ... })`;
  const labels = typeof options.labels === 'string' ? readLabelsFile(options.labels) : options.labels?.slice();
  // a file's labels that do not fit are refused naming the file (the core names only the tensor)
  if (labels && typeof options.labels === 'string') checkLabelCount(loadGraph(model, options), labels, options.labels);
  const compiled = compileFile(model, {
    isa: target.isa,
    partRam: smallestPartRam(target),
    ...planOptions(options),
    arena: options.arena,
    name: options.name,
    ...(labels ? { labels } : {}),
    provenance: { target: target.name, command },
  });
  if (options.project !== undefined && options.outDir === undefined) throw new TinyforgeError(`${model}: project '${options.project}' needs an outDir`);
  let client: string | null = null;
  if (options.client !== undefined && options.client !== false) {
    client = generateClient(compiled.graph, model, {
      labels: labels ?? labelsFromModel(model),
      provenance: { ...modelFileProvenance(model), command },
      neededBy: "compile()'s client option",
    });
    if (typeof options.client === 'string' && clientInOutput(options.client, options.outDir) === undefined)
      writeClientFile(options.client, client, options.force);
  }
  if (options.outDir === undefined) return { ...compiled, target: target.name, outDir: null, client };
  const files = options.project !== undefined ? projectFiles(options.project, compiled, target) : [...compiled.generated.files];
  const clientName =
    options.client === true ? CLIENT_IN_OUTPUT : typeof options.client === 'string' ? clientInOutput(options.client, options.outDir) : undefined;
  if (client !== null && clientName !== undefined) files.push({ name: clientName, text: client });
  return { ...compiled, target: target.name, outDir: writeDirectoryAtomically(options.outDir, files, { force: options.force }), client };
}

export interface CompileLibraryOptions extends PlanOptions {
  /** the target the C is generated for (`tinyforge targets`); default `cortex-m4` */
  target?: string;
  /** write the sources here (new, empty, or an earlier tinyforge output, replaced atomically); absent: in memory only */
  outDir?: string;
  /** write into a non-empty directory tinyforge did not create (nothing already there is deleted) */
  force?: boolean;
  /** `'caller'`: every model's init takes the one buffer of `TF_MODELS_ARENA_BYTES` the application gives */
  arena?: 'static' | 'caller';
  /** each model's name in the C, in model order (default: each model file's name) */
  names?: string[];
}

export interface CompileLibraryResult extends CompiledLibrary {
  /** the target's name */
  target: string;
  /** where the sources were written (absolute), or null when `outDir` was not given */
  outDir: string | null;
}

/**
 * Compiles several model files that run one at a time into one library sharing one arena (the CLI's
 * `compile A.tflite B.tflite ...`, docs/generated-c.md); with `outDir` writes its files there.
 */
export async function compileLibrary(models: string[], options: CompileLibraryOptions = {}): Promise<CompileLibraryResult> {
  const target = loadTarget(options.target ?? 'cortex-m4');
  const command = `the Node API: compileLibrary(${JSON.stringify(models.map((m) => basename(m)))}, { target: '${target.name}', ... })`;
  const library = compileFiles(
    models,
    { isa: target.isa, partRam: smallestPartRam(target), ...planOptions(options), arena: options.arena, provenance: { target: target.name, command } },
    options.names,
  );
  const outDir = options.outDir === undefined ? null : writeDirectoryAtomically(options.outDir, library.files, { force: options.force });
  return { ...library, target: target.name, outDir };
}

/** Compiles, builds and runs a model on a board (emulated by default) or the host; reads the cost back. */
export async function run(model: string, options: RunOptions = {}): Promise<RunReport & Estimated> {
  // the estimate's board and clock are checked before anything is built, as on the CLI
  const plan = estimationPlan(options);
  const report = await runModel(model, {
    target: targetNameFor(options.target, options.board),
    estimateClock: plan ? { clockHz: plan.clock.clockHz, flashWaitStates: plan.clock.flashWaitStates } : undefined,
    board: options.board,
    port: options.port,
    cases: inputCases(model, options.inputs, options.inputFile, options),
    workDir: options.keep,
    timeoutMs: options.timeoutMs,
    sanitize: options.sanitize,
    link: options.link,
    estimate: options.estimate,
    estimateCaches: options.estimateCaches,
    ...planOptions(options),
    ...(options.weightsInRam ? { weightsInRam: options.weightsInRam } : {}),
    progress: options.progress,
  });
  const exact =
    report.counter && report.perInference !== null
      ? { ...report.counter, emulated: !options.port, core: coreOf(loadTarget(report.target)), perInference: report.perInference, perLayer: null }
      : null;
  const { estimates, estimatedFor } = estimateRun(plan, exact, cycleEstimateOf(report));
  return { ...report, estimates, estimatedFor };
}

function estimationPlan(options: RunOptions): EstimationPlan | null {
  return planEstimation({ target: options.target, board: options.board, port: options.port, clockHz: options.clockHz, batteryMah: options.batteryMah });
}

/** Runs a model in a profile build and reads back the counter per layer, memory and outputs. */
export async function profile(model: string, options: ProfileOptions = {}): Promise<ProfileReport & Estimated & { perLayerEstimates: Estimate[][] | null }> {
  const inputs = options.input ? [options.input] : undefined;
  const plan = estimationPlan(options);
  const report = await profileModel(model, {
    target: targetNameFor(options.target, options.board),
    estimateClock: plan ? { clockHz: plan.clock.clockHz, flashWaitStates: plan.clock.flashWaitStates } : undefined,
    board: options.board,
    port: options.port,
    input: inputCases(model, inputs, options.inputFile, options)?.[0],
    runs: options.runs,
    workDir: options.keep,
    timeoutMs: options.timeoutMs,
    link: options.link,
    estimate: options.estimate,
    estimateCaches: options.estimateCaches,
    ...planOptions(options),
    ...(options.weightsInRam ? { weightsInRam: options.weightsInRam } : {}),
    progress: options.progress,
  });
  const exact = {
    ...report.counter,
    emulated: !options.port,
    core: coreOf(loadTarget(report.target)),
    perInference: report.perInference,
    perLayer: report.layers.map((l) => l.count),
  };
  const { estimates, estimatedFor, perLayer } = estimateRun(plan, exact, cycleEstimateOf(report));
  return { ...report, estimates, estimatedFor, perLayerEstimates: perLayer };
}

/**
 * Opens a session with a device running tinyforge's harness over its serial protocol
 * (docs/protocol.md): a real board on `port`, an emulated board started from `elf`, or, given
 * `model`, an emulated board started with that model's harness built here. Close it with `close()`.
 */
export async function openDevice(options: OpenDeviceOptions): Promise<DeviceSession> {
  const session: SessionOptions = {
    port: options.port,
    board: options.board,
    elf: options.elf,
    link: options.link,
    timeoutMs: options.timeoutMs,
    invokeTimeoutMs: options.invokeTimeoutMs,
    reconnect: options.reconnect,
    progress: options.progress,
  };
  if (options.model === undefined) {
    if (options.port === undefined && options.elf === undefined) throw new TinyforgeError('openDevice: give a port, an elf (with its board) or a model');
    return DeviceSession.open(session);
  }
  const target = resolveTargetAndBoard(options.target, options.board).target;
  if (target.firmware === 'host') throw new TinyforgeError(`target host has no device to talk to: pick an MCU target (see \`tinyforge targets\`)`);
  const board = options.port ? (options.board ? boardOf(target, options.board) : target.boards.find((b) => !b.emulated)) : boardOf(target, options.board);
  if (!options.port && !board) throw new TinyforgeError(`target ${target.name} has no emulated board: give a port`);
  requireTools(target, board, !options.port);
  const compiled = compileForTarget(loadGraph(options.model), options.model, target, board, { progress: options.progress });
  const workDir = mkdtempSync(join(tmpdir(), 'tinyforge-device-'));
  try {
    const modelDir = writeDirectoryAtomically(join(workDir, 'model'), compiled.generated.files);
    options.progress?.(`building for ${target.name}${board ? ` (${board.name})` : ''}`);
    const build = await buildFirmware({
      target: target.name,
      board: board?.name,
      modelDir,
      outDir: join(workDir, 'build'),
      profile: options.profileBuild ?? false,
      input0ArenaOffset: compiled.plan.tensorOffset.get(compiled.graph.inputs[0]!),
    });
    // The emulator has read the ELF once HELLO is answered (open waits for it): the build can go.
    return await DeviceSession.open(
      options.port
        ? { ...session, board: board?.name, expectBuildId: build.buildId, expectModel: compiled.generated.facts }
        : { ...session, board: board!.name, elf: build.elf, expectModel: compiled.generated.facts },
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** How a pipeline's stream is cut: the CLI's `--stride`, `--window-stride` (docs/pipeline.md). */
export interface StreamCutOptions {
  /** audio: samples between frames (default: the front-end's own hop, else half its window); sensor: rows between runs of the model */
  stride?: number;
  /** new frames between runs of the model (default: the frames its input holds) */
  windowStride?: number;
}

export interface CompilePipelineOptions extends StreamCutOptions {
  /** default `cortex-m4` */
  target?: string;
  /** write both models' C and tf_pipeline.h/.c here; absent: in memory only */
  outDir?: string;
  force?: boolean;
  /** a sensor stream (no front-end): values a row */
  channels?: number;
}

export interface CompilePipelineResult {
  target: string;
  outDir: string | null;
  /** the front-end's compiled model; null for a sensor stream */
  frontEnd: CompiledModel | null;
  model: CompiledModel;
  /** both models' files and tf_pipeline.h/.c, in one folder */
  files: GeneratedFile[];
  stream: StreamShape;
}

/**
 * Compiles a pipeline (the CLI's `compile FRONTEND MODEL`, docs/pipeline.md): a front-end and a
 * model side by side with tf_pipeline.h/.c, or (`frontEnd` null, `channels` given) a model slid over
 * rows of a sensor stream.
 */
export async function compilePipelineFiles(frontEnd: string | null, model: string, options: CompilePipelineOptions = {}): Promise<CompilePipelineResult> {
  const target = loadTarget(options.target ?? 'cortex-m4');
  const models = loadPipelineModels(frontEnd, model, { stride: options.stride, windowStride: options.windowStride, channels: options.channels });
  const command = `the Node API: compilePipelineFiles(${JSON.stringify(frontEnd === null ? null : basename(frontEnd))}, ${JSON.stringify(basename(model))}, { target: '${target.name}', ... })`;
  const compiled = compilePipeline(models, target, { command });
  const outDir = options.outDir === undefined ? null : writeDirectoryAtomically(options.outDir, compiled.files, { force: options.force });
  return { target: target.name, outDir, frontEnd: compiled.frontEnd, model: compiled.model, files: compiled.files, stream: models.shape };
}

export interface RunPipelineOptions extends StreamCutOptions {
  /** the stream: a WAV (or `.raw`/`.pcm` int16 samples) after a front-end, a `.csv` of rows for a model alone */
  input: string;
  /** run the generated C on this target (`host`, or an MCU target on its emulated board); neither this nor `board`: the reference only */
  target?: string;
  /** a board: an emulated one, or a real one whose core's emulator runs the stream and whose clock, wait states and current the costs are for */
  board?: string;
  /** with a real `board`: the clock of the costs, in Hz or as the CLI takes it (`'80MHz'`) */
  clock?: number | string;
  /** with a real `board`: a battery in mAh, or as the CLI takes it (`'1000mAh'`), for the hours */
  battery?: number | string;
  /** the stream's samples (sensor: rows) per second (default: the WAV's sample rate) */
  rate?: number;
  /** the model's classes: a list, or a file of them one a line */
  labels?: readonly string[] | string;
  /** keep the generated sources and the build here */
  keep?: string;
  /** limit for the run on the board, ms (default 300 s) */
  timeoutMs?: number;
  /** emulated boards: the estimated cycles of the per-core timing model (default true); false: the measured counts alone */
  estimate?: boolean;
  progress?: (message: string) => void;
}

/**
 * Runs a pipeline over a stream as `tinyforge run FRONTEND MODEL --input clip.wav` does and returns
 * the object `run --json` prints (docs/json-output.md): every window, the features, whether the run
 * equals the reference, and the costs (estimated cycles for a real `board`, the measured counts beside).
 * A run that differs from the reference resolves with `matchesReference: false`.
 */
export async function runPipeline(frontEnd: string | null, model: string, options: RunPipelineOptions): Promise<PipelineJson> {
  const { report, model: graph } = await pipelineReport(
    frontEnd,
    model,
    {
      input: options.input,
      target: options.target,
      board: options.board,
      clock: typeof options.clock === 'string' ? clockOption(options.clock) : options.clock,
      battery: typeof options.battery === 'string' ? batteryOption(options.battery) : options.battery,
      stride: options.stride,
      windowStride: options.windowStride,
      rate: options.rate,
      labels: options.labels,
      keep: options.keep,
      timeout: options.timeoutMs ?? 300_000,
      estimate: options.estimate,
    },
    options.progress ?? (() => {}),
  );
  return pipelineJson(report, graph);
}

function planOptions(options: PlanOptions) {
  const size = (flag: string, value: ByteSize | undefined) => (typeof value === 'string' ? byteSizeOption(flag)(value) : value);
  const ram = size('maxRam', options.maxRam);
  const flash = size('maxFlash', options.maxFlash);
  return {
    budget: ram !== undefined || flash !== undefined ? { ram, flash } : undefined,
    patch: options.patch,
    prefer: options.prefer,
    kernels: options.kernels,
    deadNeurons: options.deadNeurons,
    onnxRequant: options.onnxRequant,
    onnxLayout: options.onnxLayout,
    ...(options.bind ? { bind: options.bind } : {}),
  };
}

/** Raw input bytes (or an input file) as the runner's per-tensor cases, checked against the model's input sizes. */
function inputCases(model: string, inputs: InputBytes[] | undefined, inputFile: string | undefined, options: PlanOptions): InputCase[] | undefined {
  if (inputFile !== undefined) return readInputCases(loadGraph(model, options), inputFile);
  if (inputs === undefined) return undefined;
  const graph = loadGraph(model, options);
  const sizes = graph.inputs.map((i) => byteSize(graph.tensors[i]!));
  const total = sizes.reduce((a, b) => a + b, 0);
  return inputs.map((input, n) => {
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (bytes.length !== total) throw new TinyforgeError(`${model}: input ${n} has ${bytes.length} bytes, the model takes ${total} (${sizes.join(' + ')})`);
    let at = 0;
    // given in ONNX's layout, as a file is
    return sizes.map((s, k) => bytesToTensorLayout(graph.tensors[graph.inputs[k]!]!, bytes.slice(at, (at += s))));
  });
}
