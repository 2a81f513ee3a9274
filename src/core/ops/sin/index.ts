// SPDX-License-Identifier: Apache-2.0
/**
 * SIN, float32 only (TFLite Micro's std::sin per element): the kernel's own sinf (sincos.ts), within
 * SINCOS_ULP of TFLite Micro's glibc sinf and the same bits on every target.
 */
import { trigOp } from './trig_op.ts';

export default trigOp('SIN', import.meta.dirname);
