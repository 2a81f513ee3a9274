// SPDX-License-Identifier: Apache-2.0
/** LOGICAL_NOT: !x on a bool tensor (TFLite Micro's elementwise.cc; see common/families/logical.ts). */
import { logicalNotOp } from '../common/families/logical.ts';

export default logicalNotOp(import.meta.dirname);
