/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stack measurement by painting, shared by every bare-metal firmware: the start-up code fills the
 * stack region [__stack_limit, __stack_top) with TF_STACK_PATTERN and each platform file repaints the
 * free part below the caller's frame (tf_stack_repaint_free, which must know its own stack pointer and
 * so stays per architecture); what is read back here is plain C over the linker script's symbols.
 */
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "stack_paint.h"

extern uint32_t __stack_limit[], __stack_top[];

/* The lowest word that no longer holds the pattern, or the top if none was touched. */
static const uint32_t *lowest_touched(void) {
  const uint32_t *word = __stack_limit;
  while (word < __stack_top && *word == TF_STACK_PATTERN) word++;
  return word;
}

size_t tf_stack_high_water(void) { return (size_t)((uintptr_t)__stack_top - (uintptr_t)lowest_touched()); }

size_t tf_stack_capacity(void) { return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit); }

size_t tf_stack_used_below(uintptr_t mark) {
  uintptr_t lowest = (uintptr_t)lowest_touched();
  return lowest < mark ? (size_t)(mark - lowest) : 0u;
}
