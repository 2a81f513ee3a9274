/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Semihosting on M-profile: `bkpt 0xAB` with the operation in r0 and its argument in r1, the result
 * in r0.
 * SYS_EXIT (0x18) on 32-bit Arm takes the reason code itself in r1, and QEMU maps
 * ADP_Stopped_ApplicationExit to status 0 and every other reason to 1. To report a specific
 * non-zero status, SYS_EXIT_EXTENDED (0x20) takes a block {reason, subcode}; an emulator without
 * it returns, and SYS_EXIT with a failure reason follows.
 */
#include <stdint.h>

#include "semihosting.h"

#define SYS_OPEN 0x01u
#define SYS_WRITE 0x05u
#define SYS_READ 0x06u
#define SYS_GET_CMDLINE 0x15u
#define SYS_EXIT 0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN 0x20023u

static uint32_t semihosting_call(uint32_t operation, uintptr_t argument) {
  register uint32_t r0 __asm__("r0") = operation;
  register uintptr_t r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semihosting_exit(int status) {
  if (status == 0) {
    (void)semihosting_call(SYS_EXIT, ADP_STOPPED_APPLICATION_EXIT);
  } else {
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    (void)semihosting_call(SYS_EXIT_EXTENDED, (uintptr_t)block);
    (void)semihosting_call(SYS_EXIT, ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN);
  }
  for (;;) {
  }
}

/*
 * The console over semihosting, which the host's stdio link asks for. Why: QEMU hands a UART one
 * received byte per pass of its main loop (the CMSDK UART holds one byte), about 60 us a byte, so a
 * 27 KB input took 1.6 s to arrive; SYS_READ takes up to CONSOLE_CHUNK bytes a call. QEMU 7.2 reads
 * and writes the ":tt" handles on its own standard input and output (not a -chardev), which is the
 * stdio link's pipe. The device protocol is the same byte for byte; only the pipe differs.
 */
#define OPEN_READ 0u  /* fopen mode "r": the console input */
#define OPEN_WRITE 4u /* fopen mode "w": the console output */
#define CONSOLE_CHUNK 256u

static uint32_t console_handle(uint32_t mode) {
  static const char name[] = ":tt";
  const uint32_t block[3] = {(uint32_t)(uintptr_t)name, mode, sizeof name - 1u};
  return semihosting_call(SYS_OPEN, (uintptr_t)block);
}

int semihosting_console_requested(void) {
  static char line[96];
  const uint32_t block[2] = {(uint32_t)(uintptr_t)line, sizeof line - 1u};
  if (semihosting_call(SYS_GET_CMDLINE, (uintptr_t)block) != 0u) return 0;
  static const char wanted[] = SEMIHOSTING_CONSOLE_ARG;
  for (size_t start = 0; line[start] != '\0'; start++) {
    size_t k = 0;
    while (wanted[k] != '\0' && line[start + k] == wanted[k]) k++;
    if (wanted[k] == '\0') return 1;
  }
  return 0;
}

void semihosting_console_write(const char *text, size_t length) {
  static uint32_t handle = UINT32_MAX;
  if (handle == UINT32_MAX) handle = console_handle(OPEN_WRITE);
  while (length > 0u) {
    const uint32_t block[3] = {handle, (uint32_t)(uintptr_t)text, (uint32_t)length};
    const uint32_t left = semihosting_call(SYS_WRITE, (uintptr_t)block); /* bytes not written */
    if (left >= length) semihosting_exit(3);                             /* the host closed the pipe */
    text += length - left;
    length = left;
  }
}

uint8_t semihosting_console_read_byte(void) {
  static uint32_t handle = UINT32_MAX;
  static uint8_t chunk[CONSOLE_CHUNK];
  static uint32_t count, next;
  if (handle == UINT32_MAX) handle = console_handle(OPEN_READ);
  while (next == count) {
    /* blocks until the host sends; returns how many of CONSOLE_CHUNK bytes were not read */
    const uint32_t block[3] = {handle, (uint32_t)(uintptr_t)chunk, CONSOLE_CHUNK};
    const uint32_t left = semihosting_call(SYS_READ, (uintptr_t)block);
    if (left >= CONSOLE_CHUNK) semihosting_exit(3); /* end of input: the host is gone */
    count = CONSOLE_CHUNK - left;
    next = 0u;
  }
  return chunk[next++];
}
