/* The Armv6-M depthwise block loops over one input channel (depthwise_conv_2d_m0plus.h):
 * common/m0plus_mac.h's loop with the starts read from the 12-byte per-channel records
 * { start, multiplier, left | right << 8 }. */
#include "m0plus_mac.h"

#if TF_M0_NATIVE
        .syntax unified
        .thumb

        tf_m0_mac_fn tf_m0dw_mac8, 8, 12
        tf_m0_mac_fn tf_m0dw_mac4, 4, 12
#endif
