// SPDX-License-Identifier: Apache-2.0
/**
 * A guard for requantizing multipliers of 2^31 and more. TFLite Micro's MultiplyByQuantizedMultiplier
 * (double rounding) shifts x left by the multiplier's exponent with `x * (1 << shift)`: for an
 * exponent of 32 or more that is undefined in C, and TFLite Micro's result then depends on the CPU
 * (x86 takes the shift count mod 32, Arm gives 0). Such a multiplier only arises from absurd
 * quantization (an output scale 2^31 times finer than the inputs'), so the ops refuse it rather than
 * pick one CPU's answer.
 */
import { OpError } from '../../../errors.ts';
import type { Op } from '../../../ir/graph.ts';

/** Largest multiplier exponent TFLite Micro's left shift handles the same everywhere. */
export const MAX_LEFT_SHIFT = 31;

/** Throws when a quantized multiplier's exponent `shift` is past MAX_LEFT_SHIFT; `what` names the ratio. */
export function requireLeftShiftFits(op: Op, shift: number, what: string): void {
  if (shift > MAX_LEFT_SHIFT) {
    throw new OpError(
      op.index,
      op.kind,
      `the rescale ${what} is 2^${shift - 1} or more: TFLite Micro's left shift by ${shift} bits is undefined in C (its result depends on the CPU); the output scale is far too fine for the inputs`,
    );
  }
}
