// SPDX-License-Identifier: Apache-2.0
/** MAXIMUM: elementwise max of the raw stored values, with broadcasting (see common/families/min_max.ts). */
import { minMaxOp } from '../common/families/min_max.ts';

export default minMaxOp('MAXIMUM', import.meta.dirname, 'maximum.c.hbs');
