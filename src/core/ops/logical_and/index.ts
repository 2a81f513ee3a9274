// SPDX-License-Identifier: Apache-2.0
/** LOGICAL_AND: x && y on bool tensors, broadcasting as TFLite Micro (see common/families/logical.ts). */
import { logicalBinaryOp } from '../common/families/logical.ts';

export default logicalBinaryOp('LOGICAL_AND', import.meta.dirname);
