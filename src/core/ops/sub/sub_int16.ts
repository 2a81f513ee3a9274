// SPDX-License-Identifier: Apache-2.0
/**
 * SUB 16x8: int16 activations (zero point 0), TFLite Micro's general quantized SUB with the int16
 * headroom: inputs shifted left by 15 (not 20), brought to twice the larger input scale, subtracted
 * and rescaled to the output, with broadcasting (BroadcastQuantSubSlow). As for int8 SUB, TFLite
 * Micro's CalculateOpDataSub divides the scales in float32 before widening them (ADD uses double).
 * The kernel is ADD's (common/families/common_scale_int16.ts) with input 2 negated.
 */
import { subRealMultipliers } from '../common/families/binary_elementwise.ts';
import { LEFT_SHIFT, commonScaleInt16 } from '../common/families/common_scale_int16.ts';

export const subInt16 = commonScaleInt16('SUB', -1, (graph, op) => subRealMultipliers(graph, op, LEFT_SHIFT));
