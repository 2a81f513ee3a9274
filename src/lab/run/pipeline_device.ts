// SPDX-License-Identifier: Apache-2.0
/**
 * A pipeline on an emulated board: the device harness runs one "model" whose input is the whole
 * stream and whose invoke pushes it through tf_pipeline.c. Its output holds every feature vector,
 * every window's outputs, and the counter's ticks summed over the front-end's invokes and over the
 * model's (tf_pipeline.c's cost hooks, built with -DTF_PIPELINE_PROFILE), so the cost per frame and
 * per window are measured where the run happens. The models' own files go in a sub-folder: the
 * harness finds its one API header, tf_pipeline_run.h, at the top.
 */
import { join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import type { ModelFacts } from '../../core/codegen/generate.ts';
import type { GeneratedFile } from '../../core/codegen/generate.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../core/codegen/banner.ts';
import { byteSize } from '../../core/ir/graph.ts';
import { frameCount, windowCount } from '../../core/pipeline/stream.ts';
import type { StreamResult } from '../../core/pipeline/stream.ts';
import type { TargetDescriptor } from '../../core/targets/targets.ts';
import { placeOnInstalledBoards } from '../toolchain/compilers.ts';
import { runOnBoard } from '../device/index.ts';
import type { EmulatorLink } from '../device/transport/qemu.ts';
import { makeTempFolder, removeTempFolder } from '../lifecycle.ts';
import { writeDirectoryAtomically } from '../output.ts';
import { buildFirmware } from '../toolchain/index.ts';
import type { EstimateClock } from '../estimate/timing/index.ts';
import { stageTimingFor } from '../estimate/timing/run.ts';
import { requireTools } from './device-build.ts';
import { type CompiledPipeline, type LoadedPipeline, streamBytes } from './pipeline.ts';

/** ticks of the front-end's invokes, of the model's (u64 each), frames and windows (u32 each) */
const HEAD_BYTES = 24;

export interface BoardPipelineRun {
  board: string;
  counter: { kind: 'instructions' | 'cycles'; source: string };
  result: StreamResult;
  /** counts of the whole stream's tf_pipeline_push */
  total: number;
  /** mean counts of one front-end invoke (0 for a sensor stream: rows are only quantized) */
  perFrame: number;
  /** mean counts of one model invoke; null without a window */
  perWindow: number | null;
  /**
   * the timing model's cycles of one front-end invoke and one model invoke (the mean over the stream),
   * for the real board named (its wait states at its clock) as a single model's run estimates them;
   * null where the core has no timing model or the trace could not be made
   */
  estimated: { perFrame: number; perWindow: number | null; basis: string } | null;
  /** deepest stack of the run */
  stack: number;
  flash: number;
}

function shimFiles(compiled: CompiledPipeline, loaded: LoadedPipeline, inputBytes: number, outputBytes: number, frames: number): GeneratedFile[] {
  const m = compiled.model.generated;
  const audio = loaded.shape.kind === 'audio';
  const arena = compiled.model.plan.arenaBytes + (compiled.frontEnd?.plan.arenaBytes ?? 0);
  const banner = `/* SPDX-License-Identifier: Apache-2.0\n * Written by ${TOOL_NAME} ${TOOL_VERSION}: the device harness's view of a pipeline (run --target). */\n`;
  const header = `${banner}#ifndef TF_PIPELINE_RUN_H
#define TF_PIPELINE_RUN_H
#include <stddef.h>
#include <stdint.h>
#include "pipeline/tf_pipeline.h"

#define TF_MODEL_NAME "tf_pipeline_run"
#define TF_MODEL_NUM_INPUTS 1
#define TF_MODEL_NUM_OUTPUTS 1
#define TF_MODEL_NUM_LAYERS 1
#define TF_MODEL_ARENA_BYTES ${arena}u
#define TF_MODEL_ARENA_ALIGN 16u
#define TF_PIPELINE_RUN_INPUT_BYTES ${inputBytes}u
#define TF_PIPELINE_RUN_OUTPUT_BYTES ${outputBytes}u

tf_status_t tf_model_init(void);
void tf_model_reset(void);
tf_status_t tf_model_invoke(void);
void *tf_model_input(int index);
void *tf_model_output(int index);
size_t tf_model_input_bytes(int index);
size_t tf_model_output_bytes(int index);
void tf_profile_layer_begin(int layer);
void tf_profile_layer_end(int layer);

#endif
`;
  const source = `${banner}#define TF_MODEL_NO_ALIASES
#include <string.h>
#include "tf_pipeline_run.h"
#include "pipeline/${m.fileNames.header}"

/* the harness's counter (firmware/common/platform.h) */
uint64_t tf_counter_now(void);

static ${audio ? 'int16_t' : 'float'} run_input[TF_PIPELINE_RUN_INPUT_BYTES / sizeof(${audio ? 'int16_t' : 'float'})];
static uint8_t run_output[TF_PIPELINE_RUN_OUTPUT_BYTES];
/* features from byte ${HEAD_BYTES}, one frame after another; the windows' outputs after every frame's */
static size_t feature_at;
static size_t window_at;
static uint64_t stage_started;
static uint64_t stage_ticks[2];
static uint32_t stage_runs[2];

void tf_pipeline_profile_begin(int stage) {
  (void)stage;
  stage_started = tf_counter_now();
}

void tf_pipeline_profile_end(int stage) {
  stage_ticks[stage] += tf_counter_now() - stage_started;
  stage_runs[stage]++;
}

static void put(size_t *at, const void *data, size_t n) {
  if (*at + n > sizeof(run_output)) return;
  memcpy(run_output + *at, data, n);
  *at += n;
}

static void on_frame(const int8_t *features, size_t count, void *user) {
  (void)user;
  put(&feature_at, features, count);
}

static void on_result(const int8_t *scores, size_t count, void *user) {
  int o;
  (void)scores;
  (void)count;
  (void)user;
  for (o = 0; o < ${m.prefix.toUpperCase()}_NUM_OUTPUTS; ++o) put(&window_at, ${m.prefix}_output(o), ${m.prefix}_output_bytes(o));
}

static void put_u64(size_t at, uint64_t v) {
  size_t i;
  for (i = 0; i < 8; ++i) run_output[at + i] = (uint8_t)(v >> (8 * i));
}

tf_status_t tf_model_init(void) {
  tf_status_t status = tf_pipeline_init();
  tf_pipeline_on_frame(on_frame, NULL);
  tf_pipeline_on_result(on_result, NULL);
  return status;
}

void tf_model_reset(void) { tf_pipeline_reset(); }

/* The whole stream, features and windows collected in order after the counts. */
tf_status_t tf_model_invoke(void) {
  tf_status_t status;
  memset(run_output, 0, sizeof(run_output));
  feature_at = ${HEAD_BYTES};
  window_at = ${HEAD_BYTES + frames * loaded.shape.features}u;
  stage_ticks[0] = stage_ticks[1] = 0;
  stage_runs[0] = stage_runs[1] = 0;
  status = ${audio ? 'tf_pipeline_push(run_input, sizeof(run_input) / sizeof(run_input[0]))' : 'tf_pipeline_push_rows(run_input, sizeof(run_input) / sizeof(run_input[0]) / TF_PIPELINE_FEATURES)'};
  put_u64(0, stage_ticks[0]);
  put_u64(8, stage_ticks[1]);
  put_u64(16, (uint64_t)stage_runs[0] | ((uint64_t)stage_runs[1] << 32));
  return status;
}

void *tf_model_input(int index) { return index == 0 ? (void *)run_input : NULL; }
void *tf_model_output(int index) { return index == 0 ? (void *)run_output : NULL; }
size_t tf_model_input_bytes(int index) { return index == 0 ? sizeof(run_input) : 0u; }
size_t tf_model_output_bytes(int index) { return index == 0 ? sizeof(run_output) : 0u; }
`;
  return [
    { name: 'tf_pipeline_run.h', text: header },
    { name: 'tf_pipeline_run.c', text: source },
  ];
}

export interface BoardPipelineOptions {
  board?: string;
  workDir?: string;
  timeoutMs?: number;
  link?: EmulatorLink;
  progress?: (message: string) => void;
  /** trace the run for the timing model's estimate (default true) */
  estimate?: boolean;
  estimateCaches?: 'on' | 'off';
  /** `--clock` on the real board, with its wait states */
  estimateClock?: EstimateClock;
}

/** Builds the pipeline into the harness for the target's emulated board and runs the whole stream there. */
export async function runPipelineOnBoard(
  compiled: CompiledPipeline,
  loaded: LoadedPipeline,
  target: TargetDescriptor,
  options: BoardPipelineOptions = {},
): Promise<BoardPipelineRun> {
  const progress = options.progress ?? (() => {});
  const { runOn: board, fitFor } = placeOnInstalledBoards(target, options.board, false, options.progress);
  if (!board) throw new TinyforgeError(`target ${target.name} has no emulated board to run the pipeline on`);
  requireTools(target, board, true);
  const { shape } = loaded;
  const input = streamBytes(loaded.stream);
  const frames = frameCount(shape, loaded.stream.kind === 'audio' ? loaded.stream.samples.length : loaded.stream.rows.length);
  const windows = windowCount(shape, frames);
  const graph = compiled.model.graph;
  const windowBytes = graph.outputs.reduce((n, o) => n + byteSize(graph.tensors[o]!), 0);
  const outputBytes = HEAD_BYTES + frames * shape.features + windows * windowBytes;
  const dir = options.workDir ?? makeTempFolder('pipeline-board');
  try {
    const modelDir = join(dir, 'model');
    writeDirectoryAtomically(
      modelDir,
      [...shimFiles(compiled, loaded, input.length, outputBytes, frames), ...compiled.files.map((f) => ({ ...f, name: `pipeline/${f.name}` }))],
      {
        force: true,
      },
    );
    progress(`building the pipeline for ${target.name} (${board.name})`);
    const build = await buildFirmware({
      target: target.name,
      board: board.name,
      modelDir,
      outDir: join(dir, 'build'),
      profile: false,
      extraCflags: ['-DTF_PIPELINE_PROFILE'],
    });
    const facts: ModelFacts = {
      numInputs: 1,
      numOutputs: 1,
      inputBytes: input.length,
      outputBytes,
      numLayers: 1,
      arenaBytes: compiled.model.plan.arenaBytes + (compiled.frontEnd?.plan.arenaBytes ?? 0),
    };
    // the front-end's invokes and the model's priced apart, each as a single model's run is
    const prefixes = [...(compiled.frontEnd ? [compiled.frontEnd.generated.prefix] : []), compiled.model.generated.prefix];
    const timing =
      options.estimate === false
        ? null
        : stageTimingFor({ target, runOn: board, fitFor, elf: build.elf, prefixes, caches: options.estimateCaches, clock: options.estimateClock }, progress);
    progress(`running the stream on ${board.name}`);
    const run = await runOnBoard({
      board: board.name,
      elf: build.elf,
      expectModel: facts,
      cases: [input],
      timeoutMs: options.timeoutMs ?? 300_000,
      link: options.link,
      progress,
      ...(timing ? { timing: timing.session } : {}),
    });
    const stages = timing ? timing.finish() : null;
    const frontEndStage = compiled.frontEnd ? (stages?.[0] ?? null) : null;
    const modelStage = stages?.at(-1) ?? null;
    const out = run.cases[0]!.outputs;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const ticks = (at: number) => Number(view.getBigUint64(at, true)) * run.counter.countsPerTick;
    const framesRun = view.getUint32(16, true);
    const windowsRun = view.getUint32(20, true);
    const features: Int8Array[] = [];
    let at = HEAD_BYTES;
    for (let f = 0; f < frames; f++, at += shape.features) features.push(new Int8Array(out.slice(at, at + shape.features).buffer));
    const sizes = graph.outputs.map((o) => byteSize(graph.tensors[o]!));
    const result: StreamResult = { features, windows: [] };
    for (let w = 0; w < windows; w++) {
      const outputs = sizes.map((n) => out.slice(at, (at += n)));
      result.windows.push({ index: w, startSample: w * shape.windowStride * shape.hop, outputs });
    }
    return {
      board: board.name,
      counter: { kind: run.counter.kind, source: run.counter.source },
      result,
      total: run.cases[0]!.count,
      perFrame: framesRun > 0 ? Math.round(ticks(0) / framesRun) : 0,
      perWindow: windowsRun > 0 ? Math.round(ticks(8) / windowsRun) : null,
      estimated:
        modelStage?.estimate && (!compiled.frontEnd || frontEndStage?.estimate)
          ? {
              perFrame: frontEndStage?.estimate?.perInference ?? 0,
              perWindow: windowsRun > 0 ? modelStage.estimate.perInference : null,
              basis: modelStage.estimate.basis,
            }
          : null,
      stack: run.memory.stackInvoke,
      flash: build.sizes.flash,
    };
  } finally {
    if (!options.workDir) removeTempFolder(dir);
  }
}
