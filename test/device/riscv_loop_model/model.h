/*
 * A stand-in model for timing checks on RISC-V: the input is a little-endian uint32 N and
 * tf_model_invoke runs a two-instruction loop (addi, bnez) N times, so two cases differ by exactly
 * 2 * (N2 - N1) instructions. The output echoes N.
 */
#ifndef TF_LOOP_MODEL_H
#define TF_LOOP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define TF_MODEL_NAME "timing_loop"
#define TF_MODEL_NUM_INPUTS 1
#define TF_MODEL_NUM_OUTPUTS 1
#define TF_MODEL_ARENA_BYTES 8u
#define TF_MODEL_NUM_LAYERS 1

int tf_model_init(void);
void tf_model_reset(void);
int tf_model_invoke(void);
void *tf_model_input(int i);
void *tf_model_output(int i);
size_t tf_model_input_bytes(int i);
size_t tf_model_output_bytes(int i);

void tf_profile_layer_begin(int layer);
void tf_profile_layer_end(int layer);

#endif
