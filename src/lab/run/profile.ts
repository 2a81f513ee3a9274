// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge profile`: runs the model on the board in a profile build and reads back the counter
 * per layer, net of the profiling hooks' own cost (measured on the device with an empty layer).
 */
import { type WeightsPlacement, weightsPlacement } from '../toolchain/fit.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { type Graph, byteSize } from '../../core/ir/graph.ts';
import { fromBytes } from '../../core/ir/buffers.ts';
import { type BoardDescriptor, type TargetDescriptor, memoryFor } from '../../core/targets/targets.ts';
import { loadGraph } from '../../core/model/load.ts';
import { interpret } from '../../core/ops/interpreter.ts';
import { layerWeightBytes } from '../../core/ops/prepare.ts';
import { withSession } from '../device/session.ts';
import { checkStack } from '../device/emulator.ts';
import { tensorLifetimes } from '../../core/plan/lifetimes.ts';
import type { CompiledModel } from '../../core/compile.ts';
import { type DeviceBuild, type DeviceTargetOptions, type RunsOn, runsOnFacts, withDeviceBuild } from './device-build.ts';
import { type InputCase, zeroPointCase } from '../data/inputs.ts';
import { concat, outputValues, splitOutputs } from '../data/bytes.ts';
import { type FloatTolerance, floatTolerance, outputMatches, outputUlpTolerances } from './float_tolerance.ts';
import type { CycleEstimate } from '../estimate/types.ts';
import { estimateRequest, reportedCounter, timingFor } from '../estimate/timing/run.ts';
import type { EstimateClock, TracedCounts } from '../estimate/timing/index.ts';

export interface ProfileOptions extends DeviceTargetOptions {
  /** the input to profile with (default: every input at its zero point) */
  input?: InputCase;
  /** inferences to average over (default 1: emulators are deterministic) */
  runs?: number;
  /** trace the instructions for the timing model's estimated cycles (default true where the core has one) */
  estimate?: boolean;
  /** the estimate for a real board: its caches / flash accelerator on (default: hits assumed) or off (every fetch pays the wait states) */
  estimateCaches?: 'on' | 'off';
  /** the clock the estimate is for (`--clock`, resolved against the real board: its wait states); default the board descriptor's clock */
  estimateClock?: EstimateClock;
}

export interface ProfileLayer {
  /** layer position = op index */
  index: number;
  op: string;
  inputs: number[][];
  outputs: number[][];
  macs: number;
  /** counter per inference, net of the hooks' inside cost; 0 for layers without code */
  count: number;
  /** as measured, hooks included */
  rawCount: number;
  /** count / sum of all layer counts */
  share: number;
  /** macs / count; null where count is 0 */
  macsPerCount: number | null;
  /** the layer emits no code (an alias such as a reshape) */
  alias: boolean;
  /** the kernel variant the compiler chose for the target ('alias' for layers without code) */
  kernel: string;
  /** flash bytes of the layer's constant tables as stored (sparse, int4, palette ... or dense) */
  weightBytes: number;
  /** arena bytes live while the layer runs: its buffers and its scratch (the plan's figure) */
  liveBytes: number;
}

export interface ProfileReport extends Partial<RunsOn> {
  model: string;
  target: string;
  board: string | null;
  port: string;
  counter: { kind: 'instructions' | 'cycles'; source: string };
  /** the whole inference, hooks included */
  perInference: number;
  runs: number;
  /** sum of the layers' net counts */
  layersTotal: number;
  /** what the hooks cost, in counter units: inside every layer figure, and per layer as the total sees it */
  hookOverhead: { insideLayer: number; perLayer: number };
  macs: number;
  layers: ProfileLayer[];
  outputs: number[][];
  matchesReference: boolean;
  /** where the model has float32 outputs: the ULPs each may differ from the reference by, and the worst seen */
  floatTolerance?: FloatTolerance;
  memory: {
    arena: number;
    arenaUsed: number | null;
    scratch: number;
    stack: number;
    stackInvoke: number;
    flash: number;
    flashWeights: number;
    ram: number;
    /** bytes of constant tables kept in RAM (--weights-in-ram auto; 0: none), counted in `ram` */
    weightsInRam: number;
    /** where the kernels read the weight tables (RunReport's memory.weights) */
    weights: WeightsPlacement;
  };
  /** the arena plan, for the HTML timeline */
  plan: {
    arena: number;
    buffers: { name: string; tensors: number[]; scratchOf: number | null; offset: number; bytes: number; firstUse: number; lastUse: number }[];
  };
  buildId: string;
  /**
   * what the board holds, for the report's breakdown: the named real board's chip (its largest flash and
   * RAM regions, as the fit checks) where one was named, else the board that ran it; null where the
   * target has no fixed memory map
   */
  capacity: { flash: number; ram: number; board?: string } | null;
  /**
   * estimated core cycles (per inference, and per layer net of the hooks) from the emulator's
   * instruction stream and the core's published timing; null where the target has no timing model
   */
  cycleEstimate: CycleEstimate | null;
}

export async function profileModel(modelPath: string, options: ProfileOptions): Promise<ProfileReport> {
  const graph = loadGraph(modelPath, options);
  const runs = options.runs ?? 1;
  if (!Number.isInteger(runs) || runs < 1 || runs > 65535) throw new TinyforgeError(`--runs must be an integer from 1 to 65535, got ${runs}`);
  return withDeviceBuild(graph, modelPath, options, async (deviceBuild) => ({
    ...(await profileOnDevice(graph, options, deviceBuild)),
    ...runsOnFacts(deviceBuild.target, deviceBuild.board, options.port === undefined),
  }));
}

/**
 * The device part of `profile`: one session on the board `deviceBuild` names, with the build already
 * made (a campaign reuses one build across many sessions: test/faults/).
 */
export async function profileOnDevice(graph: Graph, options: ProfileOptions, deviceBuild: DeviceBuild): Promise<ProfileReport> {
  const { target, board, fitFor, compiled, build, session: sessionOptions } = deviceBuild;
  const runs = options.runs ?? 1;
  // made once the model is validated (sizes within MAX_MODEL_BYTES)
  const input = options.input ?? zeroPointCase(graph);
  const expected = interpret(compiled.prepared, input).outputs;
  // null on a port, and where nothing is traced: no estimate asked and a board that counts without the plugin
  const timing = options.port
    ? null
    : timingFor(
        { target, runOn: board, fitFor, elf: build.elf, prefix: compiled.generated.prefix, ...estimateRequest(options) },
        options.progress ?? (() => {}),
      );
  const report = await withSession(timing ? { ...sessionOptions, timing: timing.session } : sessionOptions, async (session): Promise<ProfileReport> => {
    const cpt = session.counter.countsPerTick;
    await session.resetState();
    await session.writeInputs(concat(input));
    const invoked = await session.invoke(runs);
    const outputBytes = await session.readOutputs();
    const counters = await session.readLayers();
    const memory = await session.readMemory();
    checkStack(session.portName, memory);
    if (counters.ticks.length !== compiled.prepared.layers.length) {
      throw new TinyforgeError(
        `${session.portName}: READ_LAYERS: ${counters.ticks.length} layers on the device, ${compiled.prepared.layers.length} in the model`,
      );
    }
    const inside = counters.calibration.insideTicks;
    const layers = compiled.prepared.layers.map((layer, i) => {
      const rawTicks = counters.ticks[i]! / runs;
      const netTicks = layer.isAlias ? 0 : Math.max(0, rawTicks - inside);
      const count = Math.round(netTicks * cpt);
      return {
        index: layer.position,
        op: layer.op.kind,
        // the compiled graph: it also holds the state tensors the compiler appends to stateful ops
        inputs: shapes(
          compiled.prepared.graph,
          layer.op.inputs.filter((t) => t >= 0 && !compiled.prepared.graph.tensors[t]!.data),
        ),
        outputs: shapes(compiled.prepared.graph, layer.op.outputs),
        macs: layer.macs,
        count,
        rawCount: Math.round(rawTicks * cpt),
        share: 0,
        macsPerCount: count > 0 ? layer.macs / count : null,
        alias: layer.isAlias,
        kernel: layer.isAlias ? 'alias' : layer.variant.name,
        weightBytes: layerWeightBytes(layer, compiled.prepared),
        liveBytes: liveArenaBytes(compiled, layer.position),
      };
    });
    const layersTotal = layers.reduce((n, l) => n + l.count, 0);
    for (const l of layers) l.share = layersTotal > 0 ? l.count / layersTotal : 0;
    const outputs = splitOutputs(
      outputBytes,
      expected.map((o) => o.length),
    );
    // float32 outputs of libm layers: within their ULP bounds (float_tolerance.ts); all else byte for byte
    const ulps = outputUlpTolerances(graph);
    const tolerance = floatTolerance(graph, [outputs], [expected]);
    return {
      model: graph.name,
      target: target.name,
      board: board?.name ?? null,
      port: session.portName,
      counter: { kind: session.counter.kind, source: session.counter.source },
      perInference: Math.round((invoked.totalTicks / runs) * cpt),
      runs,
      layersTotal,
      hookOverhead: { insideLayer: Math.round(inside * cpt), perLayer: Math.round(counters.calibration.pairTicks * cpt) },
      macs: compiled.prepared.layers.reduce((n, l) => n + l.macs, 0),
      layers,
      outputs: outputs.map((bytes, o) => outputValues(graph, o, bytes)),
      matchesReference: outputs.every((bytes, o) => outputMatches(bytes, expected[o]!, ulps[o] ?? null)),
      ...(tolerance ? { floatTolerance: tolerance } : {}),
      memory: {
        arena: compiled.plan.arenaBytes,
        arenaUsed: memory.arenaUsed,
        scratch: compiled.plan.scratchBytes,
        stack: memory.stackHighWater,
        stackInvoke: memory.stackInvoke,
        flash: build.sizes.flash,
        flashWeights: build.sizes.flashWeights,
        ram: build.sizes.ram + memory.stackInvoke,
        weightsInRam: compiled.weightsInRam?.bytes ?? 0,
        weights: weightsPlacement(compiled),
      },
      plan: planView(compiled),
      buildId: session.hello.buildId,
      capacity: capacityOf(target, fitFor ?? board),
      cycleEstimate: null,
    };
  });
  if (timing) {
    const layers = compiled.prepared.layers;
    const layerPositions = layers.filter((l) => !l.isAlias).map((l) => l.position);
    const timed = timing.finish({ layerCount: layers.length, layerPositions, which: 'mean' });
    report.cycleEstimate = timed.estimate;
    const counter = reportedCounter(board, report.counter, timed.counts, runs);
    report.counter = { kind: counter.kind, source: counter.source };
    if (counter.plugin) countFromTrace(report, timed.counts, layerPositions, runs);
  } else if (!options.port) {
    report.counter = { ...report.counter, source: reportedCounter(board, report.counter, null, runs).source };
  }
  return report;
}

/**
 * The plugin's counts in place of the firmware's: per inference the mean of the runs, per layer the
 * mean of its body's instructions (the hooks are outside it: nothing to subtract).
 */
function countFromTrace(report: ProfileReport, counts: TracedCounts, layerPositions: number[], runs: number): void {
  const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / runs);
  report.perInference = mean(counts.inferences);
  const byPosition = new Map(layerPositions.map((position, k) => [position, mean(counts.layers.map((l) => l[k] ?? 0))]));
  for (const layer of report.layers) {
    const count = layer.alias ? 0 : (byPosition.get(layer.index) ?? 0);
    layer.count = count;
    layer.rawCount = count;
    layer.macsPerCount = count > 0 ? layer.macs / count : null;
  }
  report.layersTotal = report.layers.reduce((n, l) => n + l.count, 0);
  for (const l of report.layers) l.share = report.layersTotal > 0 ? l.count / report.layersTotal : 0;
  report.hookOverhead = { insideLayer: 0, perLayer: report.hookOverhead.perLayer };
}

/** The memory the report measures against: the fit's board (a named real chip, else the emulated board). */
function capacityOf(target: TargetDescriptor, board: BoardDescriptor | undefined): ProfileReport['capacity'] {
  const memory = memoryFor(target, board);
  return memory ? { flash: memory.flashBytes, ram: memory.ramBytes, ...(board ? { board: board.name } : {}) } : null;
}

/**
 * Arena bytes in use while the layer at `position` runs: the union of the byte ranges of every buffer
 * live across it, scratch included (buffers a layer writes over its dying input share bytes).
 */
function liveArenaBytes(compiled: CompiledModel, position: number): number {
  const ranges = compiled.plan.buffers
    .filter((b) => b.firstUse <= position && position <= b.lastUse && b.bytes > 0)
    .map((b) => [b.offset, b.offset + b.bytes] as const)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -1;
  for (const [from, to] of ranges) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

function shapes(graph: Graph, tensors: number[]): number[][] {
  return tensors.filter((t) => t >= 0).map((t) => graph.tensors[t]!.shape);
}

/**
 * The timeline the HTML draws: one rectangle per tensor (its own bytes and lifetime, at its own
 * offset inside a shared buffer) and per scratch buffer.
 */
function planView(compiled: CompiledModel): ProfileReport['plan'] {
  const { graph, plan, prepared } = compiled;
  const lifetimes = tensorLifetimes(prepared);
  const tensors = plan.buffers.flatMap((b) =>
    b.tensors.map((t) => ({
      name: graph.tensors[t]!.name || `t${t}`,
      tensors: [t],
      scratchOf: null,
      offset: plan.tensorOffset.get(t) ?? b.offset,
      bytes: byteSize(graph.tensors[t]!),
      firstUse: lifetimes.get(t)?.firstUse ?? b.firstUse,
      lastUse: lifetimes.get(t)?.lastUse ?? b.lastUse,
    })),
  );
  const scratch = plan.buffers
    .filter((b) => b.scratchOf !== undefined)
    .map((b) => ({
      name: `scratch of layer ${b.scratchOf}`,
      tensors: [],
      scratchOf: b.scratchOf!,
      offset: b.offset,
      bytes: b.bytes,
      firstUse: b.firstUse,
      lastUse: b.lastUse,
    }));
  return { arena: plan.arenaBytes, buffers: [...tensors, ...scratch] };
}
