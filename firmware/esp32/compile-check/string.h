/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The declarations of <string.h> the generated model code uses, for compile-checking it with
 * Debian's xtensa-lx106-elf-gcc, which ships without a C library (-ffreestanding gives the compiler's
 * own <stdint.h> and <stddef.h>). Only for that check: on a real ESP32 ESP-IDF's newlib provides the
 * header, and nothing built with this one is ever linked or run.
 */
#ifndef TF_COMPILE_CHECK_STRING_H
#define TF_COMPILE_CHECK_STRING_H

#include <stddef.h>

void *memcpy(void *restrict destination, const void *restrict source, size_t length);
void *memmove(void *destination, const void *source, size_t length);
void *memset(void *destination, int value, size_t length);
int memcmp(const void *a, const void *b, size_t length);
size_t strlen(const char *text);

#endif
