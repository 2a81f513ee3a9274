/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Semihosting on M-profile: `bkpt 0xAB` with the operation in r0 and its argument in r1.
 * SYS_EXIT (0x18) on 32-bit Arm takes the reason code itself in r1, and QEMU maps
 * ADP_Stopped_ApplicationExit to status 0 and every other reason to 1. To report a specific
 * non-zero status, SYS_EXIT_EXTENDED (0x20) takes a block {reason, subcode}; an emulator without
 * it returns, and SYS_EXIT with a failure reason follows.
 */
#include <stdint.h>

#include "semihosting.h"

#define SYS_EXIT 0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN 0x20023u

static void semihosting_call(uint32_t operation, uintptr_t argument) {
  register uint32_t r0 __asm__("r0") = operation;
  register uintptr_t r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}

void semihosting_exit(int status) {
  if (status == 0) {
    semihosting_call(SYS_EXIT, ADP_STOPPED_APPLICATION_EXIT);
  } else {
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihosting_call(SYS_EXIT_EXTENDED, (uintptr_t)block);
    semihosting_call(SYS_EXIT, ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN);
  }
  for (;;) {
  }
}
