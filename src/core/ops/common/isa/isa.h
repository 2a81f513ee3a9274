/* SPDX-License-Identifier: Apache-2.0 */
/* The target family's ISA header, for kernels several families share: arm_helium.h, arm_dsp.h, armv6m.h,
 * rv32.h and portable.h define the same primitives (tf_smlad, tf_ssat8, tf_read4, tf_smmulr, ...), each as
 * cheaply as its instruction set allows. Generated code never ships this file: codegen replaces the
 * include by the chosen family's header (isa.ts), so a model carries no other family's code. Read in
 * place (the host tests), the compiler's own macros choose. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "arm_helium.h"
#elif defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include "arm_dsp.h"
#elif defined(__thumb__) && defined(__ARM_ARCH_6M__)
#include "armv6m.h"
#elif defined(__riscv)
#include "rv32.h"
#else
#include "portable.h"
#endif
