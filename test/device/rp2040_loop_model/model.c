#include "model.h"

#include <string.h>

static uint8_t arena[TF_MODEL_ARENA_BYTES] __attribute__((aligned(4)));

int tf_model_init(void) { return 0; }
void tf_model_reset(void) {}

int tf_model_invoke(void) {
  uint32_t count;
  memcpy(&count, arena, sizeof count);
  if (count == 0u) return 1;
  /* The code around the loop is the same for every count. */
  __asm__ volatile(
      ".syntax unified\n"
      "1:\n\t"
      "subs %0, %0, #1\n\t"
      "bne 1b\n"
      : "+r"(count)
      :
      : "cc");
  memcpy(arena + 4, arena, 4);
  return 0;
}

void *tf_model_input(int i) { return i == 0 ? arena : (void *)0; }
void *tf_model_output(int i) { return i == 0 ? arena + 4 : (void *)0; }
size_t tf_model_input_bytes(int i) { return i == 0 ? 4u : 0u; }
size_t tf_model_output_bytes(int i) { return i == 0 ? 4u : 0u; }
