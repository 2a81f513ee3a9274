/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The main of the ESP32-S3 kernel checks (esp32s3-check-start.S): a generated model's cases, back to
 * back in tf_check_inputs, each run from reset state, every output written over semihosting
 * SYS_write to stdout. The compiler has no C library: the four memory functions the generated C
 * calls are here (built with -fno-tree-loop-distribute-patterns, so their loops stay loops), and the
 * 64-bit multiply its libgcc lacks.
 */
#include <stddef.h>
#include <stdint.h>
#include TF_MODEL_HEADER

extern const unsigned char tf_check_inputs[];
extern const int tf_check_cases;

void *memcpy(void *restrict destination, const void *restrict source, size_t length);
void *memmove(void *destination, const void *source, size_t length);
void *memset(void *destination, int value, size_t length);
int memcmp(const void *a, const void *b, size_t length);
int main(void);

void *memcpy(void *restrict destination, const void *restrict source, size_t length) {
  unsigned char *d = destination;
  const unsigned char *s = source;
  while (length--) *d++ = *s++;
  return destination;
}

void *memmove(void *destination, const void *source, size_t length) {
  unsigned char *d = destination;
  const unsigned char *s = source;
  if (d < s)
    while (length--) *d++ = *s++;
  else
    while (length--) d[length] = s[length];
  return destination;
}

void *memset(void *destination, int value, size_t length) {
  unsigned char *d = destination;
  while (length--) *d++ = (unsigned char)value;
  return destination;
}

int memcmp(const void *a, const void *b, size_t length) {
  const unsigned char *x = a, *y = b;
  for (; length--; ++x, ++y)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

/* 64-bit multiply (the compiler's libgcc lacks it): from 16 x 16-bit products, which fit 32 bits */
long long __muldi3(long long a, long long b);
static unsigned long long mul32x32(uint32_t a, uint32_t b) {
  const uint32_t p00 = (a & 0xFFFFu) * (b & 0xFFFFu), p01 = (a & 0xFFFFu) * (b >> 16);
  const uint32_t p10 = (a >> 16) * (b & 0xFFFFu), p11 = (a >> 16) * (b >> 16);
  const uint32_t mid = (p00 >> 16) + (p01 & 0xFFFFu) + (p10 & 0xFFFFu);
  const uint32_t low = (p00 & 0xFFFFu) | mid << 16, high = p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16);
  return (unsigned long long)high << 32 | low;
}
long long __muldi3(long long a, long long b) {
  const unsigned long long x = (unsigned long long)a, y = (unsigned long long)b;
  const uint32_t xl = (uint32_t)x, xh = (uint32_t)(x >> 32), yl = (uint32_t)y, yh = (uint32_t)(y >> 32);
  return (long long)(mul32x32(xl, yl) + ((unsigned long long)(xl * yh + xh * yl) << 32));
}

void tf_profile_layer_begin(int layer) { (void)layer; }
void tf_profile_layer_end(int layer) { (void)layer; }

static void write_out(const void *bytes, size_t length) {
  register int32_t a2 __asm__("a2") = 4; /* SYS_write */
  register int32_t a3 __asm__("a3") = 1;
  register int32_t a4 __asm__("a4") = (int32_t)(uintptr_t)bytes;
  register int32_t a5 __asm__("a5") = (int32_t)length;
  __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
}

int main(void) {
  if (tf_model_init() != 0) return 3;
  const unsigned char *next = tf_check_inputs;
  for (int k = 0; k < tf_check_cases; ++k) {
    tf_model_reset();
    for (int i = 0; i < TF_MODEL_NUM_INPUTS; ++i) {
      memcpy(tf_model_input(i), next, tf_model_input_bytes(i));
      next += tf_model_input_bytes(i);
    }
    if (tf_model_invoke() != 0) return 3;
    for (int i = 0; i < TF_MODEL_NUM_OUTPUTS; ++i) write_out(tf_model_output(i), tf_model_output_bytes(i));
  }
  return 0;
}
