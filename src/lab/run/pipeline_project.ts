// SPDX-License-Identifier: Apache-2.0
/**
 * `compile FRONTEND MODEL --project make`: the pipeline's sources, a Makefile for the library and a
 * starter app that feeds a sample stream through tf_pipeline_push (tf_pipeline_push_rows for a
 * sensor stream) in blocks, as a microphone's DMA or a sensor's FIFO delivers them, and prints the
 * top class of every window.
 */
import { TinyforgeError } from '../../core/errors.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../core/codegen/banner.ts';
import { cArrayBody } from '../../core/ops/common/render.ts';
import type { GeneratedFile } from '../../core/codegen/generate.ts';
import type { TargetDescriptor } from '../../core/targets/targets.ts';
import { isCompiledSource } from '../toolchain/toolchain.ts';
import { exportCompiler } from '../toolchain/project_layouts.ts';
import type { CompiledPipeline, PipelineModels, PipelineStream } from './pipeline.ts';

/** The project kinds a pipeline is laid out as. */
export const PIPELINE_PROJECT_KINDS = ['make'] as const;

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

function starterApp(models: PipelineModels, labels: string[] | null, banner: string): GeneratedFile {
  const audio = models.shape.kind === 'audio';
  const labelTable = labels ? `static const char *const labels[] = { ${labels.map(cString).join(', ')} };\n` : '';
  const push = audio
    ? `  for (at = 0; at < TF_PIPELINE_SAMPLE_COUNT; at += ${AUDIO_BLOCK}u) {
    const size_t n = TF_PIPELINE_SAMPLE_COUNT - at < ${AUDIO_BLOCK}u ? TF_PIPELINE_SAMPLE_COUNT - at : ${AUDIO_BLOCK}u;
    if (tf_pipeline_push(tf_pipeline_sample + at, n) != TF_OK) {
      printf("tf_pipeline_push failed\\n");
      return 1;
    }
  }`
    : `  for (at = 0; at < TF_PIPELINE_SAMPLE_ROWS; at += ${SENSOR_BLOCK}u) {
    const size_t n = TF_PIPELINE_SAMPLE_ROWS - at < ${SENSOR_BLOCK}u ? TF_PIPELINE_SAMPLE_ROWS - at : ${SENSOR_BLOCK}u;
    if (tf_pipeline_push_rows(tf_pipeline_sample + at * TF_PIPELINE_FEATURES, n) != TF_OK) {
      printf("tf_pipeline_push_rows failed\\n");
      return 1;
    }
  }`;
  return {
    name: 'main.c',
    text: `${banner}/* The starter app: the sample stream of tf_pipeline_sample.h pushed ${audio ? `${AUDIO_BLOCK} samples` : `${SENSOR_BLOCK} rows`} at a time,
 * as ${audio ? "a microphone's DMA" : "a sensor's FIFO"} delivers it; one line per window with its top class. */
#include <stdio.h>
#include "tf_pipeline.h"
#include "tf_pipeline_sample.h"

${labelTable}static void on_result(const int8_t *scores, size_t count, void *user) {
  unsigned *window = (unsigned *)user;
  size_t best = 0, i;
  for (i = 1; i < count; ++i)
    if (scores[i] > scores[best]) best = i;
  printf("window %u: ${labels ? '%s' : 'class %u'} %d\\n", (*window)++, ${labels ? 'labels[best]' : '(unsigned)best'}, (int)scores[best]);
}

int main(void) {
  unsigned window = 0;
  size_t at;
  if (tf_pipeline_init() != TF_OK) {
    printf("tf_pipeline_init failed\\n");
    return 1;
  }
  tf_pipeline_on_result(on_result, &window);
${push}
  return 0;
}
`,
  };
}

function makefile(files: GeneratedFile[], target: TargetDescriptor, banner: string): GeneratedFile {
  const compiler = exportCompiler(target);
  const sources = files.filter((f) => isCompiledSource(f.name) && f.name !== 'main.c').map((f) => f.name);
  const headers = files.filter((f) => f.name.endsWith('.h')).map((f) => f.name);
  return {
    name: 'Makefile',
    text: `${banner}# libtf_pipeline.a (the models and tf_pipeline.c) for ${target.name}, and the starter app:
#   make        # the library
#   make app    # the starter app (main.c); it prints with printf: a C library with a console
#   make CC=my-gcc AR=my-ar CFLAGS="..."  # your own compiler and flags (ARCH_FLAGS, OPTIMIZE too)

LIBRARY := libtf_pipeline.a

ifeq ($(origin CC),default)
CC := ${compiler.cc}
endif
ifeq ($(origin AR),default)
AR := ${compiler.ar}
endif
ARCH_FLAGS ?= ${compiler.archFlags.join(' ')}
OPTIMIZE ?= ${compiler.optimize}
CFLAGS ?= ${compiler.cflags.join(' ')}

SOURCES := ${sources.join(' ')}
HEADERS := ${headers.join(' ')}
OBJECTS := $(SOURCES:=.o)

all: $(LIBRARY)

$(LIBRARY): $(OBJECTS)
\t$(AR) rcs $@ $(OBJECTS)

app: main.c $(LIBRARY) $(HEADERS)
\t$(CC) $(ARCH_FLAGS) $(OPTIMIZE) $(CFLAGS) $(CPPFLAGS) -I. main.c $(LIBRARY) $(LDFLAGS) -o $@

%.c.o: %.c $(HEADERS)
\t$(CC) $(ARCH_FLAGS) $(OPTIMIZE) $(CFLAGS) $(CPPFLAGS) -I. -c $< -o $@

%.S.o: %.S $(HEADERS)
\t$(CC) $(ARCH_FLAGS) $(OPTIMIZE) $(CFLAGS) $(CPPFLAGS) -I. -c $< -o $@

clean:
\trm -f $(LIBRARY) $(OBJECTS) app

.PHONY: all clean
`,
  };
}

/** The project's files: the pipeline's sources, the sample stream, the starter app and the Makefile. */
export function pipelineProjectFiles(
  kind: string,
  compiled: CompiledPipeline,
  models: PipelineModels,
  target: TargetDescriptor,
  stream: PipelineStream | null,
  labels: string[] | null,
): GeneratedFile[] {
  if (!(PIPELINE_PROJECT_KINDS as readonly string[]).includes(kind))
    throw new TinyforgeError(`--project ${kind}: a pipeline is laid out as ${PIPELINE_PROJECT_KINDS.join(', ')} for now`);
  const what = `Written by ${TOOL_NAME} ${TOOL_VERSION} for ${target.name}: the pipeline's starter project.`;
  const cBanner = `/* SPDX-License-Identifier: Apache-2.0\n * ${what}\n */\n`;
  const files = [...compiled.files, sampleHeader(models, stream, cBanner), starterApp(models, labels, cBanner)];
  return [...files, makefile(files, target, `# SPDX-License-Identifier: Apache-2.0\n# ${what}\n`)];
}
