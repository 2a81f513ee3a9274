/**
 * `npm run bench`: compiles every model of ../shared/models that tinyforge supports, runs it on the
 * emulated boards (Cortex-M4 mps2-an386, Cortex-M7 mps2-an500, Cortex-M55 mps3-an547, RP2040 in
 * rp2040js), and prints per model and board: instructions (or cycles) per inference, per MAC, peak
 * RAM, flash (code and weights apart) and compile time, each beside TFLite Micro's figures of
 * ../shared/baselines (reference kernels and CMSIS-NN; for the Cortex-M55, TFLite Micro + CMSIS-NN's
 * MVE kernels as recorded in bench/baselines/tflm-cmsis-m55.json, see M55_BASELINE), with the floors:
 * MACs / 2 instructions (one SMLAD is two MACs) and the largest live activation set; per row the
 * bar on instructions and the RAM rule it met (ramRule: peak RAM <= 0.6x TFLite Micro's, or the
 * arena at the in-place floor), the failures listed at the end. Writes bench/results.json (the
 * latest run, gitignored).
 *
 * On QEMU the instructions of one inference are counted exactly by our TCG plugin
 * (tools/qemu-plugin, built here with the host gcc) between the entry of the model's invoke
 * function and its return into the harness; SysTick x 40 must agree within three ticks (two reads at
 * 40-instruction resolution, and the harness's setjmp and counter reads inside its window).
 *
 * Then the same for models generated in code (generatedModels: the shapes of real models from outside
 * the project), and with --zoo for the model zoo sample (zooModels), against TFLite Micro + CMSIS-NN
 * measured on them now on the emulated M4 and RP2040.
 *
 *   npm run bench [-- --models person_detect,micro_speech,fc_autoencoder] [--boards qemu-mps2-an386] [--no-generated] [--zoo]
 *   npm run bench -- --sweep [...]: the per-layer perf sweep instead (bench/sweep.ts)
 *   npm run bench -- --mlperf [...]: the MLPerf Tiny models against the best published latencies (bench/mlperf.ts)
 *   npm run bench -- --float [...]: the float column, float32 models against TFLite Micro's float reference kernels (bench/float.ts)
 *   npm run bench -- --espnn [...]: the ESP-NN columns, person_detect and the MLPerf Tiny models on the ESP32-C3, ESP32-S3 and ESP32 against esp-tflite-micro + ESP-NN (bench/espnn.ts)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { compileGraph } from '../src/core/compile.ts';
import { alignUp, bufferRequests, liveBytesLowerBound, overlapPairs } from '../src/core/plan/lifetimes.ts';
import { writeDirectoryAtomically } from '../src/lab/output.ts';
import { loadGraph } from '../src/core/model/load.ts';
import { interpret } from '../src/core/ops/interpreter.ts';
import { unsupportedOps } from '../src/core/ops/prepare.ts';
import { buildFirmware, loadTarget, boardOf, smallestPartRam } from '../src/lab/toolchain/index.ts';
import { runOnBoard } from '../src/lab/device/index.ts';
import { usageErrorsExitTwo } from '../test/helpers/cli_args.ts';
import { type RuntimeName, findRuntime, missingRuntimeNotice } from '../test/helpers/runtimes.ts';
import { buildPlugin, invokeWindow, pluginWrapper } from './plugin.ts';
import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import type { Graph } from '../src/core/ir/graph.ts';
import type { PreparedGraph } from '../src/core/ops/prepare.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { fcAutoencoder } from '../test/helpers/autoencoder_model.ts';
import { kwsDsCnn } from '../test/helpers/kws_model.ts';
import { resnet8 } from '../test/helpers/resnet_model.ts';
import { randomInt8, rng } from '../test/helpers/op_harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared');
const MODELS_DIR = join(SHARED, 'models');
const BASELINES_DIR = join(SHARED, 'baselines');
const RESULTS = join(ROOT, 'bench', 'results.json');

interface BoardPlan {
  target: string;
  board: string;
  /** a file of ../shared/baselines, or an absolute path (the figures this project records itself) */
  baseline: string;
  /** QEMU boards are counted by the plugin; rp2040js counts cycles itself */
  plugin: boolean;
  /**
   * the runner that produced the recorded baseline: where it is present the bench measures each
   * model with it now and says so when the recorded figure differs
   */
  runner?: RuntimeName;
}

/**
 * TFLite Micro + CMSIS-NN (its MVE kernels) on the emulated Cortex-M55, recorded with
 * tflm-cmsis-m55/run by bench/record_cmsis_baseline.ts: no shared baseline covers the M55, and the
 * bench must hold our figures to it on machines without the runner. Instructions and arena only (the
 * runner measures neither stack nor flash).
 */
const M55_BASELINE = join(ROOT, 'bench', 'baselines', 'tflm-cmsis-m55.json');

const BOARDS: BoardPlan[] = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', baseline: 'tflm-qemu-m4.json', plugin: true },
  { target: 'cortex-m7', board: 'qemu-mps2-an500', baseline: 'tflm-qemu-m7.json', plugin: true },
  { target: 'cortex-m55', board: 'qemu-mps3-an547', baseline: M55_BASELINE, plugin: true, runner: 'tflm-cmsis-m55' },
  { target: 'rp2040', board: 'rp2040js', baseline: 'tflm-rp2040js.json', plugin: false },
];

interface BaselineVariant {
  invoke_insns?: number[];
  invoke_cycles?: number[];
  arena_used: number;
  /** absent from a baseline whose runner does not measure it (bench/baselines/) */
  stack_peak?: number;
  flash_excl_model?: number;
}

interface Row {
  model: string;
  target: string;
  board: string;
  counter: 'instructions' | 'cycles';
  perInference: number;
  /** the SysTick (or session counter) figure, for the plugin cross-check */
  counterFigure: number;
  bitExact: boolean;
  macs: number;
  perMac: number | null;
  ram: { arena: number; scratch: number; stack: number; peak: number; lowerBound: number; classicFloor: number };
  flash: { code: number; weights: number; total: number };
  /** the model's own weights: constant tensor bytes, and those plus the per-channel scales and zero points stored beside them */
  modelWeights: { buffers: number; withQuantization: number };
  compileMs: number;
  floor: { instructions: number; ram: number };
  baseline: Record<string, { perInference: number; ram: number; flashCode: number } | undefined>;
  /** which RAM rule the row met (ramRule) */
  ramRule: RamRule;
  note?: string;
  /** a model generated in code: its CMSIS-NN baseline (M4, M55 and RP2040) is measured by the bench, RAM as arena alone */
  generated?: boolean;
  /** where a baseline of arena and instructions alone came from (the M55's: recorded in bench/baselines/, or measured now) */
  cmsisSource?: string;
}

/**
 * Issue #39's RAM rule for one row: peak RAM (arena, scratch inside it, + stack) <= 0.6x TFLite Micro's
 * peak, or, where the live inputs and outputs alone (the largest set of tensor bytes live at once,
 * less what the kernels' in-place overlaps share: a lone ADD's inputs and output) already exceed
 * 0.6x it, an arena at the in-place floor (the plan's lowerBound: the same with the chosen kernels'
 * scratch).
 */
interface RamRule {
  rule: '<= 0.6x' | 'in-place floor' | 'FAILS' | 'no TFLite Micro figure';
  /** TFLite Micro's peak RAM the row is held to, and what it counts */
  tflmPeak?: number;
  tflmCounts?: string;
  /** our peak RAM / TFLite Micro's */
  ratio?: number;
  /** the in-place floor (bytes live at once, scratch included, overlaps the kernels allow taken): no arena of these kernels can be smaller */
  inPlaceFloor: number;
  /** the same without the scratch: the live inputs and outputs alone */
  tensorsFloor: number;
}

const RAM_BAR = 0.6;

/**
 * TFLite Micro's peak RAM for a row: arena_used + stack_peak of the smaller of its two builds
 * (reference kernels, CMSIS-NN) in ../shared/baselines; for a generated or zoo model, the arena
 * TFLite Micro + CMSIS-NN used, measured now, alone (its stack is not measured there: the figure is
 * low by it, which only makes the rule harder to meet).
 */
function tflmPeak(baseline: Row['baseline'], generated: boolean, arenaOnly?: string): { bytes: number; counts: string } | undefined {
  if (generated || arenaOnly) {
    const cmsis = baseline.cmsis_nn;
    const where = arenaOnly ?? 'measured now';
    return cmsis ? { bytes: cmsis.ram, counts: `TFLite Micro + CMSIS-NN arena_used_bytes, ${where} (stack not measured: not counted)` } : undefined;
  }
  const builds = (['ref', 'cmsis_nn'] as const).flatMap((v) => (baseline[v] ? [{ v, ram: baseline[v]!.ram }] : []));
  if (builds.length === 0) return undefined;
  const best = builds.reduce((a, b) => (b.ram < a.ram ? b : a));
  return { bytes: best.ram, counts: `TFLite Micro ${best.v === 'ref' ? 'reference kernels' : '+ CMSIS-NN'}: arena_used + stack_peak (../shared/baselines)` };
}

/** The live inputs and outputs alone: the plan's lower bound over the tensors, without the kernels' scratch. */
function tensorsFloor(prepared: PreparedGraph, alignment: number): number {
  const tensors = bufferRequests(prepared).filter((r) => r.scratchOf === undefined);
  const pairs = overlapPairs(prepared, tensors);
  return alignUp(liveBytesLowerBound(tensors, alignment, pairs), alignment);
}

function ramRule(
  ours: { arena: number; peak: number; lowerBound: number; tensorsFloor: number },
  alignment: number,
  theirs: { bytes: number; counts: string } | undefined,
): RamRule {
  const floors = { inPlaceFloor: alignUp(ours.lowerBound, alignment), tensorsFloor: ours.tensorsFloor };
  if (!theirs) return { rule: 'no TFLite Micro figure', ...floors };
  const ratio = ours.peak / theirs.bytes;
  const common = { tflmPeak: theirs.bytes, tflmCounts: theirs.counts, ratio, ...floors };
  if (ratio <= RAM_BAR) return { rule: '<= 0.6x', ...common };
  if (floors.tensorsFloor > RAM_BAR * theirs.bytes && ours.arena <= floors.inPlaceFloor) return { rule: 'in-place floor', ...common };
  return { rule: 'FAILS', ...common };
}

/** The rule as a table cell: which one, with the ratio or the floor. */
function ramRuleText(r: RamRule): string {
  if (r.rule === 'no TFLite Micro figure') return r.rule;
  const ratio = `${r.ratio!.toFixed(4)}x`;
  if (r.rule === '<= 0.6x') return `<= 0.6x (${ratio})`;
  const floors = r.tensorsFloor === r.inPlaceFloor ? `${n(r.inPlaceFloor)} B` : `${n(r.inPlaceFloor)} B, ${n(r.tensorsFloor)} B without scratch`;
  if (r.rule === 'in-place floor') return `in-place floor (${floors}; ${ratio})`;
  return `FAILS (${ratio}, in-place floor ${floors})`;
}

const GENERATED_MODELS = ['resnet8', 'fc_autoencoder', 'kws_ds_cnn'] as const;

/**
 * Models from outside the tuned five, generated in code with random weights: the shapes users
 * brought (a CIFAR-10 ResNet-8, the MLPerf Tiny FC autoencoder, a keyword-spotting DS-CNN). Each is
 * written as a .tflite, given a random input, and measured under TFLite Micro + CMSIS-NN on the same
 * emulated M4 (tflm-cmsis-m4/run, test/helpers/runtimes.ts) when that tool is present.
 */
function generatedModels(dir: string, only: string[] | undefined): { path: string; generated: GeneratedSource }[] {
  mkdirSync(dir, { recursive: true });
  const builders: [(typeof GENERATED_MODELS)[number], () => Graph][] = [
    ['resnet8', () => resnet8()],
    ['fc_autoencoder', () => fcAutoencoder()],
    ['kws_ds_cnn', () => kwsDsCnn()],
  ];
  return builders
    .filter(([name]) => !only || only.includes(name))
    .map(([name, build]) => {
      const graph = build();
      const path = join(dir, `${name}.tflite`);
      saveTflite(path, graph);
      const rand = rng(7);
      const bytes = graph.inputs.reduce((n, i) => n + graph.tensors[i]!.shape.reduce((a, b) => a * b, 1), 0);
      const input = new Uint8Array(randomInt8(rand, bytes).buffer);
      const inputPath = join(dir, `${name}.in.bin`);
      writeFileSync(inputPath, input);
      return { path, generated: { input, cmsis: measuredCmsis(path, inputPath) } };
    });
}

/**
 * The model zoo sample (`../shared/models/zoo/`, with `--zoo`): models as their authors published
 * them, each run on its golden "gaussian" input and measured under TFLite Micro + CMSIS-NN on the same
 * emulated M4 now (tflm-cmsis-m4/run) when that tool is present.
 */
function zooModels(only: string[] | undefined): { path: string; generated: GeneratedSource }[] {
  const dir = join(MODELS_DIR, 'zoo');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tflite') && (!only || only.includes(basename(f, '.tflite'))))
    .sort()
    .map((f) => {
      const name = basename(f, '.tflite');
      const path = join(dir, f);
      const inputPath = join(dir, 'golden', name, 'in2.bin');
      const input = new Uint8Array(readFileSync(inputPath));
      return { path, generated: { input, cmsis: measuredCmsis(path, inputPath) } };
    });
}

/**
 * TFLite Micro + CMSIS-NN measured now on the same emulated boards, where the runtimes are present:
 * on the M4 (tflm-cmsis-m4/run) and the M55 (tflm-cmsis-m55/run, CMSIS-NN's MVE kernels) one
 * Invoke's instructions, on the RP2040 (tflm-cmsis-m0/run) its rp2040js cycles, each with the arena
 * it used. A model TFLite Micro refuses (the audio front-end's
 * signal ops are not in those builds) has no figure there.
 */
function measuredCmsis(model: string, input: string): GeneratedSource['cmsis'] {
  const measured: GeneratedSource['cmsis'] = {};
  for (const [target, runtime, figure] of [
    ['cortex-m4', 'tflm-cmsis-m4', 'invoke_instructions'],
    ['cortex-m55', 'tflm-cmsis-m55', 'invoke_instructions'],
    ['rp2040', 'tflm-cmsis-m0', 'invoke_cycles'],
  ] as const) {
    const tool = findRuntime(runtime);
    if (!tool) continue;
    measured[target] = runCmsis(tool, model, input, figure);
  }
  return measured;
}

/** One run of a TFLite Micro + CMSIS-NN runner: its count and arena, or why it did not run the model. */
function runCmsis(tool: string, model: string, input: string, figure: 'invoke_instructions' | 'invoke_cycles'): CmsisFigures {
  let out: Record<string, number | string | undefined>;
  try {
    out = JSON.parse(execFileSync(tool, [model, input], { encoding: 'utf8', timeout: 600_000 })) as typeof out;
  } catch (e) {
    // the runner exits 1 with {"error": ...} when TFLite Micro refuses the model (a missing op, an arena the board cannot hold)
    const said = (e as { stdout?: string }).stdout;
    try {
      out = JSON.parse(said ?? '') as typeof out;
    } catch {
      out = { error: (e as Error).message.split('\n')[0] };
    }
  }
  const perInference = out[figure];
  const arena = out.arena_used_bytes;
  if (typeof perInference === 'number' && typeof arena === 'number') return { perInference, arena };
  return { refused: String(out.error ?? 'no figures') };
}

function baselineFor(file: string, model: string): Record<string, BaselineVariant> | undefined {
  const path = isAbsolute(file) ? file : join(BASELINES_DIR, file);
  if (!existsSync(path)) return undefined;
  const data = JSON.parse(readFileSync(path, 'utf8')) as { models: Record<string, Record<string, BaselineVariant>> };
  return data.models[model];
}

type CmsisFigures = { perInference: number; arena: number } | { refused: string };

/** A model from outside ../shared/models (generated, or the zoo's): its input and TFLite Micro + CMSIS-NN measured on it now, by target. */
interface GeneratedSource {
  input: Uint8Array;
  /** by target: the figures, or why TFLite Micro + CMSIS-NN did not run the model there */
  cmsis: Partial<Record<'cortex-m4' | 'cortex-m55' | 'rp2040', CmsisFigures>>;
}

async function benchOne(modelPath: string, plan: BoardPlan, work: string, plugin: string | undefined, generated?: GeneratedSource): Promise<Row> {
  const model = basename(modelPath, '.tflite');
  const target = loadTarget(plan.target);
  const board = boardOf(target, plan.board)!;
  const t0 = performance.now();
  const graph = loadGraph(modelPath);
  const compiled = compileGraph(graph, basename(modelPath), { isa: target.isa, partRam: smallestPartRam(target) });
  const dir = join(work, `${model}-${plan.target}`);
  const modelDir = writeDirectoryAtomically(join(dir, 'model'), compiled.generated.files);
  const compileMs = performance.now() - t0;

  const build = await buildFirmware({
    target: target.name,
    board: board.name,
    modelDir,
    outDir: join(dir, 'build'),
    input0ArenaOffset: compiled.plan.tensorOffset.get(graph.inputs[0]!),
  });
  const golden = join(MODELS_DIR, 'golden', model, 'in0.bin');
  const input = generated
    ? generated.input
    : existsSync(golden)
      ? new Uint8Array(readFileSync(golden))
      : new Uint8Array(graph.inputs.reduce((n, i) => n + graph.tensors[i]!.shape.reduce((a, b) => a * b, 1), 0));
  const countsFile = join(dir, 'insn_counts.txt');
  if (plan.plugin && plugin) {
    const { start, stops } = invokeWindow(build.elf, compiled.generated.prefix);
    process.env.TF_BENCH_PLUGIN = [plugin, `start=0x${start.toString(16)}`, ...stops.map((s) => `stop=0x${s.toString(16)}`), `out=${countsFile}`].join(',');
  }
  const run = await runOnBoard({ board: board.name, elf: build.elf, cases: [input], timeoutMs: 600_000 });
  const c = run.cases[0]!;
  let perInference = c.count;
  let note: string | undefined;
  if (plan.plugin && plugin) {
    const windows = existsSync(countsFile)
      ? readFileSync(countsFile, 'utf8')
          .trim()
          .split('\n')
          .filter((l) => l !== '')
          .map(Number)
      : [];
    if (windows.length === 0) note = 'plugin counted no window: SysTick figure shown';
    else {
      perInference = windows[0]!;
      if (Math.abs(perInference - c.count) > 40 * 3) note = `plugin ${perInference} and SysTick x 40 ${c.count} disagree`;
    }
  }
  const expected = interpret(compiled.prepared, splitInputs(graph, input)).outputs;
  const expectedBytes = concat(expected);
  const bitExact = expectedBytes.length === c.outputs.length && expectedBytes.every((v, i) => v === c.outputs[i]);
  const macs = compiled.prepared.layers.reduce((n, l) => n + l.macs, 0);
  const stack = run.memory.stackInvoke;
  const codeFlash = build.sizes.flash - build.sizes.flashWeights;
  const base = baselineFor(plan.baseline, model);
  const baseline: Row['baseline'] = {};
  for (const variant of ['ref', 'cmsis_nn']) {
    const b = base?.[variant];
    const figure = b && (run.counter.kind === 'cycles' ? b.invoke_cycles?.[0] : b.invoke_insns?.[0]);
    baseline[variant] =
      b && figure !== undefined ? { perInference: figure, ram: b.arena_used + (b.stack_peak ?? 0), flashCode: b.flash_excl_model ?? NaN } : undefined;
  }
  // a baseline this project records (the M55's): measured again now where its runner is here
  let arenaOnly: string | undefined;
  if (plan.runner && !generated) {
    const recorded = baseline.cmsis_nn;
    const tool = findRuntime(plan.runner);
    arenaOnly = `recorded in ${relative(ROOT, plan.baseline)}`;
    if (tool) {
      const inputFile = join(dir, 'input.bin');
      writeFileSync(inputFile, input);
      const now = runCmsis(tool, modelPath, inputFile, 'invoke_instructions');
      const said = (more: string) => (note = note ? `${note}; ${more}` : more);
      if ('refused' in now) said(`${plan.runner} does not run it: ${now.refused}`);
      else {
        arenaOnly = `measured now by ${plan.runner}`;
        if (recorded && (recorded.perInference !== now.perInference || recorded.ram !== now.arena))
          said(
            `${plan.runner} now gives ${n(now.perInference)} instructions and ${n(now.arena)} B of arena, ${relative(ROOT, plan.baseline)} ${n(recorded.perInference)} and ${n(recorded.ram)}`,
          );
        baseline.cmsis_nn = { perInference: now.perInference, ram: now.arena, flashCode: NaN };
      }
    }
  }
  if (generated) {
    // measured now on the same emulated board: instructions (M4) or cycles (RP2040) and arena (its stack and flash are not measured)
    const measured = generated.cmsis[plan.target as keyof GeneratedSource['cmsis']];
    baseline.ref = undefined;
    baseline.cmsis_nn = measured && 'perInference' in measured ? { perInference: measured.perInference, ram: measured.arena, flashCode: NaN } : undefined;
    if (measured && 'refused' in measured) note = `TFLite Micro + CMSIS-NN does not run it here: ${measured.refused}`;
  }
  const ram = {
    arena: compiled.plan.arenaBytes,
    scratch: compiled.plan.scratchBytes,
    stack,
    peak: compiled.plan.arenaBytes + stack,
    lowerBound: compiled.plan.lowerBound,
    classicFloor: compiled.plan.classicFloor,
  };
  return {
    model,
    target: plan.target,
    board: board.name,
    counter: run.counter.kind,
    perInference,
    counterFigure: c.count,
    bitExact,
    macs,
    perMac: macs > 0 ? perInference / macs : null,
    ram,
    flash: { code: codeFlash, weights: build.sizes.flashWeights, total: build.sizes.flash },
    modelWeights: modelWeightBytes(graph),
    compileMs,
    floor: { instructions: Math.ceil(macs / 2), ram: compiled.plan.classicFloor },
    baseline,
    ramRule: ramRule(
      { ...ram, tensorsFloor: tensorsFloor(compiled.prepared, compiled.plan.alignment) },
      compiled.plan.alignment,
      tflmPeak(baseline, generated !== undefined, arenaOnly),
    ),
    ...(note ? { note } : {}),
    ...(generated ? { generated: true } : {}),
    ...(arenaOnly || generated ? { cmsisSource: arenaOnly ?? 'measured now' } : {}),
  };
}

/**
 * What the .tflite spends on the weights the ops read: constant tensor buffers, and those plus the
 * per-channel quantization vectors of the file (float32 scale + int64 zero point per channel), which
 * a compiler turns into per-channel multipliers and shifts.
 */
function modelWeightBytes(graph: ReturnType<typeof loadGraph>): Row['modelWeights'] {
  const used = new Set(graph.ops.flatMap((op) => op.inputs));
  let buffers = 0;
  let quantization = 0;
  for (const t of graph.tensors) {
    if (!t.data || !used.has(t.index)) continue;
    buffers += t.data.length;
    const channels = t.quant?.scale.length ?? 0;
    if (channels > 1) quantization += channels * (4 + 8);
  }
  return { buffers, withQuantization: buffers + quantization };
}

function splitInputs(graph: ReturnType<typeof loadGraph>, bytes: Uint8Array): Uint8Array[] {
  let at = 0;
  return graph.inputs.map((i) => {
    const t = graph.tensors[i]!;
    const n = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'float32' || t.dtype === 'int32' ? 4 : t.dtype === 'int16' ? 2 : 1);
    return bytes.slice(at, (at += n));
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ratio = (ours: number, theirs: number | undefined) => (theirs ? `${(ours / theirs).toFixed(2)}x` : '-');
const n = (v: number) => v.toLocaleString('en-US');

function printRow(r: Row): void {
  const ref = r.baseline.ref;
  const cmsis = r.baseline.cmsis_nn;
  const unit = r.counter === 'cycles' ? 'cycles' : 'instructions';
  const lines = [
    `${r.model} on ${r.board} (${r.target})${r.bitExact ? ', bit-exact' : ', OUTPUTS DIFFER FROM THE REFERENCE'}${r.note ? ` [${r.note}]` : ''}`,
    `  ${unit}: ${n(r.perInference)}  (${r.perMac === null ? 'no MACs' : `${r.perMac.toFixed(2)} per MAC`})  vs TFLM ref ${ratio(r.perInference, ref?.perInference)}, CMSIS-NN ${ratio(r.perInference, cmsis?.perInference)}` +
      (r.macs > 0 && r.counter === 'instructions'
        ? `  floor MACs/2 = ${n(r.floor.instructions)} (we are ${(r.perInference / r.floor.instructions).toFixed(2)}x it)`
        : ''),
    ...(cmsis
      ? [
          `  bar: at most ${BARS.perInference}x TFLite Micro + CMSIS-NN's ${unit} (${n(cmsis.perInference)}${r.cmsisSource ? `, ${r.cmsisSource}` : ''}): ` +
            `${(r.perInference / cmsis.perInference).toFixed(2)}x, ${r.perInference / cmsis.perInference <= BARS.perInference ? 'met' : 'OVER'}`,
        ]
      : []),
    `  peak RAM: ${n(r.ram.peak)} B (arena ${n(r.ram.arena)} incl. scratch ${n(r.ram.scratch)}, stack ${n(r.ram.stack)})  ` +
      (r.generated || r.cmsisSource
        ? `arena vs CMSIS-NN's arena ${ratio(r.ram.arena, cmsis?.ram)}`
        : `vs TFLM ref ${ratio(r.ram.peak, ref?.ram)}, CMSIS-NN ${ratio(r.ram.peak, cmsis?.ram)}`) +
      `  classic floor (largest live set, every tensor its own buffer, model order: TFLM's best before its scratch) ${n(r.floor.ram)} B: ` +
      `arena ${(r.ram.arena / Math.max(r.floor.ram, 1)).toFixed(2)}x it, peak RAM ${(r.ram.peak / Math.max(r.floor.ram, 1)).toFixed(2)}x (plan's own bound ${n(r.ram.lowerBound)} B)`,
    `  RAM rule: ${ramRuleText(r.ramRule)}${r.ramRule.tflmCounts ? ` against ${n(r.ramRule.tflmPeak!)} B, ${r.ramRule.tflmCounts}` : ''}`,
    `  flash: code and tables ${n(r.flash.code)} B + weights ${n(r.flash.weights)} B  vs TFLM ref (all but the model) ${ratio(r.flash.code, ref?.flashCode)}, CMSIS-NN ${ratio(r.flash.code, cmsis?.flashCode)}`,
    `  weights: ${n(r.flash.weights)} B (filters, starts, requantization records) vs the .tflite's ${n(r.modelWeights.buffers)} B of constant buffers ${ratio(r.flash.weights, r.modelWeights.buffers)}, ` +
      `${n(r.modelWeights.withQuantization)} B with its per-channel scales and zero points ${ratio(r.flash.weights, r.modelWeights.withQuantization)}`,
    `  compile: ${r.compileMs.toFixed(0)} ms`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Issue #13's bars per model and board: instructions (RP2040: cycles) <= 0.5x TFLite Micro + CMSIS-NN,
 * and flash outside the weights <= 0.3x TFLite Micro's reference build; peak RAM is held to its rule
 * (ramRule, RAM_BAR).
 */
const BARS = { perInference: 0.5, flashCode: 0.3 };

function printSummary(rows: Row[]): void {
  if (rows.length === 0) return;
  const mark = (ours: number, theirs: number | undefined, bar: number) =>
    theirs ? `${(ours / theirs).toFixed(2)}x${ours / theirs <= bar ? '' : ' (over)'}` : '-';
  const lines = [
    '',
    `| model | board | count | vs CMSIS-NN (bar ${BARS.perInference}x) | peak RAM | RAM rule (vs TFLite Micro's peak) | code flash vs TFLM ref (bar ${BARS.flashCode}x) | weights vs .tflite (buffers / with quantization) | bit-exact |`,
    '|---|---|---:|---:|---:|---|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.board} | ${n(r.perInference)} ${r.counter} | ${mark(r.perInference, r.baseline.cmsis_nn?.perInference, BARS.perInference)} ` +
        `| ${n(r.ram.peak)} B | ${ramRuleText(r.ramRule)} | ${n(r.flash.code)} B, ${mark(r.flash.code, r.baseline.ref?.flashCode, BARS.flashCode)} ` +
        `| ${ratio(r.flash.weights, r.modelWeights.buffers)} / ${ratio(r.flash.weights, r.modelWeights.withQuantization)} | ${r.bitExact ? 'yes' : 'NO'} |`,
    ),
    '',
    ...barsTable(rows),
    '',
    ...ramRuleSummary(rows),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** How many rows met each RAM rule, and every row that failed it (or had no TFLite Micro figure to be held to). */
function ramRuleSummary(rows: Row[]): string[] {
  const count = (rule: RamRule['rule']) => rows.filter((r) => r.ramRule.rule === rule);
  const failed = count('FAILS');
  const unmeasured = count('no TFLite Micro figure');
  return [
    `RAM rule (peak RAM <= ${RAM_BAR}x TFLite Micro's, or the arena at the in-place floor where the live inputs and outputs alone exceed ${RAM_BAR}x): ` +
      `${count('<= 0.6x').length} rows <= ${RAM_BAR}x, ${count('in-place floor').length} at the in-place floor, ${failed.length} fail` +
      (unmeasured.length > 0 ? `, ${unmeasured.length} without a TFLite Micro figure (${unmeasured.map((r) => `${r.model} on ${r.board}`).join(', ')})` : ''),
    ...(failed.length > 0
      ? [
          'RAM rule failures:',
          ...failed.map(
            (r) =>
              `  ${r.model} on ${r.board}: peak ${n(r.ram.peak)} B (arena ${n(r.ram.arena)}, scratch ${n(r.ram.scratch)}, stack ${n(r.ram.stack)}), ${ramRuleText(r.ramRule)}`,
          ),
        ]
      : []),
  ];
}

/** One line per bar: how many model/board rows meet it, and the ones over it by how much. */
function barsTable(rows: Row[]): string[] {
  const bars: { name: string; bar: number; ours: (r: Row) => number; theirs: (r: Row) => number | undefined }[] = [
    { name: 'speed vs TFLite Micro + CMSIS-NN', bar: BARS.perInference, ours: (r) => r.perInference, theirs: (r) => r.baseline.cmsis_nn?.perInference },

    { name: 'flash outside the weights vs TFLite Micro (ref)', bar: BARS.flashCode, ours: (r) => r.flash.code, theirs: (r) => r.baseline.ref?.flashCode },
  ];
  const ramMeasured = rows.filter((r) => r.ramRule.rule !== 'no TFLite Micro figure');
  const ramFailed = ramMeasured.filter((r) => r.ramRule.rule === 'FAILS');
  return [
    '| bar | limit | met | over (ours/theirs) |',
    '|---|---:|---:|---|',
    ...bars.map((b) => {
      const measured = rows.filter((r) => b.theirs(r));
      const over = measured.filter((r) => b.ours(r) / b.theirs(r)! > b.bar);
      const overText = over.map((r) => `${r.model} on ${r.board} ${(b.ours(r) / b.theirs(r)!).toFixed(2)}x`).join('; ') || '-';
      return `| ${b.name} | ${b.bar}x | ${measured.length - over.length} of ${measured.length} | ${overText} |`;
    }),
    `| peak RAM vs TFLite Micro's peak, or the in-place floor | ${RAM_BAR}x | ${ramMeasured.length - ramFailed.length} of ${ramMeasured.length} | ` +
      `${ramFailed.map((r) => `${r.model} on ${r.board} ${r.ramRule.ratio!.toFixed(2)}x`).join('; ') || '-'} |`,
  ];
}

async function main(): Promise<void> {
  const opts = { models: cli.models?.split(','), boards: cli.boards?.split(','), generated: cli.generated, zoo: cli.zoo ?? false };
  const knownModels = [
    ...(existsSync(MODELS_DIR) ? readdirSync(MODELS_DIR) : []).filter((f) => f.endsWith('.tflite')).map((f) => basename(f, '.tflite')),
    ...GENERATED_MODELS,
    ...(existsSync(join(MODELS_DIR, 'zoo')) ? readdirSync(join(MODELS_DIR, 'zoo')) : [])
      .filter((f) => f.endsWith('.tflite'))
      .map((f) => basename(f, '.tflite')),
  ];
  const unknown = [
    ...(opts.models ?? []).filter((m) => !knownModels.includes(m)).map((m) => `model '${m}'`),
    ...(opts.boards ?? []).filter((b) => !BOARDS.some((p) => p.board === b)).map((b) => `board '${b}'`),
  ];
  if (unknown.length > 0) {
    process.stderr.write(`error: bench: unknown ${unknown.join(', ')} (models: ${knownModels.join(', ')}; boards: ${BOARDS.map((p) => p.board).join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-bench-'));
  const rows: Row[] = [];
  const skipped: string[] = [];
  try {
    const pluginDir = join(work, 'plugin');
    mkdirSync(pluginDir);
    const plugin = buildPlugin(pluginDir);
    const shared = readdirSync(MODELS_DIR)
      .filter((f) => f.endsWith('.tflite'))
      .sort()
      .filter((f) => !opts.models || opts.models.includes(basename(f, '.tflite')))
      .map((f) => ({ path: join(MODELS_DIR, f), generated: undefined as GeneratedSource | undefined }));
    const models = [...shared, ...(opts.generated ? generatedModels(join(work, 'generated'), opts.models) : []), ...(opts.zoo ? zooModels(opts.models) : [])];
    for (const plan of BOARDS.filter((b) => !opts.boards || opts.boards.includes(b.board))) {
      let target;
      try {
        target = loadTarget(plan.target);
        boardOf(target, plan.board);
      } catch (e) {
        skipped.push(`${plan.board}: ${(e as Error).message}`);
        continue;
      }
      if (plan.runner && !findRuntime(plan.runner))
        process.stdout.write(
          `${missingRuntimeNotice(plan.runner, `not measured now: the ${plan.target} rows use the figures recorded in ${relative(ROOT, plan.baseline)}`)}\n`,
        );
      const savedPath = process.env.PATH;
      if (plan.plugin) process.env.PATH = `${pluginWrapper(pluginDir, target.boards.find((b) => b.name === plan.board)!.emulator!.command)}:${savedPath}`;
      try {
        for (const { path, generated } of models) {
          const file = basename(path);
          if (generated && plan.target === 'cortex-m7') continue; // no baseline there: the M4 and RP2040 rows say it
          let missing: string[];
          try {
            missing = unsupportedOps(loadGraph(path));
          } catch (e) {
            // a model tinyforge refuses as a whole (a zoo model's tensor type): said, not a stack trace
            skipped.push(`${basename(file, '.tflite')} on ${plan.board}: ${(e as Error).message}`);
            continue;
          }
          if (missing.length > 0) {
            skipped.push(`${basename(file, '.tflite')} on ${plan.board}: unsupported ops ${missing.join(', ')}`);
            continue;
          }
          try {
            const row = await benchOne(path, plan, work, plan.plugin ? plugin : undefined, generated);
            rows.push(row);
            printRow(row);
          } catch (e) {
            skipped.push(`${basename(file, '.tflite')} on ${plan.board}: ${(e as Error).message.split('\n')[0]}`);
            process.stdout.write(`${basename(file, '.tflite')} on ${plan.board}: FAILED: ${(e as Error).message.split('\n')[0]}\n`);
          }
        }
      } finally {
        process.env.PATH = savedPath;
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  printSummary(rows);
  for (const s of skipped) process.stdout.write(`skipped: ${s}\n`);
  writeFileSync(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), rows, skipped }, null, 1)}\n`);
  process.stdout.write(`wrote ${RESULTS}\n`);
  if (rows.some((r) => !r.bitExact)) process.exitCode = 1;
}

interface BenchArgs {
  models?: string;
  boards?: string;
  generated: boolean;
  zoo?: boolean;
  sweep?: boolean;
  mlperf?: boolean;
  float?: boolean;
  espnn?: boolean;
  weightsInRam?: string;
  mlperfFiles?: string;
  quick?: boolean;
  json?: boolean;
  report?: string;
  markdown?: string;
  cmsis: boolean;
  shapes?: string;
  ops?: string;
  targets?: string;
}

const program = new Command('bench')
  .description('the shared and generated models on the emulated boards against TFLite Micro (default), or the per-layer sweep (--sweep)')
  .option('--models <names>', 'comma-separated: only these models (shared file names without .tflite, or resnet8, fc_autoencoder, kws_ds_cnn)')
  .option('--boards <names>', 'comma-separated: only these boards')
  .option('--no-generated', 'leave out the generated models')
  .option('--zoo', 'also the model zoo sample (../shared/models/zoo), against TFLite Micro + CMSIS-NN measured now on the M4 and the RP2040')
  .option(
    '--mlperf',
    'the MLPerf Tiny models on the boards with published results: estimated ms against the best published (--models kws,vww,ic,ad, --boards, --json)',
  )
  .option(
    '--float',
    "the float column: float32 conv/depthwise/FC models on the M4F and M7 against TFLite Micro's float reference kernels (--models, --boards, --json)",
  )
  .option(
    '--espnn',
    'the ESP-NN columns: person_detect and the MLPerf Tiny models on the ESP32-C3, ESP32-S3 and ESP32 against esp-tflite-micro + ESP-NN (--models, --boards, --json)',
  )
  .option('--weights-in-ram <mode>', "with --mlperf: one placement (staged, auto or none) instead of both the default and auto")
  .option(
    '--mlperf-files <dir>',
    'with --mlperf: the reference models themselves (kws.tflite, vww.tflite, ic.tflite, ad.tflite in DIR) instead of the generated shapes',
  )
  .option('--sweep', 'the perf sweep: one-op layers over a grid of shapes (docs/kernels.md, Perf sweep)')
  .option('--quick', 'with --sweep: 16 small layers')
  .option('--ops <ops>', 'with --sweep: comma-separated ops (conv,dw,tconv,fc,avgpool,maxpool,add,mul,mean,softmax)')
  .option('--targets <targets>', 'with --sweep: comma-separated targets (cortex-m4,cortex-m55,rp2040,esp32c3)')
  .option('--shapes <list>', 'with --sweep: only layers whose "op shape" contains one of these, comma-separated')
  .option('--json', 'with --sweep: write bench/sweep.json after every layer')
  .option('--report <file>', 'with --sweep: print the tables of a saved --json run instead of running')
  .option('--markdown <file>', 'with --sweep --report: write the summary table into this page, between its sweep summary markers')
  .option('--no-cmsis', 'with --sweep: skip the TFLite Micro + CMSIS-NN runs of each layer (M4 and RP2040)')
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'error: bench: ')) });
usageErrorsExitTwo(program).parse();
const cli = program.opts<BenchArgs>();
for (const [value, flag] of [
  [cli.weightsInRam, '--weights-in-ram'],
  [cli.mlperfFiles, '--mlperf-files'],
] as const) {
  if (value !== undefined && !cli.mlperf) {
    process.stderr.write(`error: bench: ${flag} is an option of --mlperf\n`);
    process.exit(2);
  }
}
const sweepOnly = ['quick', 'ops', 'targets', 'shapes', 'json', 'report', 'markdown'].filter(
  (k) => cli[k as keyof BenchArgs] !== undefined && !(k === 'json' && (cli.mlperf || cli.float || cli.espnn)),
);
if (!cli.sweep && sweepOnly.length > 0) {
  process.stderr.write(`error: bench: --${sweepOnly[0]} is an option of --sweep\n`);
  process.exit(2);
}
if (cli.float) {
  const { runFloat } = await import('./float.ts');
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter(Boolean));
  try {
    await runFloat({ models: list(cli.models), boards: list(cli.boards), json: cli.json === true });
  } catch (e) {
    process.stderr.write(`error: bench --float: ${(e as Error).message}\n`);
    process.exit(2);
  }
} else if (cli.espnn) {
  const { runEspnn } = await import('./espnn.ts');
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter(Boolean));
  try {
    await runEspnn({ models: list(cli.models), boards: list(cli.boards), json: cli.json === true });
  } catch (e) {
    process.stderr.write(`error: bench --espnn: ${(e as Error).message}\n`);
    process.exit(2);
  }
} else if (cli.mlperf) {
  const { runMlperf } = await import('./mlperf.ts');
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter(Boolean));
  try {
    await runMlperf({ models: list(cli.models), boards: list(cli.boards), json: cli.json === true, weightsInRam: cli.weightsInRam, files: cli.mlperfFiles });
  } catch (e) {
    process.stderr.write(`error: bench --mlperf: ${(e as Error).message}\n`);
    process.exit(2);
  }
} else if (cli.sweep) {
  const { runSweep, sweepOptions } = await import('./sweep.ts');
  let opts;
  try {
    opts = sweepOptions(cli);
  } catch (e) {
    process.stderr.write(`error: bench --sweep: ${(e as Error).message}\n`);
    process.exit(2);
  }
  await runSweep(opts);
} else await main();
