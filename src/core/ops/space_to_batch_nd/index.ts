// SPDX-License-Identifier: Apache-2.0
/** SPACE_TO_BATCH_ND: blocks of pixels to batches, with padding (see common/families/batch_space.ts). */
import { batchSpaceOp } from '../common/families/batch_space.ts';

export default batchSpaceOp('SPACE_TO_BATCH_ND', import.meta.dirname);
