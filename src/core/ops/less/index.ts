// SPDX-License-Identifier: Apache-2.0
/** LESS: elementwise comparison with broadcasting into a bool tensor (see common/families/compare.ts). */
import { compareOp } from '../common/families/compare.ts';

export default compareOp('LESS', import.meta.dirname);
