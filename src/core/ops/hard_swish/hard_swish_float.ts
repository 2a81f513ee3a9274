// SPDX-License-Identifier: Apache-2.0
/**
 * HARD_SWISH float32: TFLite's reference HardSwish<float>, x * std::min(6, std::max(0, x + 3)) / 6,
 * each step one float32 operation in that order (std::max(0, t) = 0 < t ? t : 0, std::min(6, m) =
 * m < 6 ? m : 6): TFLite Micro's bits on every target, no libm.
 */
import { libmUnaryKernel } from '../common/families/float_libm.ts';

const F = Math.fround;

export function hardSwishF(x: number): number {
  const t = F(x + 3);
  const m = 0 < t ? t : 0;
  const c = m < 6 ? m : 6;
  return F(F(x * c) / 6);
}

export const hardSwishFloat = libmUnaryKernel({
  kind: 'HARD_SWISH',
  what: 'x * min(6, max(0, x + 3)) / 6',
  ref: hardSwishF,
  cBody: `const float t = x + 3.0f;
const float m = (0.0f < t) ? t : 0.0f;
const float c = (m < 6.0f) ? m : 6.0f;
r = x * c / 6.0f;`,
});
