// SPDX-License-Identifier: Apache-2.0
/** ASSIGN_VARIABLE: a value into the variable, kept for the next inference (see common/families/variable_ops.ts). */
import { variableOp } from '../common/families/variable_ops.ts';

export default variableOp('ASSIGN_VARIABLE', import.meta.dirname);
