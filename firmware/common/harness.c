/*
 * The test harness that runs on the board: it feeds the cases the build step baked into cases.c to
 * the generated model, times each inference with the board's counter and prints one line per fact.
 *
 *   TF HELLO model=<name> counter=<counter>
 *   TF CASE <i> TICKS <n> OUT <hex of all outputs concatenated>
 *   TF LAYER <i> <layer> TICKS <n>              (only when built with -DTF_PROFILE)
 *   TF MEM arena=<bytes> stack=<bytes> stack_invoke=<bytes>
 *   TF DONE
 *   TF ERROR <what went wrong>                  (then the board exits with a non-zero status)
 *
 * `stack` is the deepest the stack ever went since reset (painted at reset); `stack_invoke` is the
 * deepest any single tf_model_invoke went below the harness's own frame (repainted before each).
 * The model's variable state is cleared before every case so that each case is a first inference.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "platform.h"

extern const unsigned tf_num_cases;
extern const uint8_t *const tf_case_inputs[];
extern const size_t tf_case_bytes[];

/* ---- console formatting (no printf: newlib-nano's lacks 64-bit integers and costs flash) ---- */

static void put_text(const char *text) { tf_platform_write(text, strlen(text)); }

static void put_u64(uint64_t value) {
  char digits[21];
  size_t at = sizeof digits;
  do {
    digits[--at] = (char)('0' + (unsigned)(value % 10u));
    value /= 10u;
  } while (value != 0u);
  tf_platform_write(digits + at, sizeof digits - at);
}

static void put_hex(const uint8_t *bytes, size_t length) {
  static const char nibbles[] = "0123456789abcdef";
  char chunk[64];
  size_t used = 0;
  for (size_t i = 0; i < length; i++) {
    chunk[used++] = nibbles[bytes[i] >> 4];
    chunk[used++] = nibbles[bytes[i] & 0x0fu];
    if (used == sizeof chunk) {
      tf_platform_write(chunk, used);
      used = 0;
    }
  }
  tf_platform_write(chunk, used);
}

static void fail(const char *what, unsigned case_index, int has_case) __attribute__((noreturn));
static void fail(const char *what, unsigned case_index, int has_case) {
  put_text("TF ERROR ");
  put_text(what);
  if (has_case) {
    put_text(" in case ");
    put_u64(case_index);
  }
  put_text("\n");
  tf_platform_exit(1);
}

/* ---- per-layer profiling hooks, called by model.c when it is built with -DTF_PROFILE ---- */

static uint64_t layer_started_at;
static uint64_t layer_ticks[TF_MODEL_NUM_LAYERS + 1];

void tf_profile_layer_begin(int layer) {
  (void)layer;
  layer_started_at = tf_counter_now();
}

void tf_profile_layer_end(int layer) {
  uint64_t now = tf_counter_now();
  if (layer >= 0 && layer < TF_MODEL_NUM_LAYERS) layer_ticks[layer] += now - layer_started_at;
}

/* ---- the run ---- */

static size_t total_input_bytes(void) {
  size_t total = 0;
  for (int i = 0; i < TF_MODEL_NUM_INPUTS; i++) total += tf_model_input_bytes(i);
  return total;
}

static void load_case(const uint8_t *bytes) {
  for (int i = 0; i < TF_MODEL_NUM_INPUTS; i++) {
    size_t length = tf_model_input_bytes(i);
    memcpy(tf_model_input(i), bytes, length);
    bytes += length;
  }
}

static void print_case(unsigned index, uint64_t ticks) {
  put_text("TF CASE ");
  put_u64(index);
  put_text(" TICKS ");
  put_u64(ticks);
  put_text(" OUT ");
  for (int i = 0; i < TF_MODEL_NUM_OUTPUTS; i++) {
    put_hex((const uint8_t *)tf_model_output(i), tf_model_output_bytes(i));
  }
  put_text("\n");
#ifdef TF_PROFILE
  for (int layer = 0; layer < TF_MODEL_NUM_LAYERS; layer++) {
    put_text("TF LAYER ");
    put_u64(index);
    put_text(" ");
    put_u64((uint64_t)layer);
    put_text(" TICKS ");
    put_u64(layer_ticks[layer]);
    put_text("\n");
  }
#endif
}

int main(void) {
  tf_platform_init();
  put_text("TF HELLO model=" TF_MODEL_NAME " counter=");
  put_text(tf_counter_name);
  put_text("\n");

  if (tf_model_init() != 0) fail("tf_model_init failed", 0, 0);

  const size_t input_bytes = total_input_bytes();
  size_t stack_high_water = 0;
  size_t stack_invoke = 0;

  for (unsigned c = 0; c < tf_num_cases; c++) {
    if (tf_case_bytes[c] != input_bytes) fail("case size differs from the model's input bytes", c, 1);
    tf_model_reset();
    load_case(tf_case_inputs[c]);
    memset(layer_ticks, 0, sizeof layer_ticks);

    /* Repainting forgets how deep earlier code went, so fold that in first. */
    size_t so_far = tf_stack_high_water();
    if (so_far > stack_high_water) stack_high_water = so_far;
    const uintptr_t mark = tf_stack_pointer();
    tf_stack_repaint_free();

    const uint64_t started = tf_counter_now();
    const int status = tf_model_invoke();
    const uint64_t finished = tf_counter_now();

    size_t depth = tf_stack_used_below(mark);
    if (depth > stack_invoke) stack_invoke = depth;
    if (status != 0) fail("tf_model_invoke failed", c, 1);
    print_case(c, finished - started);
  }

  size_t so_far = tf_stack_high_water();
  if (so_far > stack_high_water) stack_high_water = so_far;
  if (stack_high_water >= tf_stack_capacity()) fail("stack overflow (high-water reached the stack's limit)", 0, 0);
  put_text("TF MEM arena=");
  put_u64(TF_MODEL_ARENA_BYTES);
  put_text(" stack=");
  put_u64(stack_high_water);
  put_text(" stack_invoke=");
  put_u64(stack_invoke);
  put_text("\nTF DONE\n");
  tf_platform_exit(0);
}
