/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host harness (`--target host`): runs the generated model natively, for simulation and for the
 * sanitizer builds of the tests.
 *
 *   <executable> <input-file> [<layers-file>]
 *
 * The input file holds one or more cases back to back, each the model's input tensors concatenated
 * in input order (so its size must be a whole multiple of the total input bytes). For each case the
 * model's variable state is reset, the inputs are loaded, the model runs once, and the output
 * tensors, concatenated in output order, are written to stdout as raw bytes.
 *
 * With <layers-file> (profile builds given TF_HARNESS_INPUT0_ARENA_OFFSET, the arena offset of input 0),
 * after every layer of the last case the layer's position (uint32, little-endian) and the whole arena
 * are appended to that file, and the variable state carries over from case to case (as on a board and
 * in TFLite Micro) instead of being reset: `validate --reference` reads every layer's output from it.
 *
 * Exit status: 0 success; 2 usage or input-file error; 3 model error (init/invoke returned
 * non-zero); 4 profiling hooks unbalanced. Errors go to stderr as one line starting "error: ".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the model's API: TF_MODEL_HEADER names its <name>.h (the build passes it), model.h when not given */
#ifdef TF_MODEL_HEADER
#include TF_MODEL_HEADER
#else
#include "model.h"
#endif

#define EXIT_USAGE 2
#define EXIT_MODEL 3
#define EXIT_PROFILE 4

/* Profiling hooks: on the host they only check that layers are opened and closed once per
 * inference, in order, which catches codegen mistakes in the hook calls. Alias layers (RESHAPE) have
 * no code and no hooks, so positions may skip; `layers_seen` is the next position allowed. */
static int open_layer = -1;
static int layers_seen;
static int profile_broken;

void tf_profile_layer_begin(int layer) {
  if (open_layer != -1 || layer < layers_seen || layer >= TF_MODEL_NUM_LAYERS) profile_broken = 1;
  open_layer = layer;
}

#if defined(TF_PROFILE) && defined(TF_HARNESS_INPUT0_ARENA_OFFSET)
#define LAYER_DUMP 1
static FILE *layer_dump;
static int layer_dump_failed;
#endif

void tf_profile_layer_end(int layer) {
  if (open_layer != layer) profile_broken = 1;
  open_layer = -1;
  layers_seen = layer + 1;
#ifdef LAYER_DUMP
  if (layer_dump) {
    const unsigned char position[4] = {(unsigned char)layer, (unsigned char)(layer >> 8), (unsigned char)(layer >> 16),
                                       (unsigned char)(layer >> 24)};
    const unsigned char *arena = (const unsigned char *)tf_model_input(0) - (TF_HARNESS_INPUT0_ARENA_OFFSET);
    if (fwrite(position, 1, 4, layer_dump) != 4 || fwrite(arena, 1, TF_MODEL_ARENA_BYTES, layer_dump) != TF_MODEL_ARENA_BYTES)
      layer_dump_failed = 1;
  }
#endif
}

static int fail(int status, const char *what, const char *detail) {
  fprintf(stderr, "error: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  return status;
}

static unsigned char *read_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  size_t capacity = 4096, used = 0;
  unsigned char *bytes = malloc(capacity);
  while (bytes) {
    used += fread(bytes + used, 1, capacity - used, file);
    if (used < capacity) break;
    capacity *= 2;
    unsigned char *grown = realloc(bytes, capacity);
    if (!grown) free(bytes);
    bytes = grown;
  }
  int failed = ferror(file);
  fclose(file);
  if (failed) {
    free(bytes);
    return NULL;
  }
  *length = used;
  return bytes;
}

int main(int argc, char **argv) {
  /* --carry-state: the cases run back to back with the model's state (variable tensors) carried
   * from one to the next, as on a device fed a stream; without it each starts from reset state */
  int carry_state = 0;
  if (argc > 1 && strcmp(argv[1], "--carry-state") == 0) {
    carry_state = 1;
    argv++;
    argc--;
  }
#ifdef LAYER_DUMP
  if (argc != 2 && argc != 3) return fail(EXIT_USAGE, "usage", "host-harness [--carry-state] <input-file> [<layers-file>]");
#else
  if (argc != 2) return fail(EXIT_USAGE, "usage", "host-harness [--carry-state] <input-file>");
#endif

  size_t file_bytes = 0;
  unsigned char *cases = read_file(argv[1], &file_bytes);
  if (!cases) return fail(EXIT_USAGE, "cannot read input file", argv[1]);

  size_t case_bytes = 0;
  for (int i = 0; i < TF_MODEL_NUM_INPUTS; i++) case_bytes += tf_model_input_bytes(i);
  if (case_bytes == 0 || file_bytes == 0 || file_bytes % case_bytes != 0) {
    char detail[160];
    snprintf(detail, sizeof detail, "%zu bytes is not a whole number of cases of %zu bytes (model %s)", file_bytes, case_bytes,
             TF_MODEL_NAME);
    free(cases);
    return fail(EXIT_USAGE, "input file size", detail);
  }

#if defined(TF_MODEL_CALLER_ARENA)
  /* a model compiled with --arena caller runs in this buffer, started at the alignment model.h asks */
  static unsigned char arena_storage[TF_MODEL_ARENA_BYTES + TF_MODEL_ARENA_ALIGN];
  unsigned char *arena = arena_storage + (TF_MODEL_ARENA_ALIGN - (size_t)arena_storage % TF_MODEL_ARENA_ALIGN) % TF_MODEL_ARENA_ALIGN;
  if (tf_model_init(arena, TF_MODEL_ARENA_BYTES) != TF_OK) {
#else
  if (tf_model_init() != 0) {
#endif
    free(cases);
    return fail(EXIT_MODEL, "tf_model_init failed", TF_MODEL_NAME);
  }

  int status = 0;
  for (size_t at = 0; at < file_bytes && status == 0; at += case_bytes) {
#ifdef LAYER_DUMP
    if ((argc != 3 && !carry_state) || at == 0) tf_model_reset(); /* with a layers file the state carries over, as on a board */
#else
    if (!carry_state || at == 0) tf_model_reset();
#endif
    const unsigned char *next = cases + at;
    for (int i = 0; i < TF_MODEL_NUM_INPUTS; i++) {
      memcpy(tf_model_input(i), next, tf_model_input_bytes(i));
      next += tf_model_input_bytes(i);
    }
    layers_seen = 0;
#ifdef LAYER_DUMP
    if (argc == 3 && at + case_bytes == file_bytes && !(layer_dump = fopen(argv[2], "wb"))) {
      status = fail(EXIT_USAGE, "cannot write layers file", argv[2]);
      break;
    }
#endif
    if (tf_model_invoke() != 0) {
      status = fail(EXIT_MODEL, "tf_model_invoke failed", TF_MODEL_NAME);
      break;
    }
#ifdef TF_PROFILE
    if (profile_broken || open_layer != -1) {
      status = fail(EXIT_PROFILE, "profiling hooks were not called once per layer in order", TF_MODEL_NAME);
      break;
    }
#endif
    for (int i = 0; i < TF_MODEL_NUM_OUTPUTS; i++) {
      size_t length = tf_model_output_bytes(i);
      if (fwrite(tf_model_output(i), 1, length, stdout) != length) {
        status = fail(EXIT_USAGE, "cannot write outputs to stdout", NULL);
        break;
      }
    }
  }
  free(cases);
#ifdef LAYER_DUMP
  if (layer_dump && (fclose(layer_dump) != 0 || layer_dump_failed) && status == 0)
    status = fail(EXIT_USAGE, "cannot write layers file", argv[2]);
#endif
  if (fflush(stdout) != 0 && status == 0) status = fail(EXIT_USAGE, "cannot write outputs to stdout", NULL);
  return status;
}
