/* SPDX-License-Identifier: Apache-2.0 */
/* TFLite's int16 logistic and tanh (reference_integer_ops; also the integer LSTM's gates): a 256-entry
 * table of sigmoid(i/24) in Q0.16 with linear interpolation, tanh(x) = 2*sigmoid(2x) - 1 from the same
 * table. The caller brings the input to the table scale ((x * m + round) >> shift, constants baked in
 * per layer); outputs are Q0.15. The TS twin is sigmoid_int16.ts. */
#ifndef TF_SIGMOID_INT16_H
#define TF_SIGMOID_INT16_H
#include <stdint.h>

static const uint16_t tf_sigmoid_table_q16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511,
    45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983,
    54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743,
    59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778,
    62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257,
    64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900, 64926, 64950,
    64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258, 65269,
    65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415,
    65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481,
    65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511,
    65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
};

static inline int16_t tf_logistic_int16(int32_t scaled) {
  const uint32_t abs_value = (uint32_t)(scaled < 0 ? -scaled : scaled);
  const uint32_t uh = abs_value >> 9;
  uint32_t result;
  if (uh >= 255u) {
    result = 0x7FFFu << 10;
  } else {
    const uint32_t ua = tf_sigmoid_table_q16[uh];
    const uint32_t ub = tf_sigmoid_table_q16[uh + 1u];
    result = (ua << 9) + (abs_value & 0x1FFu) * (ub - ua);
  }
  result = scaled >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
  return (int16_t)(result >> 10);
}

static inline int16_t tf_tanh_int16(int32_t scaled) {
  const uint32_t abs_value = (uint32_t)(scaled < 0 ? -scaled : scaled);
  const uint32_t uh = abs_value >> 8;
  int32_t result;
  if (uh >= 255u) {
    result = 0xFFFF << 8;
  } else {
    const uint32_t ua = tf_sigmoid_table_q16[uh];
    const uint32_t ub = tf_sigmoid_table_q16[uh + 1u];
    result = (int32_t)((ua << 8) + (abs_value & 0xFFu) * (ub - ua));
  }
  result = scaled >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
  return (int16_t)(result >> 8);
}

/* The integer LSTM's gate activations (its Arm DSP, Armv6-M and RV32 variants): tf_logistic_int16(3 * pre) for an int16 pre: |3 pre| < 255 * 2^9 never reaches the
 * saturation, and the negative side is the mirror of the rounded positive one:
 * ((2^25 + 511 - R) >> 10) = 2^15 - ((R + 512) >> 10) for the interpolated R. */
static inline __attribute__((always_inline)) int32_t tf_lstm_sigmoid3(int32_t pre) {
  const int32_t x = 3 * pre;
  const uint32_t a = (uint32_t)(x < 0 ? -x : x);
  const uint32_t uh = a >> 9;
  const uint32_t ua = tf_sigmoid_table_q16[uh], ub = tf_sigmoid_table_q16[uh + 1u];
  const int32_t p = (int32_t)(((ua << 9) + (a & 0x1FFu) * (ub - ua) + 512u) >> 10);
  return x < 0 ? 32768 - p : p;
}

/* tf_tanh_int16 with the same mirror: x >= 0 gives ((R + 128) >> 8) - 2^15, x < 0 its negation. */
static inline __attribute__((always_inline)) int32_t tf_lstm_tanh(int32_t x) {
  const uint32_t a = (uint32_t)(x < 0 ? -x : x);
  const uint32_t uh = a >> 8;
  uint32_t r;
  if (uh >= 255u) {
    r = 0xFFFFu << 8;
  } else {
    const uint32_t ua = tf_sigmoid_table_q16[uh], ub = tf_sigmoid_table_q16[uh + 1u];
    r = (ua << 8) + (a & 0xFFu) * (ub - ua);
  }
  const int32_t p = (int32_t)((r + 128u) >> 8) - 32768;
  return x < 0 ? -p : p;
}

#endif
