// SPDX-License-Identifier: Apache-2.0
/**
 * COS, float32 only (TFLite Micro's std::cos per element): the kernel's own cosf (../sin/sincos.ts),
 * within SINCOS_ULP of TFLite Micro's glibc cosf and the same bits on every target.
 */
import { trigOp } from '../sin/trig_op.ts';

export default trigOp('COS', import.meta.dirname);
