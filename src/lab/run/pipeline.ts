// SPDX-License-Identifier: Apache-2.0
/**
 * `run` and `compile` of a pipeline (docs/pipeline.md): a front-end and a model over an audio clip,
 * or a model over a sensor recording. Reads the stream, compiles the models side by side with
 * tf_pipeline.c, runs the TypeScript reference, and on a target builds the pipeline C with a driver
 * that feeds it the whole stream and prints every feature vector and every window's outputs.
 */
import { writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type CompiledModel, type LibraryModel, compileGraph, compileModels, modelFileProvenance } from '../../core/compile.ts';
import type { GeneratedFile } from '../../core/codegen/generate.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../core/codegen/banner.ts';
import { type Graph, cIdentifier } from '../../core/ir/graph.ts';
import { loadGraph } from '../../core/model/load.ts';
import type { KernelIsa } from '../../core/ops/op.ts';
import { graphInstructions } from '../../core/ops/layer_cost.ts';
import type { PreparedGraph } from '../../core/ops/prepare.ts';
import type { BoardDescriptor, TargetDescriptor } from '../../core/targets/targets.ts';
import { boardIsa, smallestPartRam } from '../../core/targets/targets.ts';
import { generatePipelineC } from '../../core/pipeline/pipeline_c.ts';
import {
  type StreamOptions,
  type StreamResult,
  type StreamShape,
  audioStreamShape,
  inputQuantization,
  prepareStreamModel,
  runAudioReference,
  runSensorReference,
  sensorStreamShape,
} from '../../core/pipeline/stream.ts';
import { readAudioClip } from '../data/wav.ts';
import { parseCsv } from '../data/csv.ts';
import { readUserFile } from '../../core/model/read_file.ts';
import { MODEL_STRICT_CFLAGS, findTool, firstErrorLines, isCompiledSource, runTool } from '../toolchain/toolchain.ts';
import { makeTempFolder, removeTempFolder } from '../lifecycle.ts';
import { writeDirectoryAtomically } from '../output.ts';

/** The stream a pipeline runs over: int16 samples, or rows of real values. */
export type PipelineStream =
  | { kind: 'audio'; samples: Int16Array; sampleRate: number | null; source: string }
  | { kind: 'sensor'; rows: number[][]; columns: string[]; source: string };

/** The two models of a pipeline (or the one of a sensor stream) and the stream's shape. */
export interface PipelineModels {
  frontEnd: { path: string; graph: Graph } | null;
  model: { path: string; graph: Graph };
  shape: StreamShape;
}

export interface LoadedPipeline extends PipelineModels {
  stream: PipelineStream;
}

/**
 * The models and the shape without a stream (compile): a front-end and a model, or a model over
 * rows of `channels` values.
 */
export function loadPipelineModels(frontEndPath: string | null, modelPath: string, options: StreamOptions & { channels?: number } = {}): PipelineModels {
  const model = { path: modelPath, graph: loadGraph(modelPath) };
  if (frontEndPath !== null) {
    const frontEnd = { path: frontEndPath, graph: loadGraph(frontEndPath) };
    return { frontEnd, model, shape: audioStreamShape(frontEnd.graph, frontEndPath, model.graph, modelPath, options) };
  }
  if (options.channels === undefined) throw new TinyforgeError('a sensor stream needs its channels a row: give --channels');
  return { frontEnd: null, model, shape: sensorStreamShape(model.graph, modelPath, options.channels, `--channels ${options.channels}`, options) };
}

/** Reads the models and the stream and decides the shape: every refusal before any compile. */
export function loadPipeline(frontEndPath: string | null, modelPath: string, inputPath: string, options: StreamOptions = {}): LoadedPipeline {
  if (frontEndPath !== null) {
    const models = loadPipelineModels(frontEndPath, modelPath, options);
    const clip = readAudioClip(inputPath);
    return { ...models, stream: { kind: 'audio', samples: clip.samples, sampleRate: clip.sampleRate, source: inputPath } };
  }
  const model = { path: modelPath, graph: loadGraph(modelPath) };
  if (extname(inputPath).toLowerCase() !== '.csv')
    throw new TinyforgeError(`${inputPath}: a model without a front-end runs over a sensor recording: a .csv, one row per time step, one column per channel`);
  const table = parseCsv(readUserFile(inputPath, 'sensor recording (CSV)').toString('utf8'), inputPath);
  const shape = sensorStreamShape(model.graph, modelPath, table.columns.length, inputPath, options);
  return { frontEnd: null, model, shape, stream: { kind: 'sensor', rows: table.rows, columns: table.columns, source: inputPath } };
}

export interface CompiledPipeline {
  frontEnd: CompiledModel | null;
  model: CompiledModel;
  /** both models' files and tf_pipeline.h/.c, in one folder */
  files: GeneratedFile[];
}

/** The models' C names: their file names, made different when the two are the same. */
function pipelineNames(frontEndPath: string | null, modelPath: string): { frontEnd: string; model: string } {
  const stem = (p: string) => cIdentifier(basename(p).replace(/\.[^.]*$/, ''));
  const model = stem(modelPath);
  const frontEnd = frontEndPath === null ? '' : stem(frontEndPath);
  return { frontEnd: frontEnd === model ? `${frontEnd}_frontend` : frontEnd, model };
}

/** Both models' own files in one folder: their build notes (CMakeLists.txt, kernels.txt) left out, shared kernel files once. */
function mergeFiles(models: CompiledModel[]): GeneratedFile[] {
  const byName = new Map<string, GeneratedFile>();
  for (const m of models)
    for (const f of m.generated.files) {
      if (f.role === 'cmake' || f.name === 'kernels.txt' || f.name === 'CMakeLists.txt') continue;
      const seen = byName.get(f.name);
      if (seen && seen.text !== f.text) throw new TinyforgeError(`the two models both generate ${f.name}, differently: give them different names`);
      byName.set(f.name, f);
    }
  return [...byName.values()];
}

export interface PipelineCompileOptions {
  /** the banner's command line */
  command?: string;
  /** the board the pipeline runs on: its ISA picks the kernels (`boardIsa`); absent: the target's chip */
  board?: BoardDescriptor;
}

/** Compiles both models for the target and generates tf_pipeline.h/.c next to them. */
export function compilePipeline(loaded: PipelineModels, target: TargetDescriptor, options: PipelineCompileOptions = {}): CompiledPipeline {
  const names = pipelineNames(loaded.frontEnd?.path ?? null, loaded.model.path);
  const compileOptions = {
    isa: boardIsa(target, options.board),
    partRam: smallestPartRam(target),
    provenance: { target: target.name, ...(options.command ? { command: options.command } : {}) },
  };
  const libraryModel = (path: string, graph: Graph, name: string): LibraryModel => ({
    graph,
    source: basename(path),
    name,
    provenance: modelFileProvenance(path),
  });
  let frontEnd: CompiledModel | null = null;
  let model: CompiledModel;
  let modelFiles: GeneratedFile[];
  if (loaded.frontEnd) {
    // the front-end and the model never run at the same time: one arena, each one's state kept apart
    const library = compileModels(
      [libraryModel(loaded.frontEnd.path, loaded.frontEnd.graph, names.frontEnd), libraryModel(loaded.model.path, loaded.model.graph, names.model)],
      compileOptions,
    );
    [frontEnd, model] = library.models as [CompiledModel, CompiledModel];
    modelFiles = library.files.filter((f) => f.role !== 'cmake' && f.name !== 'kernels.txt' && f.name !== 'CMakeLists.txt');
  } else {
    const { graph, path } = loaded.model;
    model = compileGraph(graph, basename(path), {
      ...compileOptions,
      name: names.model,
      provenance: { ...modelFileProvenance(path), ...compileOptions.provenance },
    });
    modelFiles = mergeFiles([model]);
  }
  const q = inputQuantization(model.graph);
  const scores = model.graph.tensors[model.graph.outputs[0]!]!.shape.reduce((a, b) => a * b, 1);
  const banner = `Generated by ${TOOL_NAME} ${TOOL_VERSION} for ${target.name}: do not edit. ${
    frontEnd ? `${basename(loaded.frontEnd!.path)} then ${basename(loaded.model.path)}` : basename(loaded.model.path)
  }.`;
  const pipeline = generatePipelineC(loaded.shape, {
    ...(frontEnd ? { frontEnd: { prefix: frontEnd.generated.prefix, header: frontEnd.generated.fileNames.header } } : {}),
    model: { prefix: model.generated.prefix, header: model.generated.fileNames.header, scores, inputScale: q?.scale ?? 1, inputZeroPoint: q?.zeroPoint ?? 0 },
    banner,
  });
  return { frontEnd, model, files: [...modelFiles, ...pipeline] };
}

/**
 * A model as the compiler prepares it: after the graph passes (constants folded, the state of signal
 * ops made variable tensors), its kernels chosen for `isa`.
 */
export function preparedModel(graph: Graph, path: string, isa?: KernelIsa): PreparedGraph {
  return prepareStreamModel(graph, basename(path), isa);
}

/** The TypeScript reference of the whole stream. */
export function pipelineReference(loaded: LoadedPipeline, prepared: { frontEnd: PreparedGraph | null; model: PreparedGraph }): StreamResult {
  const { stream, shape } = loaded;
  if (stream.kind === 'audio') return runAudioReference(shape, prepared.frontEnd!, prepared.model, stream.samples);
  return runSensorReference(shape, prepared.model, stream.rows);
}

/** The reference on the host, prepared for the host's portable kernels. */
export function hostReference(loaded: LoadedPipeline): StreamResult {
  return pipelineReference(loaded, {
    frontEnd: loaded.frontEnd ? preparedModel(loaded.frontEnd.graph, loaded.frontEnd.path) : null,
    model: preparedModel(loaded.model.graph, loaded.model.path),
  });
}

/** The stream as the driver reads it: int16 samples, or float32 rows, little-endian. */
export function streamBytes(stream: PipelineStream): Uint8Array {
  if (stream.kind === 'audio') return new Uint8Array(stream.samples.buffer, stream.samples.byteOffset, stream.samples.byteLength);
  const floats = Float32Array.from(stream.rows.flat());
  return new Uint8Array(floats.buffer);
}

/**
 * A host program around tf_pipeline.c: reads the stream file, pushes it `chunk` samples (rows) at a
 * time, and prints `F` and each feature vector's bytes, `W` and each window's output bytes, in hex.
 */
export function hostDriver(compiled: CompiledPipeline, kind: 'audio' | 'sensor'): GeneratedFile {
  const m = compiled.model.generated;
  const M = m.prefix.toUpperCase();
  const push =
    kind === 'audio'
      ? `  {
    const size_t total = size / sizeof(int16_t);
    int16_t *samples = (int16_t *)malloc(total * sizeof(int16_t) + 1);
    size_t at;
    if (samples == NULL) return 2;
    memcpy(samples, bytes, total * sizeof(int16_t));
    for (at = 0; at < total; at += chunk) {
      const size_t n = total - at < chunk ? total - at : chunk;
      if (tf_pipeline_push(samples + at, n) != TF_OK) return 3;
    }
    free(samples);
  }`
      : `  {
    const size_t rows = size / (sizeof(float) * TF_PIPELINE_FEATURES);
    float *values = (float *)malloc(rows * TF_PIPELINE_FEATURES * sizeof(float) + 1);
    size_t at;
    if (values == NULL) return 2;
    memcpy(values, bytes, rows * TF_PIPELINE_FEATURES * sizeof(float));
    for (at = 0; at < rows; at += chunk) {
      const size_t n = rows - at < chunk ? rows - at : chunk;
      if (tf_pipeline_push_rows(values + at * TF_PIPELINE_FEATURES, n) != TF_OK) return 3;
    }
    free(values);
  }`;
  const text = `/* SPDX-License-Identifier: Apache-2.0
 * Written by ${TOOL_NAME} ${TOOL_VERSION}: the host driver of tf_pipeline.c (run and its tests).
 * usage: pipeline_driver STREAM_FILE CHUNK
 */
#define TF_MODEL_NO_ALIASES
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_pipeline.h"
#include "${m.fileNames.header}"

static void print_hex(const void *data, size_t n) {
  const uint8_t *b = (const uint8_t *)data;
  size_t i;
  for (i = 0; i < n; ++i) printf("%02x", b[i]);
}

static void on_frame(const int8_t *features, size_t count, void *user) {
  (void)user;
  printf("F ");
  print_hex(features, count);
  printf("\\n");
}

static void on_result(const int8_t *scores, size_t count, void *user) {
  int o;
  (void)user;
  (void)scores;
  (void)count;
  printf("W");
  for (o = 0; o < ${M}_NUM_OUTPUTS; ++o) {
    printf(" ");
    print_hex(${m.prefix}_output(o), ${m.prefix}_output_bytes(o));
  }
  printf("\\n");
}

int main(int argc, char **argv) {
  FILE *f;
  long size;
  uint8_t *bytes;
  size_t chunk;
  if (argc != 3) return 1;
  chunk = (size_t)strtoul(argv[2], NULL, 10);
  if (chunk == 0) return 1;
  f = fopen(argv[1], "rb");
  if (f == NULL) return 1;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  bytes = (uint8_t *)malloc((size_t)size + 1);
  if (bytes == NULL || fread(bytes, 1, (size_t)size, f) != (size_t)size) return 1;
  fclose(f);
  if (tf_pipeline_init() != TF_OK) return 2;
  tf_pipeline_on_frame(on_frame, NULL);
  tf_pipeline_on_result(on_result, NULL);
${push}
  free(bytes);
  return 0;
}
`;
  return { name: 'pipeline_driver.c', text };
}

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

/** The driver's printout as a StreamResult (window start samples from the shape). */
export function parseDriverOutput(text: string, shape: StreamShape): StreamResult {
  const features: Int8Array[] = [];
  const windows: StreamResult['windows'] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('F ')) features.push(new Int8Array(fromHex(line.slice(2)).buffer));
    else if (line.startsWith('W')) {
      const first = shape.windowStride * windows.length;
      windows.push({ index: windows.length, startSample: first * shape.hop, outputs: line.slice(2).split(' ').map(fromHex) });
    }
  }
  return { features, windows };
}

export interface HostPipelineOptions {
  /** samples (sensor: rows) per tf_pipeline_push call */
  chunk?: number;
  /** AddressSanitizer + UBSan */
  sanitize?: boolean;
  /** keep the sources and the build here */
  workDir?: string;
  timeoutMs?: number;
}

/** Builds the pipeline C natively (strict flags, -Werror) and runs it over the stream. */
export async function runPipelineOnHost(
  compiled: CompiledPipeline,
  loaded: LoadedPipeline,
  host: TargetDescriptor,
  options: HostPipelineOptions = {},
): Promise<StreamResult> {
  const cc = findTool(host.toolchain.cc, host.toolchain.install);
  const dir = options.workDir ?? makeTempFolder('pipeline');
  try {
    const src = writeDirectoryAtomically(join(dir, 'src'), [...compiled.files, hostDriver(compiled, loaded.shape.kind)], { force: true });
    const exe = join(dir, 'pipeline_driver');
    const sources = [...compiled.files.map((f) => f.name), 'pipeline_driver.c'].filter(isCompiledSource).map((n) => join(src, n));
    const args = [
      ...host.toolchain.cflags,
      ...MODEL_STRICT_CFLAGS,
      ...(options.sanitize ? (host.toolchain.sanitizeFlags ?? []) : []),
      `-I${src}`,
      ...sources,
      '-o',
      exe,
      ...host.toolchain.ldflags,
      '-lm',
    ];
    const built = await runTool(cc, args);
    if (built.code !== 0 || built.stderr.trim() !== '')
      throw new TinyforgeError(`building the pipeline for the host failed: ${firstErrorLines(built.stderr).join(' | ') || 'no message'}`);
    const streamFile = join(dir, 'stream.bin');
    writeFileSync(streamFile, streamBytes(loaded.stream));
    const chunk = options.chunk ?? (loaded.stream.kind === 'audio' ? loaded.stream.samples.length : loaded.stream.rows.length);
    const run = await runTool(exe, [streamFile, String(Math.max(1, chunk))], { timeoutMs: options.timeoutMs ?? 120_000 });
    if (run.code !== 0 || /runtime error|Sanitizer/.test(run.stderr))
      throw new TinyforgeError(
        `the pipeline on the host failed (status ${run.code ?? run.signal}): ${firstErrorLines(run.stderr).join(' | ') || 'no message'}`,
      );
    return parseDriverOutput(run.stdout.toString('utf8'), loaded.shape);
  } finally {
    if (!options.workDir) removeTempFolder(dir);
  }
}

/** Estimated instructions of one invoke: each layer's kernel priced on the target (core/ops/layer_cost.ts). */
export function staticInvokeCost(prepared: PreparedGraph, target: TargetDescriptor): number {
  return graphInstructions(prepared, target.isa);
}
