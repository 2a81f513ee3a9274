// SPDX-License-Identifier: Apache-2.0
/**
 * `compile FRONTEND MODEL --project <kind>`: the pipeline laid out as each project kind lays out one
 * model (project_layouts.ts, whose templates it shares), with a starter app that feeds a sample stream
 * through tf_pipeline_push (tf_pipeline_push_rows for a sensor stream) in blocks, as a microphone's
 * DMA or a sensor's FIFO delivers them, and prints the top class of every window:
 *
 * - `make`: the sources and a Makefile (`make` the library, `make app` the starter app main.c).
 * - `cmake`: the sources with a CMakeLists.txt for the static library tf_pipeline (a toolchain file
 *   for a cross target), the starter app as its own CMake project in app/.
 * - `arduino`: the pipeline as an Arduino library named after its model (<model prefix>_pipeline.h
 *   includes tf_pipeline.h), the starter app as the sketch examples/ClassifyStream, over Serial.
 * - `platformio`: the pipeline as a PlatformIO library, the starter app (C++, over Serial with the
 *   Arduino framework, stdout natively) in examples/stream.
 * - `zephyr`: the pipeline as a Zephyr module, the starter app as its sample samples/stream (the
 *   console's printf).
 * - `pico-sdk`: the pipeline as a pico-sdk INTERFACE library, the starter app in example/ printing
 *   over stdio.
 * - `esp-idf`: the pipeline as the component components/tf_pipeline, the starter app in main/
 *   (app_main) printing on the console.
 */
import { TinyforgeError } from '../../core/errors.ts';
import { cArrayBody } from '../../core/ops/common/render.ts';
import type { GeneratedFile } from '../../core/codegen/generate.ts';
import type { TargetDescriptor } from '../../core/targets/targets.ts';
import { isCompiledSource } from '../toolchain/toolchain.ts';
import {
  type LibraryFacts,
  arduinoLayout,
  cmakeToolchainFile,
  espIdfLayout,
  libraryView,
  makeLayout,
  picoSdkLayout,
  platformioLayout,
  zephyrLayout,
} from '../toolchain/project_layouts.ts';
import { TEMPLATES_DIR } from '../../core/codegen/generate.ts';
import { renderTemplateFile } from '../../core/ops/common/render.ts';
import { join } from 'node:path';
import type { CompiledPipeline, PipelineModels, PipelineStream } from './pipeline.ts';

/** The project kinds a pipeline is laid out as. */
export const PIPELINE_PROJECT_KINDS = ['make', 'cmake', 'arduino', 'platformio', 'zephyr', 'pico-sdk', 'esp-idf'] as const;

/** Samples (rows) the starter app hands tf_pipeline_push at a time: 10 ms at 16 kHz, like a DMA half-buffer. */
const AUDIO_BLOCK = 160;
const SENSOR_BLOCK = 4;

const cString = (text: string) => `"${text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'")}"`;

function sampleHeader(models: PipelineModels, stream: PipelineStream | null, banner: string): GeneratedFile {
  const { shape } = models;
  let body: string;
  let count: number;
  let source: string;
  if (shape.kind === 'audio') {
    // no clip given: silence for two windows
    const samples = stream?.kind === 'audio' ? stream.samples : new Int16Array(shape.frameSamples + shape.hop * (shape.frames + shape.windowStride - 1));
    count = samples.length;
    body = cArrayBody(Array.from(samples, String), 16);
    source = stream ? stream.source : 'silence (no --input)';
    return {
      name: 'tf_pipeline_sample.h',
      text: `${banner}/* the starter app's stream: ${source.replace(/\*\//g, '*?/')} */
#ifndef TF_PIPELINE_SAMPLE_H
#define TF_PIPELINE_SAMPLE_H
#include <stdint.h>
#define TF_PIPELINE_SAMPLE_COUNT ${count}u
static const int16_t tf_pipeline_sample[TF_PIPELINE_SAMPLE_COUNT] = {
${body}
};
#endif
`,
    };
  }
  const rows =
    stream?.kind === 'sensor' ? stream.rows : Array.from({ length: shape.frames + shape.windowStride }, () => new Array<number>(shape.features).fill(0));
  count = rows.length;
  body = cArrayBody(
    rows.flat().map((v) => `${Number.isInteger(v) ? `${v}.0` : String(Math.fround(v))}f`),
    8,
  );
  source = stream ? stream.source : 'rows of zeros (no --input)';
  return {
    name: 'tf_pipeline_sample.h',
    text: `${banner}/* the starter app's stream: ${source.replace(/\*\//g, '*?/')} */
#ifndef TF_PIPELINE_SAMPLE_H
#define TF_PIPELINE_SAMPLE_H
#define TF_PIPELINE_SAMPLE_ROWS ${count}u
static const float tf_pipeline_sample[TF_PIPELINE_SAMPLE_ROWS * ${shape.features}u] = {
${body}
};
#endif
`,
  };
}

/** How a project kind's starter app starts and prints: its includes and the entry that calls run_stream. */
const ENTRIES: Record<string, { includes: string; entry: string; print?: string; file?: string }> = {
  hosted: { includes: '', entry: 'int main(void) { return run_stream(); }\n' },
  'pico-sdk': {
    includes: '#include "pico/stdlib.h"\n',
    entry: `int main(void) {
  stdio_init_all();
  (void)run_stream();
  for (;;) tight_loop_contents();
}
`,
  },
  'esp-idf': { includes: '', entry: 'void app_main(void) { (void)run_stream(); }\n' },
  // C++: over Serial (115200 baud) with the Arduino framework, on stdout elsewhere (the native platform)
  platformio: {
    file: 'main.cpp',
    print: 'report',
    includes: `#include <stdarg.h>
#ifdef ARDUINO
#include <Arduino.h>
#endif

/* printf-style, over Serial or to stdout (not every Arduino core has Serial.printf) */
static void report(const char *format, ...) {
  char line[96];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
#ifdef ARDUINO
  Serial.print(line);
#else
  fputs(line, stdout);
#endif
}
`,
    entry: `#ifdef ARDUINO
void setup() {
  Serial.begin(115200);
  while (!Serial && millis() < 3000) {
  }
  (void)run_stream();
}

void loop() {}
#else
int main() { return run_stream(); }
#endif
`,
  },
};

function starterApp(models: PipelineModels, labels: string[] | null, banner: string, entry: keyof typeof ENTRIES): GeneratedFile {
  const audio = models.shape.kind === 'audio';
  const { includes, entry: entryText, print = 'printf', file = 'main.c' } = ENTRIES[entry]!;
  const labelTable = labels ? `static const char *const labels[] = { ${labels.map(cString).join(', ')} };\n` : '';
  const push = audio
    ? `  for (at = 0; at < TF_PIPELINE_SAMPLE_COUNT; at += ${AUDIO_BLOCK}u) {
    const size_t n = TF_PIPELINE_SAMPLE_COUNT - at < ${AUDIO_BLOCK}u ? TF_PIPELINE_SAMPLE_COUNT - at : ${AUDIO_BLOCK}u;
    if (tf_pipeline_push(tf_pipeline_sample + at, n) != TF_OK) {
      ${print}("tf_pipeline_push failed\\n");
      return 1;
    }
  }`
    : `  for (at = 0; at < TF_PIPELINE_SAMPLE_ROWS; at += ${SENSOR_BLOCK}u) {
    const size_t n = TF_PIPELINE_SAMPLE_ROWS - at < ${SENSOR_BLOCK}u ? TF_PIPELINE_SAMPLE_ROWS - at : ${SENSOR_BLOCK}u;
    if (tf_pipeline_push_rows(tf_pipeline_sample + at * TF_PIPELINE_FEATURES, n) != TF_OK) {
      ${print}("tf_pipeline_push_rows failed\\n");
      return 1;
    }
  }`;
  return {
    name: file,
    text: `${banner}/* The starter app: the sample stream of tf_pipeline_sample.h pushed ${audio ? `${AUDIO_BLOCK} samples` : `${SENSOR_BLOCK} rows`} at a time,
 * as ${audio ? "a microphone's DMA" : "a sensor's FIFO"} delivers it; one line per window with its top class. */
#include <stdio.h>
${includes}#include "tf_pipeline.h"
#include "tf_pipeline_sample.h"

${labelTable}static void on_result(const int8_t *scores, size_t count, void *user) {
  unsigned *window = (unsigned *)user;
  size_t best = 0, i;
  for (i = 1; i < count; ++i)
    if (scores[i] > scores[best]) best = i;
  ${print}("window %u: ${labels ? '%s' : 'class %u'} %d\\n", (*window)++, ${labels ? 'labels[best]' : '(unsigned)best'}, (int)scores[best]);
}

static int run_stream(void) {
  unsigned window = 0;
  size_t at;
  if (tf_pipeline_init() != TF_OK) {
    ${print}("tf_pipeline_init failed\\n");
    return 1;
  }
  tf_pipeline_on_result(on_result, &window);
${push}
  return 0;
}

${entryText}`,
  };
}

/** What the layouts' templates say of the pipeline. */
function pipelineFacts(compiled: CompiledPipeline, models: PipelineModels): LibraryFacts {
  const parts = compiled.frontEnd ? [compiled.frontEnd, compiled.model] : [compiled.model];
  const audio = models.shape.kind === 'audio';
  return {
    kind: 'pipeline',
    name: parts.map((p) => p.graph.name).join(' then '),
    prefix: 'tf_pipeline',
    PREFIX: 'TF_PIPELINE',
    header: 'tf_pipeline.h',
    sources: compiled.files.filter((f) => isCompiledSource(f.name)).map((f) => f.name),
    // the front-end and the model share one arena: the larger of the two
    arenaBytes: Math.max(...parts.map((p) => p.plan.arenaBytes)),
    macs: parts.reduce((n, p) => n + p.prepared.layers.reduce((m, l) => m + l.macs, 0), 0),
    weightBytes: parts.reduce((n, p) => n + p.graph.tensors.filter((t) => t.data).reduce((m, t) => m + t.data!.length, 0), 0),
    inputs: [],
    api: `tf_pipeline_init, tf_pipeline_on_result, ${audio ? 'tf_pipeline_push' : 'tf_pipeline_push_rows'}`,
  };
}

const within = (folder: string, files: GeneratedFile[]) => files.map((f) => ({ name: `${folder}/${f.name}`, text: f.text }));

/** The project's files: the pipeline's sources in `kind`'s layout, the sample stream and the starter app. */
export function pipelineProjectFiles(
  kind: string,
  compiled: CompiledPipeline,
  models: PipelineModels,
  target: TargetDescriptor,
  stream: PipelineStream | null,
  labels: string[] | null,
): GeneratedFile[] {
  if (!(PIPELINE_PROJECT_KINDS as readonly string[]).includes(kind))
    throw new TinyforgeError(`unknown project kind '${kind}' (known: ${PIPELINE_PROJECT_KINDS.join(', ')})`);
  const facts = pipelineFacts(compiled, models);
  const view = libraryView(facts, target, compiled.model.generated.banner);
  const app = (entry: keyof typeof ENTRIES, file: string) => [
    starterApp(models, labels, view.cBanner(file), entry),
    sampleHeader(models, stream, view.cBanner('tf_pipeline_sample.h')),
  ];
  const sources = compiled.files;
  switch (kind) {
    case 'make': {
      const files = [...sources, ...app('hosted', 'main.c')];
      return [...files, makeLayout(view, target, files, 'main.c')];
    }
    case 'cmake': {
      const asmSources = facts.sources.filter((f) => f.endsWith('.S'));
      const cmake = renderTemplateFile(join(TEMPLATES_DIR, 'CMakeLists.txt.hbs'), {
        banner: { cmake: view.hashBanner('CMakeLists.txt') },
        library: facts.prefix,
        libraryDoc: `the pipeline ${facts.name} (tf_pipeline.h)`,
        librarySources: facts.sources,
        asmSources,
      });
      const appCMake = `${view.hashBanner('app/CMakeLists.txt')}# The starter app: the sample stream through the pipeline, the top class of each window printed.
#   cmake -B build -S . && cmake --build build && ./build/tf_pipeline_app
cmake_minimum_required(VERSION 3.13)
project(tf_pipeline_app C)
add_subdirectory(.. tf_pipeline)
add_executable(tf_pipeline_app main.c)
target_link_libraries(tf_pipeline_app PRIVATE tf_pipeline)
`;
      return [
        ...sources,
        { name: 'CMakeLists.txt', text: cmake },
        ...(target.name === 'host' ? [] : [cmakeToolchainFile(view, target)]),
        { name: 'app/CMakeLists.txt', text: appCMake },
        ...within('app', app('hosted', 'app/main.c')),
      ];
    }
    case 'arduino': {
      // Arduino finds a library by its headers: one named after the model, not the generic tf_pipeline.h
      const prefix = `${compiled.model.generated.prefix}_pipeline`;
      const sketch = 'ClassifyStream';
      const [main, sample] = app('platformio', `${sketch}.ino`) as [GeneratedFile, GeneratedFile];
      const ino = { name: `${sketch}.ino`, text: main.text.replace('#include "tf_pipeline.h"', `#include <${prefix}.h>`) };
      return arduinoLayout(
        { ...view, prefix, PREFIX: prefix.toUpperCase() },
        target,
        sources,
        { sketch: ino, others: [sample] },
        {
          sketch,
          what: 'the example pushes a sample stream through the pipeline and prints the top class of each window',
        },
      );
    }
    case 'platformio':
      return platformioLayout(view, target, sources, app('platformio', 'main.cpp'), {
        name: 'stream',
        doc: `Pushes a sample stream through the pipeline ${view.modelName} and prints the top class of each window`,
      });
    case 'zephyr':
      if (target.name === 'host') throw new TinyforgeError('a Zephyr module is for a microcontroller target, not host');
      return zephyrLayout(view, target, sources, app('hosted', 'main.c'), {
        sampleName: 'stream',
        sampleDoc: `Pushes a sample stream through the pipeline ${view.modelName} and prints the top class of each window on the console`,
        sampleDescription: 'pushes a sample stream through the pipeline compiled by tinyforge and prints the top class of each window',
        consoleRegex: 'window 0: ',
      });
    case 'pico-sdk':
      if (target.name !== 'rp2040') throw new TinyforgeError(`a pico-sdk library is for --target rp2040, not ${target.name}`);
      return [
        ...sources,
        ...picoSdkLayout(facts, {
          exampleWhat: 'pushes a sample stream through the pipeline and prints the top class of each window',
          exampleDoc: `Pushes a sample stream through the pipeline ${facts.name} on a Raspberry Pi Pico and prints the top class of each window over stdio (UART0)`,
        }),
        ...within('example', app('pico-sdk', 'example/main.c')),
      ];
    default:
      return [
        ...espIdfLayout(view, target, app('esp-idf', 'main/main.c'), {
          appDoc: 'pushes a sample stream through the\n# pipeline and prints the top class of each window on the console',
          harness: false,
        }).files,
        ...within(`components/${facts.prefix}`, sources),
      ];
  }
}
