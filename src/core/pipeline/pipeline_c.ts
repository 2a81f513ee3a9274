// SPDX-License-Identifier: Apache-2.0
/**
 * tf_pipeline.h / tf_pipeline.c: the stream of stream.ts in C, next to the models' own files. Only
 * each model's public API is called (init, invoke, input, output), so the models may have arenas of
 * their own or share one: the pipeline's buffers (the partial frame and the ring of feature vectors)
 * are its own static arrays, and a model's input is written just before its invoke.
 */
import { shortFloatLiteral } from '../codegen/generate.ts';
import type { GeneratedFile } from '../codegen/generate.ts';
import type { StreamShape } from './stream.ts';

export interface PipelineModels {
  /** the front-end's C prefix (`tf_<name>`), its header; absent for a sensor stream */
  frontEnd?: { prefix: string; header: string };
  model: { prefix: string; header: string; scores: number; inputScale: number; inputZeroPoint: number };
  /** the first line of each file's comment after the licence: what made it */
  banner: string;
}

export const PIPELINE_HEADER = 'tf_pipeline.h';
export const PIPELINE_SOURCE = 'tf_pipeline.c';

function headerText(shape: StreamShape, m: PipelineModels): string {
  const audio = shape.kind === 'audio';
  const push = audio
    ? `/* Feeds samples, any number at a time (a microphone's DMA buffers): a partial frame is kept until
 * the next call. Runs the front-end on each whole frame and the model each time the window of
 * frames fills again, calling the callbacks from inside this call. Returns TF_OK, TF_ERROR_NOT_INITIALIZED
 * before tf_pipeline_init, TF_ERROR_NULL_POINTER for NULL samples with a count, or a model's status. */
tf_status_t tf_pipeline_push(const int16_t *samples, size_t count);`
    : `/* Feeds rows of TF_PIPELINE_FEATURES real values each (one time step of every channel, in the
 * units the model was trained on, e.g. an IMU's m/s^2 and rad/s), row after row: \`rows\` holds
 * row_count * TF_PIPELINE_FEATURES floats. Each row is quantized with the model input's scale and
 * zero point into the ring; the model runs each time TF_PIPELINE_WINDOW_STRIDE new rows complete a
 * window. Returns as tf_pipeline_push of an audio pipeline does. */
tf_status_t tf_pipeline_push_rows(const float *rows, size_t row_count);`;
  return `/* SPDX-License-Identifier: Apache-2.0
 * ${m.banner}
 * tf_pipeline.h: ${audio ? 'int16 samples in, through the front-end and the model, scores out' : 'sensor rows in, through the model, scores out'}.
 */
#ifndef TF_PIPELINE_H
#define TF_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The status every tinyforge model returns (one definition however many headers a file includes). */
#ifndef TF_STATUS_DEFINED
#define TF_STATUS_DEFINED
typedef enum {
  TF_OK = 0,
  TF_ERROR_ARENA_TOO_SMALL = 1,
  TF_ERROR_ARENA_MISALIGNED = 2,
  TF_ERROR_NOT_INITIALIZED = 3,
  TF_ERROR_BAD_INDEX = 4,
  TF_ERROR_BAD_COUNT = 5,
  TF_ERROR_NULL_POINTER = 6,
  TF_ERROR_NOT_QUANTIZED = 7
} tf_status_t;
#endif

/* ${audio ? "samples in one frame (the front-end's input) and from one frame's start to the next's" : 'a frame is one row of the stream'} */
#define TF_PIPELINE_FRAME_SAMPLES ${shape.frameSamples}u
#define TF_PIPELINE_HOP_SAMPLES ${shape.hop}u
/* int8 values of one frame's feature vector${audio ? " (the front-end's output)" : ' (channels of a row)'} */
#define TF_PIPELINE_FEATURES ${shape.features}u
/* frames the model's input holds, and new frames between two runs of the model */
#define TF_PIPELINE_FRAMES ${shape.frames}u
#define TF_PIPELINE_WINDOW_STRIDE ${shape.windowStride}u
/* int8 scores the result callback gets: the model's output 0 */
#define TF_PIPELINE_SCORES ${m.model.scores}u

/* Called with the model's output 0 after each run; other outputs are at the model's own
 * ${m.model.prefix}_output(i) during the call. */
typedef void (*tf_pipeline_result_fn)(const int8_t *scores, size_t count, void *user);
/* Called with each frame's feature vector as it enters the ring. */
typedef void (*tf_pipeline_frame_fn)(const int8_t *features, size_t count, void *user);

/* Initialises ${audio ? 'both models' : 'the model'} and empties the stream. Returns TF_OK or a model's status. */
tf_status_t tf_pipeline_init(void);
/* Empties the stream (partial frame, ring) and clears the models' state; the callbacks stay. */
void tf_pipeline_reset(void);
/* Registers the callbacks (NULL: none), with a pointer passed back to them. */
void tf_pipeline_on_result(tf_pipeline_result_fn fn, void *user);
void tf_pipeline_on_frame(tf_pipeline_frame_fn fn, void *user);
${push}

/* Cost hooks, called around each front-end${audio ? '' : ' (none here: rows are only quantized)'} and model run only when built
 * with -DTF_PIPELINE_PROFILE; the application defines them. stage 0: a frame, 1: a window. */
void tf_pipeline_profile_begin(int stage);
void tf_pipeline_profile_end(int stage);

#ifdef __cplusplus
}
#endif

#endif /* TF_PIPELINE_H */
`;
}

const AUDIO_STATE = `/* the next frame's samples, tf_pipeline_fill of them so far */
static int16_t tf_pipeline_frame[TF_PIPELINE_FRAME_SAMPLES];
static size_t tf_pipeline_fill;
/* samples still to drop before the next frame starts (a hop longer than a frame) */
static size_t tf_pipeline_skip;
`;

function sourceText(shape: StreamShape, m: PipelineModels): string {
  const fe = m.frontEnd;
  const md = m.model;
  const audio = shape.kind === 'audio';
  const includes = [fe ? `#include "${fe.header}"` : null, `#include "${md.header}"`].filter((l) => l !== null).join('\n');
  const checks = shapeChecks(m);
  return `/* SPDX-License-Identifier: Apache-2.0
 * ${m.banner}
 * tf_pipeline.c: the stream's framing, the ring of feature vectors and the runs of the model${fe ? 's' : ''}.
 * Static buffers only, sized at compile time; no malloc.
 */
#define TF_MODEL_NO_ALIASES
#include "${PIPELINE_HEADER}"
${includes}

#include <string.h>

/* compile-time checks: the models' headers have the shapes this file was generated for */
${checks}

/* the last TF_PIPELINE_FRAMES feature vectors; tf_pipeline_next is the oldest's slot (the next to overwrite) */
static int8_t tf_pipeline_ring[TF_PIPELINE_FRAMES * TF_PIPELINE_FEATURES];
static size_t tf_pipeline_next;
/* frames until the model runs next: TF_PIPELINE_FRAMES from the start, then TF_PIPELINE_WINDOW_STRIDE */
static size_t tf_pipeline_until_run;
static int tf_pipeline_ready;
static tf_pipeline_result_fn tf_pipeline_result;
static void *tf_pipeline_result_user;
static tf_pipeline_frame_fn tf_pipeline_frame_cb;
static void *tf_pipeline_frame_user;
${audio ? AUDIO_STATE : ''}
void tf_pipeline_on_result(tf_pipeline_result_fn fn, void *user) {
  tf_pipeline_result = fn;
  tf_pipeline_result_user = user;
}

void tf_pipeline_on_frame(tf_pipeline_frame_fn fn, void *user) {
  tf_pipeline_frame_cb = fn;
  tf_pipeline_frame_user = user;
}

static void tf_pipeline_empty(void) {
${audio ? '  tf_pipeline_fill = 0;\n  tf_pipeline_skip = 0;\n' : ''}  tf_pipeline_next = 0;
  tf_pipeline_until_run = TF_PIPELINE_FRAMES;
}

tf_status_t tf_pipeline_init(void) {
  tf_status_t status;
${fe ? `  status = ${fe.prefix}_init();\n  if (status != TF_OK) return status;\n` : ''}  status = ${md.prefix}_init();
  if (status != TF_OK) return status;
  tf_pipeline_empty();
  tf_pipeline_ready = 1;
  return TF_OK;
}

void tf_pipeline_reset(void) {
${fe ? `  ${fe.prefix}_reset();\n` : ''}  ${md.prefix}_reset();
  tf_pipeline_empty();
}

/* The model on the ring, oldest frame first. */
static tf_status_t tf_pipeline_run_window(void) {
  tf_status_t status;
  int8_t *input = (int8_t *)${md.prefix}_input(0);
  const size_t older = (TF_PIPELINE_FRAMES - tf_pipeline_next) * TF_PIPELINE_FEATURES;
  if (input == (int8_t *)0) return TF_ERROR_NOT_INITIALIZED;
  memcpy(input, tf_pipeline_ring + tf_pipeline_next * TF_PIPELINE_FEATURES, older);
  memcpy(input + older, tf_pipeline_ring, tf_pipeline_next * TF_PIPELINE_FEATURES);
#ifdef TF_PIPELINE_PROFILE
  tf_pipeline_profile_begin(1);
#endif
  status = ${md.prefix}_invoke();
#ifdef TF_PIPELINE_PROFILE
  tf_pipeline_profile_end(1);
#endif
  if (status != TF_OK) return status;
  if (tf_pipeline_result != (tf_pipeline_result_fn)0)
    tf_pipeline_result((const int8_t *)${md.prefix}_output(0), TF_PIPELINE_SCORES, tf_pipeline_result_user);
  return TF_OK;
}

/* One feature vector into the ring; the model runs when it completes a window. */
static tf_status_t tf_pipeline_add_frame(const int8_t *features) {
  int8_t *slot = tf_pipeline_ring + tf_pipeline_next * TF_PIPELINE_FEATURES;
  memcpy(slot, features, TF_PIPELINE_FEATURES);
  if (tf_pipeline_frame_cb != (tf_pipeline_frame_fn)0) tf_pipeline_frame_cb(slot, TF_PIPELINE_FEATURES, tf_pipeline_frame_user);
  tf_pipeline_next = tf_pipeline_next + 1 == TF_PIPELINE_FRAMES ? 0 : tf_pipeline_next + 1;
  if (--tf_pipeline_until_run > 0) return TF_OK;
  tf_pipeline_until_run = TF_PIPELINE_WINDOW_STRIDE;
  return tf_pipeline_run_window();
}
${audio ? audioPushText(shape, m) : sensorPushText(m)}`;
}

/** Compile-time checks that the models' headers have the shapes the pipeline was generated for. */
function shapeChecks(m: PipelineModels): string {
  const fe = m.frontEnd;
  const MD = m.model.prefix.toUpperCase();
  return [
    fe ? `typedef char tf_pipeline_frame_matches[(${fe.prefix.toUpperCase()}_INPUT0_ELEMENTS == TF_PIPELINE_FRAME_SAMPLES) ? 1 : -1];` : null,
    fe ? `typedef char tf_pipeline_features_match[(${fe.prefix.toUpperCase()}_OUTPUT0_ELEMENTS == TF_PIPELINE_FEATURES) ? 1 : -1];` : null,
    `typedef char tf_pipeline_window_matches[(${MD}_INPUT0_ELEMENTS == TF_PIPELINE_FRAMES * TF_PIPELINE_FEATURES) ? 1 : -1];`,
    `typedef char tf_pipeline_scores_match[(${MD}_OUTPUT0_ELEMENTS == TF_PIPELINE_SCORES) ? 1 : -1];`,
  ]
    .filter((l) => l !== null)
    .join('\n');
}

/** The audio stream's framing: samples into frames, each frame through the front-end into the ring. */
function audioPushText(shape: StreamShape, m: PipelineModels): string {
  // the frame buffer keeps the overlap of two frames, or counts the samples a hop longer than a frame skips
  const afterFrame =
    shape.hop < shape.frameSamples
      ? `      memmove(tf_pipeline_frame, tf_pipeline_frame + TF_PIPELINE_HOP_SAMPLES, (TF_PIPELINE_FRAME_SAMPLES - TF_PIPELINE_HOP_SAMPLES) * sizeof(int16_t));
      tf_pipeline_fill = TF_PIPELINE_FRAME_SAMPLES - TF_PIPELINE_HOP_SAMPLES;`
      : `      tf_pipeline_fill = 0;
      tf_pipeline_skip = TF_PIPELINE_HOP_SAMPLES - TF_PIPELINE_FRAME_SAMPLES;`;
  return `
static tf_status_t tf_pipeline_run_frame(void) {
  tf_status_t status;
  int16_t *input = (int16_t *)${m.frontEnd?.prefix}_input(0);
  const int8_t *features;
  if (input == (int16_t *)0) return TF_ERROR_NOT_INITIALIZED;
  memcpy(input, tf_pipeline_frame, sizeof(tf_pipeline_frame));
#ifdef TF_PIPELINE_PROFILE
  tf_pipeline_profile_begin(0);
#endif
  status = ${m.frontEnd?.prefix}_invoke();
#ifdef TF_PIPELINE_PROFILE
  tf_pipeline_profile_end(0);
#endif
  if (status != TF_OK) return status;
  features = (const int8_t *)${m.frontEnd?.prefix}_output(0);
  if (features == (const int8_t *)0) return TF_ERROR_NOT_INITIALIZED;
  return tf_pipeline_add_frame(features);
}

tf_status_t tf_pipeline_push(const int16_t *samples, size_t count) {
  if (!tf_pipeline_ready) return TF_ERROR_NOT_INITIALIZED;
  if (samples == (const int16_t *)0 && count > 0) return TF_ERROR_NULL_POINTER;
  while (count > 0) {
    size_t take;
    if (tf_pipeline_skip > 0) {
      take = count < tf_pipeline_skip ? count : tf_pipeline_skip;
      tf_pipeline_skip -= take;
      samples += take;
      count -= take;
      continue;
    }
    take = TF_PIPELINE_FRAME_SAMPLES - tf_pipeline_fill;
    if (take > count) take = count;
    memcpy(tf_pipeline_frame + tf_pipeline_fill, samples, take * sizeof(int16_t));
    tf_pipeline_fill += take;
    samples += take;
    count -= take;
    if (tf_pipeline_fill == TF_PIPELINE_FRAME_SAMPLES) {
      tf_status_t status = tf_pipeline_run_frame();
${afterFrame}
      if (status != TF_OK) return status;
    }
  }
  return TF_OK;
}
`;
}

/** The sensor stream's framing: each row of real values quantized into the ring. */
function sensorPushText(m: PipelineModels): string {
  return `
/* One real value to int8 with the model input's scale and zero point, as ${m.model.prefix}_quantize_input
 * does: round(x / scale) half away from zero, plus the zero point, clamped; NaN gives the zero point. */
static int8_t tf_pipeline_quantize(float x) {
  float v = x / ${shortFloatLiteral(m.model.inputScale)};
  int64_t q = ${m.model.inputZeroPoint};
  if (v == v) {
    int32_t whole;
    float frac;
    if (v > 2147483520.0f) v = 2147483520.0f;
    if (v < -2147483520.0f) v = -2147483520.0f;
    whole = (int32_t)v;
    frac = v - (float)whole;
    q += whole;
    if (frac >= 0.5f) q++;
    else if (frac <= -0.5f) q--;
  }
  return (int8_t)(q < INT8_MIN ? INT8_MIN : q > INT8_MAX ? INT8_MAX : q);
}

tf_status_t tf_pipeline_push_rows(const float *rows, size_t row_count) {
  int8_t row[TF_PIPELINE_FEATURES];
  if (!tf_pipeline_ready) return TF_ERROR_NOT_INITIALIZED;
  if (rows == (const float *)0 && row_count > 0) return TF_ERROR_NULL_POINTER;
  for (; row_count > 0; --row_count, rows += TF_PIPELINE_FEATURES) {
    size_t c;
    tf_status_t status;
    for (c = 0; c < TF_PIPELINE_FEATURES; ++c) row[c] = tf_pipeline_quantize(rows[c]);
    status = tf_pipeline_add_frame(row);
    if (status != TF_OK) return status;
  }
  return TF_OK;
}
`;
}

/** tf_pipeline.h and tf_pipeline.c for a stream of this shape through these compiled models. */
export function generatePipelineC(shape: StreamShape, models: PipelineModels): GeneratedFile[] {
  return [
    { name: PIPELINE_HEADER, text: headerText(shape, models) },
    { name: PIPELINE_SOURCE, text: sourceText(shape, models) },
  ];
}
