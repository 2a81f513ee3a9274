// SPDX-License-Identifier: Apache-2.0
/**
 * ADD 16x8: the common-scale int16 kernel (common/families/common_scale_int16.ts) with ADD's Prepare
 * arithmetic.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { type CommonScaleReals, float32Scales } from '../common/families/binary_elementwise.ts';
import { LEFT_SHIFT, commonScaleInt16 } from '../common/families/common_scale_int16.ts';

/** CalculateOpDataAdd: twice the larger input scale (float max, then double). */
function addRealMultipliers(graph: Graph, op: Op): CommonScaleReals {
  const { s1, s2, so } = float32Scales(graph, op);
  const twiceMax = 2 * Math.max(s1, s2);
  return { input1: s1 / twiceMax, input2: s2 / twiceMax, output: twiceMax / ((1 << LEFT_SHIFT) * so) };
}

export const addInt16 = commonScaleInt16('ADD', 1, addRealMultipliers);
