// SPDX-License-Identifier: Apache-2.0
/** MINIMUM: elementwise min of the raw stored values, with broadcasting (see common/families/min_max.ts). */
import { minMaxOp } from '../common/families/min_max.ts';

export default minMaxOp('MINIMUM', import.meta.dirname, 'minimum.c.hbs');
