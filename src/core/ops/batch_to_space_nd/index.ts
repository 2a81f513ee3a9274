// SPDX-License-Identifier: Apache-2.0
/** BATCH_TO_SPACE_ND: batches back to blocks of pixels, with crops (see common/families/batch_space.ts). */
import { batchSpaceOp } from '../common/families/batch_space.ts';

export default batchSpaceOp('BATCH_TO_SPACE_ND', import.meta.dirname);
