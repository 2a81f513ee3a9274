// SPDX-License-Identifier: Apache-2.0
/**
 * LOG, float32 only (TFLite Micro's LOG kernel is float-only): the C library's logf per element, within
 * FLOAT_LIBM_ULP.LOG of TFLite Micro (common/families/float_libm.ts, docs/kernels.md).
 */
import { LOG_KERNEL, floatOnlyOp } from '../common/families/float_libm.ts';

export default floatOnlyOp('LOG', import.meta.dirname, LOG_KERNEL);
