// SPDX-License-Identifier: Apache-2.0
import { padOp } from '../common/families/pad_op.ts';

/** PAD: the constant padding of PAD and PADV2 (common/families/pad_op.ts), the fill value the output's zero point. */
export default padOp('PAD', import.meta.dirname);
