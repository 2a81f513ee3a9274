// SPDX-License-Identifier: Apache-2.0
/** SELECT_V2: condition ? x : y with broadcasting of all three (see common/families/select.ts). */
import { selectOp } from '../common/families/select.ts';

export default selectOp('SELECT_V2', import.meta.dirname);
