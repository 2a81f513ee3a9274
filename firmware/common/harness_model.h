/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the device harness knows of the model it runs, defined by harness_model.c: the one unit of
 * the harness that includes the model's header. harness.c includes only this, so its object is the
 * same for every model built for a board with the same flags, and the object cache serves it
 * (src/lab/toolchain/object_cache.ts) instead of compiling it again for each model.
 */
#ifndef TF_HARNESS_MODEL_H
#define TF_HARNESS_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* TF_MODEL_ARENA_BYTES, the counts and the name of the model's header; TF_BUILD_ID of the build */
extern const uint32_t tf_harness_arena_bytes;
extern const int tf_harness_num_inputs;
extern const int tf_harness_num_outputs;
extern const int tf_harness_num_layers;
extern const char tf_harness_model_name[];
extern const uint64_t tf_harness_build_id;

/* tf_harness_num_layers + 1 per-layer counters: the last is the empty layer the hooks' own cost is
 * measured with */
extern uint64_t tf_harness_layer_ticks[];

/* The arena's first byte where the build knows it (a caller's arena, or
 * TF_HARNESS_INPUT0_ARENA_OFFSET given), else NULL: no painting for "arena used", no READ_TENSOR. */
uint8_t *tf_harness_arena_base(void);

/* The model's API under names that do not depend on its prefix. init returns 0 on success. */
int tf_harness_model_init(void);
int tf_harness_model_invoke(void);
void tf_harness_model_reset(void);
void *tf_harness_model_input(int index);
void *tf_harness_model_output(int index);
size_t tf_harness_model_input_bytes(int index);
size_t tf_harness_model_output_bytes(int index);

#endif
