// SPDX-License-Identifier: Apache-2.0
/**
 * What `run`, `profile` and `validate` share: compile the model for a target, build the harness
 * firmware around it (the profile build has per-layer counters and stop-after-layer), and say how
 * to reach the board: an emulated board started here, or a real board on a serial port that must run
 * this very build.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { makeTempFolder, removeTempFolder, untrackTempPath } from '../lifecycle.ts';
import { type CompiledModel, compileGraph, harnessProvenance } from '../../core/compile.ts';
import { type MemoryBudget, formatBudget } from '../../core/plan/budget.ts';
import type { PatchOption } from '../../core/plan/patch_policy.ts';
import { writeDirectoryAtomically } from '../output.ts';
import type { Graph } from '../../core/ir/graph.ts';
import type { KernelChoices, Prefer } from '../../core/ops/op.ts';
import { boardOf, buildFirmware, findTool, loadTarget } from '../toolchain/index.ts';
import { findCompiler, findEmulator, placeOnInstalledBoards } from '../toolchain/compilers.ts';
import type { BuildResult } from '../toolchain/index.ts';
import { type WeightsInRamMode, checkFits, externalRamOptions, weightsInRamChoice } from '../toolchain/fit.ts';
import { type BoardDescriptor, type TargetDescriptor, boardIsa, smallestPartRam } from '../../core/targets/targets.ts';
import type { SessionOptions } from '../device/session.ts';
import type { EmulatorLink } from '../device/transport/qemu.ts';
import type { OnnxRequant } from '../../core/passes/onnx_requant.ts';
import type { OnnxBindings } from '../../core/model/onnx/bind.ts';
import type { OnnxLayout } from '../../core/model/onnx/edge_layout.ts';

export interface DeviceTargetOptions {
  target: string;
  /** an emulated board (default: the target's), or with `port` the real board's descriptor */
  board?: string;
  /** a serial port with a board running this build's firmware */
  port?: string;
  link?: EmulatorLink;
  /** keep sources and build here */
  workDir?: string;
  /** a real port's baud rate: the harness is built for it and the port opened at it */
  baudRate?: number;
  /** limit per inference on the board, ms */
  timeoutMs?: number;
  /** extra compile flags (tests: -DTF_TEST_CORRUPT_LAYER=...) */
  extraCflags?: string[];
  /** build the profile variant (default true); `run --port` builds what `tinyforge flash MODEL` puts on the board */
  profile?: boolean;
  /** fit the arena / constant tables to this budget (compile --max-ram / --max-flash) */
  budget?: MemoryBudget;
  /** row-band execution of an initial convolution chain (compile --patch) */
  patch?: PatchOption;
  /** the most-read layers' weight tables in the internal RAM the arena leaves, on a board whose flash is slower (compile --weights-in-ram) */
  weightsInRam?: WeightsInRamMode;
  /** dense or sparse (or other) weight storage per layer: compile --prefer */
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
  progress?: (message: string) => void;
}

export interface DeviceBuild {
  target: TargetDescriptor;
  /** the board that runs the model: the port's real board, or an emulated one */
  board: BoardDescriptor | undefined;
  /** the board whose memory the model was checked against (a named real board an emulator stands in for) */
  fitFor: BoardDescriptor | undefined;
  compiled: CompiledModel;
  build: BuildResult;
  session: SessionOptions;
}

/**
 * Fails early, with the package that installs it, when a tool the work needs is missing: the
 * target's compiler, and the emulator when an emulated board will be started here.
 */
export function requireTools(target: TargetDescriptor, board: BoardDescriptor | undefined, startsEmulator: boolean): void {
  findCompiler(target);
  if (startsEmulator && board?.emulator && !board.emulator.inProcess) findEmulator(board.emulator);
}

export interface TargetBuildOptions {
  /** keep sources and build here (default: a temporary directory, removed afterwards) */
  workDir?: string;
  /** the harness's profile variant: per-layer counters and stop-after-layer */
  profile: boolean;
  /** host only: AddressSanitizer + UBSan */
  sanitize?: boolean;
  extraCflags?: string[];
  /** the harness console's baud rate (--baud) */
  consoleBaud?: number;
  progress: (message: string) => void;
}

export interface TargetBuild {
  compiled: CompiledModel;
  build: BuildResult;
}

/** How the memory plan is shaped: `--max-ram` / `--max-flash` and `--patch`, as compile takes them. */
export interface PlanShaping {
  budget?: MemoryBudget;
  patch?: PatchOption;
  /** compile --weights-in-ram: auto weighs the board's flash against its internal RAM; none (default) keeps every table in flash */
  weightsInRam?: WeightsInRamMode;
  /** weight storage per layer: the fastest no bigger than dense, or the smallest (compile --prefer) */
  prefer?: Prefer;
  /** the weight storages to choose among (compile --sparse-kernels, --no-entropy, ...); absent: all */
  kernels?: KernelChoices;
  /** false: keep the neurons no output depends on (compile --no-dead-neurons) */
  deadNeurons?: boolean;
  /** layers of an ONNX model: ONNX Runtime's float32 arithmetic or fixed point (compile --onnx-requant) */
  onnxRequant?: OnnxRequant;
  /** an ONNX model's inputs and outputs: channels last (default; no transpose on the board) or as exported (NCHW) (compile --onnx-layout) */
  onnxLayout?: OnnxLayout;
  /** told what the budget and the row bands changed */
  progress?: (message: string) => void;
  /** the board the code runs on, when not the one the fit is checked for (an emulator of a real board's core): its ISA picks the kernels */
  runOn?: BoardDescriptor;
}

/** Compiles for the target's ISA and refuses a model too big for the board, before any build. */
export function compileForTarget(
  graph: Graph,
  modelPath: string,
  target: TargetDescriptor,
  board: BoardDescriptor | undefined,
  shaping: PlanShaping = {},
): CompiledModel {
  const { budget, patch, prefer, kernels, deadNeurons, onnxRequant, onnxLayout } = shaping;
  const compiled = compileGraph(graph, basename(modelPath), {
    isa: boardIsa(target, shaping.runOn ?? board),
    partRam: smallestPartRam(target),
    budget,
    patch,
    prefer,
    kernels,
    deadNeurons,
    onnxRequant,
    ...externalRamOptions(target, board),
    ...weightsInRamChoice(shaping.weightsInRam, target, board),
    onnxLayout,
    provenance: harnessProvenance(modelPath, target.name),
  });
  if (compiled.budget) shaping.progress?.(formatBudget(compiled.budget));
  // a progress line, not the report: the stage in a few words (the report's `patch` and inspect give it all)
  if (compiled.patch) {
    const n = (v: number) => v.toLocaleString('en-US');
    shaping.progress?.(`row bands from layer ${compiled.patch.position}: arena ${n(compiled.patch.arenaBefore)} -> ${n(compiled.patch.arenaAfter)} B`);
  }
  if (compiled.patchDeclined) shaping.progress?.('row bands: none by default (`tinyforge inspect` says why; --patch auto takes them)');
  if (compiled.weightsInRam) {
    const w = compiled.weightsInRam;
    shaping.progress?.(
      `weights in RAM: ${w.bytes.toLocaleString('en-US')} B of ${w.layers.length} layers' tables (${board?.name ?? target.name}'s flash is slower)`,
    );
  } else if (shaping.weightsInRam === 'auto')
    shaping.progress?.(`weights in RAM: none (${board?.name ?? target.name}'s flash is no slower than its RAM, or no table gains)`);
  checkFits(compiled, basename(modelPath), target, board);
  return compiled;
}

/**
 * The one build path of every command that runs a model: write the compiled sources, build the
 * harness around them, run `work`, and clean up.
 */
export async function withTargetBuild<T>(
  compiled: CompiledModel,
  target: TargetDescriptor,
  board: BoardDescriptor | undefined,
  options: TargetBuildOptions,
  work: (b: TargetBuild) => Promise<T>,
): Promise<T> {
  const { graph } = compiled;
  if (options.workDir) claimKeepDirectory(options.workDir);
  const workDir = options.workDir ?? makeTempFolder('build');
  // a failed build keeps its folder: the error names the log (and the sources) in it
  let keepWorkDir = false;
  try {
    const modelDir = writeDirectoryAtomically(join(workDir, 'model'), compiled.generated.files);
    options.progress(`building for ${target.name}${board ? ` (${board.name})` : ''}${options.profile ? ', profile build' : ''}`);
    let build: BuildResult;
    try {
      build = await buildFirmware({
        target: target.name,
        board: board?.name,
        modelDir,
        outDir: join(workDir, 'build'),
        profile: options.profile,
        sanitize: options.sanitize,
        input0ArenaOffset: compiled.plan.tensorOffset.get(graph.inputs[0]!),
        optimizeForSize: compiled.prepared.prefer === 'size',
        extraCflags: options.extraCflags,
        consoleBaud: options.consoleBaud,
      });
    } catch (e) {
      keepWorkDir = e instanceof TinyforgeError && e.message.includes(workDir);
      throw e;
    }
    return await work({ compiled, build });
  } finally {
    if (!options.workDir && !keepWorkDir) removeTempFolder(workDir);
    else if (!options.workDir) untrackTempPath(workDir);
  }
}

/** What marks a `--keep` directory as tinyforge's: its `model` and `build` folders may be replaced. */
const KEEP_MARKER = '.tinyforge-keep';

/**
 * `--keep DIR` holds the sources and the build: DIR must be new, empty, or an earlier `--keep` of
 * tinyforge's (its marker), so a build never overwrites files of the user's (a `build/` of their
 * own project under `--keep .`). Claimed before the build, so a refusal costs nothing.
 */
export function claimKeepDirectory(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new TinyforgeError(`--keep ${dir}: exists and is not a directory`);
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(KEEP_MARKER))
      throw new TinyforgeError(
        `--keep ${dir}: not empty and not an earlier --keep of tinyforge's (holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); give a new directory`,
      );
  }
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, KEEP_MARKER), 'sources (model/) and build (build/) kept by tinyforge; replaced by the next --keep here\n');
  } catch (e) {
    throw new TinyforgeError(`--keep ${dir}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Where a model ran, beside the board's name in a report: the emulator and machine, and the ISA its kernels were chosen for. */
export interface RunsOn {
  /** the emulator and its machine (`-M`), for an emulated board; null on a real board or the host */
  emulator: { program: string; machine: string | null } | null;
  /** the target's ISA flags less what the board lacks (`boardIsa`): e.g. `"s3simd": true` where the S3's SIMD kernels ran */
  isa: TargetDescriptor['isa'];
}

export function runsOnFacts(target: TargetDescriptor, board: BoardDescriptor | undefined, emulated: boolean): RunsOn {
  const emulator = emulated && board?.emulator ? board.emulator : undefined;
  const at = emulator ? emulator.args.indexOf('-M') : -1;
  return {
    emulator: emulator ? { program: emulator.command, machine: at >= 0 ? (emulator.args[at + 1] ?? null) : null } : null,
    isa: boardIsa(target, emulated ? board : undefined),
  };
}

/** Compiles and builds, runs `work` with what it takes to open a session, and cleans up. */
export async function withDeviceBuild<T>(graph: Graph, modelPath: string, options: DeviceTargetOptions, work: (b: DeviceBuild) => Promise<T>): Promise<T> {
  const progress = options.progress ?? (() => {});
  const target = loadTarget(options.target);
  if (target.firmware === 'host') throw new TinyforgeError(`target host has no device to talk to: pick an MCU target (see \`tinyforge targets\`)`);
  const { runOn: board, fitFor } = placeOnInstalledBoards(target, options.board, options.port !== undefined, progress);
  if (!options.port && !board) throw new TinyforgeError(`target ${target.name} has no emulated board: give --port`);
  requireTools(target, board, !options.port);
  const buildOptions = {
    workDir: options.workDir,
    profile: options.profile ?? true,
    extraCflags: options.extraCflags,
    consoleBaud: options.baudRate,
    progress,
  };
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
  if (fitFor && fitFor !== board)
    progress(`${board!.name} runs the model for ${fitFor.name}: the memory fit is checked for ${fitFor.name}, the counts are the emulator's`);
  return withTargetBuild(compiled, target, board, buildOptions, ({ build }) => {
    const session: SessionOptions = options.port
      ? { port: options.port, baudRate: options.baudRate, board: board?.name, expectBuildId: build.buildId, invokeTimeoutMs: options.timeoutMs, progress }
      : { board: board!.name, elf: build.elf, link: options.link, invokeTimeoutMs: options.timeoutMs, progress };
    session.expectModel = compiled.generated.facts;
    progress(options.port ? `talking to the board on ${options.port}` : `running on ${board!.name}`);
    return work({ target, board, fitFor, compiled, build, session });
  });
}
