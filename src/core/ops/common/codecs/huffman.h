/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder of the canonical, length-limited Huffman streams of common/codecs/huffman.ts (entropy-coded weight
 * values and sparse column gaps): a layer builds one table per stream in its scratch from the stored
 * code-length counts and symbols (nothing but those is kept in flash), then decodes one row at a
 * time into scratch. No allocation; every code is at most TF_HUFF_MAX_BITS long.
 *
 * Decoding: a 32-bit window holds the next bits MSB first; its top TF_HUFF_FAST_BITS bits index a
 * table giving (length << 8 | symbol) for every code of at most that many bits, in one load. Longer
 * codes (rare by construction: they are the least frequent symbols) take the canonical walk over the
 * remaining lengths.
 */
#ifndef TF_HUFFMAN_H
#define TF_HUFFMAN_H

#include <stdint.h>

#define TF_HUFF_MAX_BITS 12
#define TF_HUFF_FAST_BITS 8

typedef struct {
  /* (code length << 8) | symbol for each value of the next TF_HUFF_FAST_BITS bits; 0: a longer code */
  uint16_t fast[1 << TF_HUFF_FAST_BITS];
  /* per code length l: the first canonical code of that length, its index in symbols, the count */
  uint32_t first[TF_HUFF_MAX_BITS + 2];
  int16_t index[TF_HUFF_MAX_BITS + 2];
  int16_t count[TF_HUFF_MAX_BITS + 2];
  const uint8_t *symbols;
} tf_huff_table;

/* huffman.ts's HUFFMAN_TABLE_BYTES: the scratch the compiler reserves per table */
#define TF_HUFF_TABLE_BYTES ((2 * (1 << TF_HUFF_FAST_BITS) + 8 * (TF_HUFF_MAX_BITS + 2) + 8 + 15) & ~15)
typedef char tf_huff_table_fits_its_scratch[sizeof(tf_huff_table) <= TF_HUFF_TABLE_BYTES ? 1 : -1];

typedef struct {
  const uint8_t *next; /* the next byte to load into the window */
  uint32_t window;     /* the next `avail` bits, MSB first */
  int avail;
} tf_huff_reader;

/* GCC would turn the zeroing loop below into a call to memset, which links newlib's speed-tuned one (162
 * bytes on the M4) into a model that needs no other: the attribute keeps it a loop. */
#if defined(__GNUC__) && !defined(__clang__)
#define TF_HUFF_PLAIN_LOOP __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define TF_HUFF_PLAIN_LOOP
#endif

/* Fills `t` from the canonical code: `length_counts[l - 1]` symbols of length l, `symbols` in code order.
 * Canonical codes of at most TF_HUFF_FAST_BITS bits fill the fast table from slot 0 up without a gap, so
 * only the slots after them (the prefixes of longer codes) are zeroed. */
static inline TF_HUFF_PLAIN_LOOP void tf_huff_build(tf_huff_table *t, const uint8_t *length_counts, const uint8_t *symbols) {
  uint32_t code = 0;
  int index = 0;
  uint32_t filled = 0;
  t->symbols = symbols;
  t->first[0] = 0;
  t->index[0] = 0;
  t->count[0] = 0;
  for (int l = 1; l <= TF_HUFF_MAX_BITS; ++l) {
    const int n = length_counts[l - 1];
    t->first[l] = code;
    t->index[l] = (int16_t)index;
    t->count[l] = (int16_t)n;
    if (l <= TF_HUFF_FAST_BITS) {
      /* every FAST_BITS-bit pattern that starts with this code decodes to it */
      const int span = 1 << (TF_HUFF_FAST_BITS - l);
      for (int j = 0; j < n; ++j) {
        const uint16_t entry = (uint16_t)((l << 8) | symbols[index + j]);
        uint16_t *slot = &t->fast[(code + (uint32_t)j) << (TF_HUFF_FAST_BITS - l)];
        for (int k = 0; k < span; ++k) slot[k] = entry;
      }
      filled = (code + (uint32_t)n) << (TF_HUFF_FAST_BITS - l);
    }
    code = (code + (uint32_t)n) << 1;
    index += n;
  }
  for (uint32_t i = filled; i < (1u << TF_HUFF_FAST_BITS); ++i) t->fast[i] = 0;
  t->first[TF_HUFF_MAX_BITS + 1] = 0;
  t->index[TF_HUFF_MAX_BITS + 1] = (int16_t)index;
  t->count[TF_HUFF_MAX_BITS + 1] = 0;
}

/* Positions `r` at bit `bit_offset` of `stream` (the stream is padded so the window may read ahead). */
static inline void tf_huff_seek(tf_huff_reader *r, const uint8_t *stream, uint32_t bit_offset) {
  const uint8_t *p = stream + (bit_offset >> 3);
  const int skip = (int)(bit_offset & 7u);
  r->window = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
  r->window <<= skip;
  r->avail = 32 - skip;
  r->next = p + 4;
}

/* A code longer than TF_HUFF_FAST_BITS at the top of `window`: the canonical walk from FAST_BITS + 1. */
static inline uint32_t tf_huff_slow(const tf_huff_table *t, uint32_t window) {
  int l = TF_HUFF_FAST_BITS + 1;
  uint32_t code = window >> (32 - l);
  while (l < TF_HUFF_MAX_BITS && code - t->first[l] >= (uint32_t)t->count[l]) {
    ++l;
    code = window >> (32 - l);
  }
  return ((uint32_t)l << 8) | t->symbols[t->index[l] + (int)(code - t->first[l])];
}

/* Decodes the next `n` symbols of `r` into `out`. */
static inline void tf_huff_decode(const tf_huff_table *t, tf_huff_reader *r, uint8_t *out, int n) {
  const uint8_t *next = r->next;
  uint32_t window = r->window;
  int avail = r->avail;
  for (int i = 0; i < n; ++i) {
    /* keep at least 16 bits in the window (any code fits), refilled two bytes at a time: one refill per
     * two to three symbols on weight streams */
    if (avail < 16) {
      window |= (((uint32_t)next[0] << 8) | next[1]) << (16 - avail);
      next += 2;
      avail += 16;
    }
    uint32_t entry = t->fast[window >> (32 - TF_HUFF_FAST_BITS)];
    if (entry == 0) entry = tf_huff_slow(t, window);
    const int length = (int)(entry >> 8);
    out[i] = (uint8_t)entry;
    window <<= length;
    avail -= length;
  }
  r->next = next;
  r->window = window;
  r->avail = avail;
}

#endif /* TF_HUFFMAN_H */
