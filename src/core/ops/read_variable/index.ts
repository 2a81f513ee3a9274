// SPDX-License-Identifier: Apache-2.0
/** READ_VARIABLE: the variable's current value into the output (see common/families/variable_ops.ts). */
import { variableOp } from '../common/families/variable_ops.ts';

export default variableOp('READ_VARIABLE', import.meta.dirname);
