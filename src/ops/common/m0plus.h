/* What the Armv6-M kernels (Cortex-M0/M0+, the RP2040) share between their C and their assembly:
 * whether this build runs the assembly, and the build-time check that a struct field the assembly
 * reads sits at the offset the assembly was written for. Each kernel's header defines its offsets
 * once (TF_M0_PW_K ...): the .S reads them as immediates, the C checks them against offsetof.
 * Safe to include from a .S file (the C parts are hidden from the assembler). */
#ifndef TF_M0PLUS_H
#define TF_M0PLUS_H

/* The assembly (.S files, assembled to nothing elsewhere) runs on Thumb-1 Armv6-M only; host tests
 * and other targets run the C twins of the same arithmetic. */
#if defined(__thumb__) && defined(__ARM_ARCH_6M__)
#define TF_M0_NATIVE 1
#else
#define TF_M0_NATIVE 0
#endif

#ifndef __ASSEMBLER__
#include <stddef.h>
/* A compile error (an array of size -1) unless `type`'s `field` lies at byte `offset`: C99 has no
 * _Static_assert, and a file-scope typedef compiles to nothing. */
#define TF_M0_CHECK_OFFSET(type, field, offset) \
  typedef char tf_m0_offset_check_##type##_##field[(offsetof(type, field) == (offset)) ? 1 : -1]
#define TF_M0_CHECK_SIZE(type, size) typedef char tf_m0_size_check_##type[(sizeof(type) == (size)) ? 1 : -1]
#endif

#endif
