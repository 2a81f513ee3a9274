// SPDX-License-Identifier: Apache-2.0
/** SELECT (v1): condition ? x : y, equal shapes or a rank-1 condition (see common/families/select.ts; TFLite Micro lacks it). */
import { selectOp } from '../common/families/select.ts';

export default selectOp('SELECT', import.meta.dirname);
