// SPDX-License-Identifier: Apache-2.0
import { padOp } from '../pad/index.ts';

/** PADV2: PAD with an explicit fill value (input 2); shares PAD's kernel and template (in ../pad). */
export default padOp('PADV2', `${import.meta.dirname}/../pad`);
