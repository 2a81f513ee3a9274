// SPDX-License-Identifier: Apache-2.0
/**
 * COS, float32 only (TFLite Micro's COS kernel is float-only): the C library's cosf per element, within
 * FLOAT_LIBM_ULP.COS of TFLite Micro (common/families/float_libm.ts, docs/kernels.md).
 */
import { COS_KERNEL, floatOnlyOp } from '../common/families/float_libm.ts';

export default floatOnlyOp('COS', import.meta.dirname, COS_KERNEL);
