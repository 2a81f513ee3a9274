// SPDX-License-Identifier: Apache-2.0
import { padOp } from '../common/families/pad_op.ts';

/** PADV2: PAD with an explicit fill value (input 2); PAD's kernel and template (common/families/pad_op.ts). */
export default padOp('PADV2', import.meta.dirname);
