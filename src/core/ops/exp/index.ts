// SPDX-License-Identifier: Apache-2.0
/**
 * EXP, float32 only (TFLite Micro's EXP kernel is float-only): the C library's expf per element, within
 * FLOAT_LIBM_ULP.EXP of TFLite Micro (common/families/float_libm.ts, docs/kernels.md).
 */
import { EXP_KERNEL, floatOnlyOp } from '../common/families/float_libm.ts';

export default floatOnlyOp('EXP', import.meta.dirname, EXP_KERNEL);
