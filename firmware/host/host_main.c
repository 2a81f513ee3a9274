/*
 * The host harness (`--target host`): runs the generated model natively, for simulation and for the
 * sanitizer builds of the tests.
 *
 *   <executable> <input-file>
 *
 * The input file holds one or more cases back to back, each the model's input tensors concatenated
 * in input order (so its size must be a whole multiple of the total input bytes). For each case the
 * model's variable state is reset, the inputs are loaded, the model runs once, and the output
 * tensors, concatenated in output order, are written to stdout as raw bytes.
 *
 * Exit status: 0 success; 2 usage or input-file error; 3 model error (init/invoke returned
 * non-zero); 4 profiling hooks unbalanced. Errors go to stderr as one line starting "error: ".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define EXIT_USAGE 2
#define EXIT_MODEL 3
#define EXIT_PROFILE 4

/* Profiling hooks: on the host they only check that every layer is opened and closed once per
 * inference, in order, which catches codegen mistakes in the hook calls. */
static int open_layer = -1;
static int layers_seen;
static int profile_broken;

void tf_profile_layer_begin(int layer) {
  if (open_layer != -1 || layer != layers_seen) profile_broken = 1;
  open_layer = layer;
}

void tf_profile_layer_end(int layer) {
  if (open_layer != layer) profile_broken = 1;
  open_layer = -1;
  layers_seen++;
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
  if (argc != 2) return fail(EXIT_USAGE, "usage", "host-harness <input-file>");

  size_t file_bytes = 0;
  unsigned char *cases = read_file(argv[1], &file_bytes);
  if (!cases) return fail(EXIT_USAGE, "cannot read input file", argv[1]);

  size_t case_bytes = 0;
  for (int i = 0; i < TF_MODEL_NUM_INPUTS; i++) case_bytes += tf_model_input_bytes(i);
  if (case_bytes == 0 || file_bytes == 0 || file_bytes % case_bytes != 0) {
    char detail[160];
    snprintf(detail, sizeof detail, "%zu bytes is not a whole number of cases of %zu bytes (model %s)",
             file_bytes, case_bytes, TF_MODEL_NAME);
    free(cases);
    return fail(EXIT_USAGE, "input file size", detail);
  }

  if (tf_model_init() != 0) {
    free(cases);
    return fail(EXIT_MODEL, "tf_model_init failed", TF_MODEL_NAME);
  }

  int status = 0;
  for (size_t at = 0; at < file_bytes && status == 0; at += case_bytes) {
    tf_model_reset();
    const unsigned char *next = cases + at;
    for (int i = 0; i < TF_MODEL_NUM_INPUTS; i++) {
      memcpy(tf_model_input(i), next, tf_model_input_bytes(i));
      next += tf_model_input_bytes(i);
    }
    layers_seen = 0;
    if (tf_model_invoke() != 0) {
      status = fail(EXIT_MODEL, "tf_model_invoke failed", TF_MODEL_NAME);
      break;
    }
#ifdef TF_PROFILE
    if (profile_broken || open_layer != -1 || layers_seen != TF_MODEL_NUM_LAYERS) {
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
  if (fflush(stdout) != 0 && status == 0) status = fail(EXIT_USAGE, "cannot write outputs to stdout", NULL);
  return status;
}
