// SPDX-License-Identifier: Apache-2.0
/**
 * NEG, float32 only (TFLite Micro has no int8 or int16 NEG: tflm-ref rejects them, "Type INT8 not
 * supported"). -x: the sign bit flipped, NaNs included, as the FPU's negation does.
 */
import { floatUnaryOp } from '../common/families/float_unary.ts';

export default floatUnaryOp({
  kind: 'NEG',
  dir: import.meta.dirname,
  what: '-x (sign bit flipped)',
  bits: (u) => (u ^ 0x80000000) >>> 0,
  cBits: 'u ^ 0x80000000u',
});
