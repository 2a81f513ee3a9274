// SPDX-License-Identifier: Apache-2.0
/** NOT_EQUAL: elementwise comparison with broadcasting into a bool tensor (see common/families/compare.ts). */
import { compareOp } from '../common/families/compare.ts';

export default compareOp('NOT_EQUAL', import.meta.dirname);
