/* SPDX-License-Identifier: Apache-2.0 */
/* Byte moves of the harness and the startup code, as plain loops: the harness links no libc string
 * routine, since newlib's memcpy, memset and strlen for the bigger cores are speed-tuned (some 700
 * bytes together) and flash outside the model is what a user pays for the harness. None of these
 * copies is timed. GCC would turn such loops back into library calls; the attribute stops it. */
#ifndef TF_BYTES_H
#define TF_BYTES_H
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__)
#define TF_PLAIN_LOOP __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define TF_PLAIN_LOOP
#endif

static inline TF_PLAIN_LOOP void tf_copy_bytes(void *destination, const void *source, size_t length) {
  uint8_t *d = (uint8_t *)destination;
  const uint8_t *s = (const uint8_t *)source;
  while (length-- > 0u) *d++ = *s++;
}

static inline TF_PLAIN_LOOP void tf_fill_bytes(void *destination, uint8_t value, size_t length) {
  uint8_t *d = (uint8_t *)destination;
  while (length-- > 0u) *d++ = value;
}

/* strnlen: the length of `text`, at most `limit` */
static inline TF_PLAIN_LOOP size_t tf_text_length(const char *text, size_t limit) {
  size_t n = 0u;
  while (n < limit && text[n] != '\0') n++;
  return n;
}

#endif
