// SPDX-License-Identifier: Apache-2.0
/** GREATER_EQUAL: elementwise comparison with broadcasting into a bool tensor (see common/families/compare.ts). */
import { compareOp } from '../common/families/compare.ts';

export default compareOp('GREATER_EQUAL', import.meta.dirname);
