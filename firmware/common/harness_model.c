/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The model's side of the device harness (harness_model.h): its facts and entry points, for
 * harness.c, which includes no model header. Compiled with every model; it is a few lines, so that
 * harness.c, the protocol, compiles once per board and flags.
 */
#include <stddef.h>
#include <stdint.h>

/* the model's API: TF_MODEL_HEADER names its <name>.h (the build passes it), model.h when not given */
#ifdef TF_MODEL_HEADER
#include TF_MODEL_HEADER
#else
#include "model.h"
#endif
#include "harness_model.h"

#ifndef TF_BUILD_ID
#define TF_BUILD_ID 0u
#endif

const uint32_t tf_harness_arena_bytes = (uint32_t)TF_MODEL_ARENA_BYTES;
const int tf_harness_num_inputs = TF_MODEL_NUM_INPUTS;
const int tf_harness_num_outputs = TF_MODEL_NUM_OUTPUTS;
const int tf_harness_num_layers = TF_MODEL_NUM_LAYERS;
const char tf_harness_model_name[] = TF_MODEL_NAME;
const uint64_t tf_harness_build_id = (uint64_t)(TF_BUILD_ID);

uint64_t tf_harness_layer_ticks[TF_MODEL_NUM_LAYERS + 1];

#if defined(TF_MODEL_CALLER_ARENA)
/* a model compiled with --arena caller runs in this buffer, started at the alignment model.h asks */
static uint8_t arena_storage[TF_MODEL_ARENA_BYTES + TF_MODEL_ARENA_ALIGN];
uint8_t *tf_harness_arena_base(void) {
  return arena_storage + (TF_MODEL_ARENA_ALIGN - (size_t)arena_storage % TF_MODEL_ARENA_ALIGN) % TF_MODEL_ARENA_ALIGN;
}
int tf_harness_model_init(void) { return tf_model_init(tf_harness_arena_base(), TF_MODEL_ARENA_BYTES) == TF_OK ? 0 : 1; }
#else
#if defined(TF_HARNESS_INPUT0_ARENA_OFFSET)
uint8_t *tf_harness_arena_base(void) { return (uint8_t *)tf_model_input(0) - (TF_HARNESS_INPUT0_ARENA_OFFSET); }
#else
uint8_t *tf_harness_arena_base(void) { return NULL; }
#endif
int tf_harness_model_init(void) { return tf_model_init() != 0; }
#endif

/* A real call, never a tail jump: the timing model finds the end of an inference at the return
 * address of a call to the model's invoke (src/lab/estimate/timing/index.ts findMarks). */
static volatile uint32_t invocations;
int tf_harness_model_invoke(void) {
  const int status = (int)tf_model_invoke();
  invocations++;
  return status;
}
void tf_harness_model_reset(void) { tf_model_reset(); }
void *tf_harness_model_input(int index) { return tf_model_input(index); }
void *tf_harness_model_output(int index) { return tf_model_output(index); }
size_t tf_harness_model_input_bytes(int index) { return tf_model_input_bytes(index); }
size_t tf_harness_model_output_bytes(int index) { return tf_model_output_bytes(index); }
