// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite's int16 LOGISTIC and TANH (reference_integer_ops, also the gates of the integer LSTM): a
 * 256-entry table of sigmoid(i/24) in Q0.16 with linear interpolation, tanh read from the same table
 * as 2*sigmoid(2x) - 1. Inputs are first brought to the table's scale (1/(3*4096) per step) by a small
 * multiplier and a rounding right shift; outputs are Q0.15. The C twin is `sigmoid_int16.h`.
 */
import { f32, roundHalfAway } from './fixedpoint.ts';

/** sigmoid(i/24) in Q0.16 for i = 0..255 (TFLite's sigmoid_table_uint16, as published). */
export const SIGMOID_TABLE_Q16: readonly number[] = [
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
  46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
  56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
  61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
  63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
  64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
  65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
  65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
  65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
  65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
  65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
  65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
];

/** The input rescale in front of the table: x -> (x * multiplier + round) >> shift. */
export interface Int16ActivationScaling {
  multiplier: number;
  shift: number;
}

export function scaleInt16ActivationInput(x: number, s: Int16ActivationScaling): number {
  const round = s.shift > 0 ? 1 << (s.shift - 1) : 0;
  return (x * s.multiplier + round) >> s.shift;
}

/** Logistic of a table-scaled input, Q0.15 out (reference_integer_ops::Logistic, int16). */
export function logisticInt16(scaled: number): number {
  const abs = Math.abs(scaled);
  const uh = abs >>> 9;
  let result: number;
  if (uh >= 255) {
    result = 0x7fff << 10;
  } else {
    const ua = SIGMOID_TABLE_Q16[uh]!;
    const ub = SIGMOID_TABLE_Q16[uh + 1]!;
    result = ua * 512 + (abs & 0x1ff) * (ub - ua);
  }
  result = scaled >= 0 ? result + (1 << 9) : (1 << 25) - result + (1 << 9) - 1;
  return ((result >>> 10) << 16) >> 16;
}

/** Tanh of a table-scaled input, Q0.15 out (reference_integer_ops::Tanh, int16). */
export function tanhInt16(scaled: number): number {
  const abs = Math.abs(scaled);
  const uh = abs >>> 8;
  let result: number;
  if (uh >= 255) {
    result = 0xffff << 8;
  } else {
    const ua = SIGMOID_TABLE_Q16[uh]!;
    const ub = SIGMOID_TABLE_Q16[uh + 1]!;
    result = ua * 256 + (abs & 0xff) * (ub - ua);
  }
  result = scaled >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
  return ((result >> 8) << 16) >> 16;
}

/**
 * TFLite's CheckedLog2: the float log2 rounded (half away from zero), and whether x is a power of two
 * to within 1e-3 in the exponent.
 */
export function checkedLog2(x: number): { log2: number; exact: boolean } {
  const log2 = f32(f32(Math.log(f32(x))) * f32(1 / f32(Math.log(2))));
  const rounded = roundHalfAway(log2);
  return { log2: rounded, exact: Math.abs(f32(log2 - rounded)) < f32(1e-3) };
}

/**
 * The input scaling of the int16 LOGISTIC / TANH ops (TFLite Micro's Prepare, then the kernel's
 * power-of-two substitution). A power-of-two input scale that lands on the table exactly (2^-12; for
 * tanh also 2^-13, which the kernel doubles) becomes a multiply by 3 << shift; any other scale gets
 * a multiplier up to 32767 normalised by left shifts, applied as a rounding right shift.
 */
export function int16ActivationScaling(kind: 'LOGISTIC' | 'TANH', inputScale: number): Int16ActivationScaling {
  const { log2, exact } = checkedLog2(inputScale);
  const leftShift = 15 - 3 + log2;
  const potShifts = kind === 'TANH' ? [0, 1] : [0];
  if (exact && potShifts.includes(leftShift)) return { multiplier: 3 << leftShift, shift: 0 };
  let multiplier = f32(inputScale) * 4096 * 3;
  let shift = 0;
  while (multiplier <= 32767 / 2 && shift <= 30) {
    shift++;
    multiplier *= 2;
  }
  return { multiplier: Math.trunc(multiplier), shift };
}

/**
 * The scaling the integer LSTM uses for tanh of a value with a power-of-two scale 2^power (the cell
 * state; the cell gate's Q3.12 input has power -12): left shift (15 + power) - 3 when it is not
 * negative, else a multiply by 3 and a rounding right shift.
 */
export function lstmTanhScaling(power: number): Int16ActivationScaling {
  const leftShift = 15 + power - 3;
  return leftShift >= 0 ? { multiplier: 3 << leftShift, shift: 0 } : { multiplier: 3, shift: -leftShift };
}
