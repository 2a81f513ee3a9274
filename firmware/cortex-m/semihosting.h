/* SPDX-License-Identifier: Apache-2.0 */
/* Arm semihosting calls used to end a run under an emulator (QEMU: -semihosting-config enable=on). */
#ifndef TF_SEMIHOSTING_H
#define TF_SEMIHOSTING_H

/* Ends the emulated run with `status` as the emulator's exit status (0 = success). */
void semihosting_exit(int status) __attribute__((noreturn));

#endif
