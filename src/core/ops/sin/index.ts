// SPDX-License-Identifier: Apache-2.0
/**
 * SIN, float32 only (TFLite Micro's SIN kernel is float-only): the C library's sinf per element, within
 * FLOAT_LIBM_ULP.SIN of TFLite Micro (common/families/float_libm.ts, docs/kernels.md).
 */
import { SIN_KERNEL, floatOnlyOp } from '../common/families/float_libm.ts';

export default floatOnlyOp('SIN', import.meta.dirname, SIN_KERNEL);
