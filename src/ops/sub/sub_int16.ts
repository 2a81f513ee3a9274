/**
 * SUB 16x8: int16 activations (zero point 0), TFLite Micro's general quantized SUB with the int16
 * headroom: inputs shifted left by 15 (not 20), brought to twice the larger input scale, subtracted
 * and rescaled to the output, with broadcasting (BroadcastQuantSubSlow). As for int8 SUB, TFLite
 * Micro's CalculateOpDataSub divides the scales in float32 before widening them (ADD uses double).
 * The kernel is ADD's int16 kernel with input 2 negated (add/add_int16.ts).
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { f32 } from '../common/fixedpoint.ts';
import { float32Scales } from '../common/binary_elementwise.ts';
import { type Int16CommonScaleReals, commonScaleInt16 } from '../add/add_int16.ts';

const LEFT_SHIFT = 15;

function realMultipliers(graph: Graph, op: Op): Int16CommonScaleReals {
  const { s1, s2, so } = float32Scales(graph, op);
  const twiceMax = f32(2 * Math.max(s1, s2));
  return {
    input1Real: f32(s1 / twiceMax),
    input2Real: f32(s2 / twiceMax),
    outputReal: f32(twiceMax / f32((1 << LEFT_SHIFT) * so)),
  };
}

export const subInt16 = commonScaleInt16('SUB', -1, realMultipliers, '../add/add_int16.c.hbs');
