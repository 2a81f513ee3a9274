// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED 16x8: int16 activations (zero point 0), int8 per-tensor symmetric weights, TFLite
 * Micro's int16 FullyConnected: an int64 accumulator, an optional int64 bias, the 64-bit
 * MultiplyByQuantizedMultiplier with the per-tensor multiplier (float32 scale product first, as for
 * int8). TFLite Micro has no per-channel int16 FULLY_CONNECTED, so per-channel weights are refused.
 */
import { OpError } from '../../errors.ts';
import { type FullyConnectedAttrs, type Graph, type Op, elementCount } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { activationRange } from '../common/numerics/activation.ts';
import { fcInt16Variants } from './int16_variants.ts';
import { clamp } from '../common/numerics/fixedpoint.ts';
import { mbqm64 } from '../common/numerics/fixedpoint64.ts';
import { type Int16Tagged, type Int16Variant, int16BiasKind, requireInt16Activation } from '../common/families/int16_variant.ts';
import { constBias, int16WeightedBound, int64AccumulatorComment } from '../common/numerics/accumulator_bound.ts';
import {
  constInt8,
  fcTensorMultiplier,
  optionalInput,
  requireClampActivation,
  requireConstant,
  requireInput,
  requireOutput,
  requireRank,
  requireWeightQuant,
  tensorLabel,
} from '../common/families/weighted.ts';

export interface FullyConnectedInt16Params extends Int16Tagged {
  batches: number;
  inFeatures: number;
  outFeatures: number;
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
  hasBias: boolean;
  /** |bias| + sum |w|·32768 over the worst row (accumulator_bound.ts) */
  accBound: number;
}

function check(graph: Graph, op: Op): void {
  const input = requireInput(graph, op, 0, 'input');
  const filter = requireInput(graph, op, 1, 'weights');
  const output = requireOutput(graph, op);
  requireClampActivation(op, (op.attrs as Partial<FullyConnectedAttrs>).activation);
  requireInt16Activation(op, input, 'input');
  requireInt16Activation(op, output, 'output');
  requireRank(op, filter, 'weights', 2);
  const [outFeatures, inFeatures] = filter.shape as [number, number];
  const scales = requireWeightQuant(op, filter, 0, outFeatures, true);
  if (scales.length !== 1)
    throw new OpError(
      op.index,
      op.kind,
      `weights ${tensorLabel(filter)} are quantized per channel; int16 FULLY_CONNECTED takes per-tensor weights (as TFLite Micro)`,
    );
  requireConstant(op, filter, 'weights');
  int16BiasKind(op, optionalInput(graph, op, 2), outFeatures, ['int64']);
  const inCount = elementCount(input.shape);
  if (inFeatures < 1 || inCount % inFeatures !== 0) {
    throw new OpError(
      op.index,
      op.kind,
      `input ${tensorLabel(input)} has ${inCount} elements, not a multiple of the ${inFeatures} input features of weights ${tensorLabel(filter)}`,
    );
  }
  const batches = inCount / inFeatures;
  if (output.shape[output.shape.length - 1] !== outFeatures || elementCount(output.shape) !== batches * outFeatures) {
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected ${batches} row(s) of ${outFeatures}`);
  }
}

function prepare(graph: Graph, op: Op): FullyConnectedInt16Params {
  const input = requireInput(graph, op, 0, 'input');
  const filter = requireInput(graph, op, 1, 'weights');
  const output = requireOutput(graph, op);
  const [outFeatures, inFeatures] = filter.shape as [number, number];
  const q = fcTensorMultiplier(input.quant!.scale[0]!, requireWeightQuant(op, filter, 0, outFeatures, true)[0]!, output.quant!.scale[0]!);
  const range = activationRange(requireClampActivation(op, (op.attrs as Partial<FullyConnectedAttrs>).activation), output, 16);
  return {
    activationBits: 16,
    batches: elementCount(input.shape) / inFeatures,
    inFeatures,
    outFeatures,
    multiplier: q.multiplier,
    shift: q.shift,
    actMin: range.min,
    actMax: range.max,
    hasBias: optionalInput(graph, op, 2) !== undefined,
    accBound: int16WeightedBound({ weights: constInt8(filter), rows: outFeatures, rowLength: inFeatures, bias: constBias(optionalInput(graph, op, 2)) }),
  };
}

function evaluate(p: FullyConnectedInt16Params, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const input = inputs[0] as Int16Array;
  const filter = inputs[1] as Int8Array;
  const bias = inputs[2] as BigInt64Array | undefined;
  const output = outputs[0] as Int16Array;
  for (let b = 0; b < p.batches; b++) {
    for (let o = 0; o < p.outFeatures; o++) {
      let acc = 0;
      for (let d = 0; d < p.inFeatures; d++) acc += filter[o * p.inFeatures + d]! * input[b * p.inFeatures + d]!;
      const scaled = mbqm64(BigInt(acc) + (bias ? bias[o]! : 0n), p.multiplier, p.shift);
      output[b * p.outFeatures + o] = clamp(scaled, p.actMin, p.actMax);
    }
  }
}

export const fullyConnectedInt16: Int16Variant<FullyConnectedInt16Params> = {
  check,
  prepare,
  evaluate,
  variants: fcInt16Variants,
  emitC(p, ctx) {
    return ctx.render('fully_connected_int16.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      summary: `FULLY_CONNECTED 16x8 [${p.batches},${p.inFeatures}] * [${p.outFeatures},${p.inFeatures}]^T -> [${p.batches},${p.outFeatures}], ${p.batches * p.inFeatures * p.outFeatures} MACs`,
      input: ctx.input(0),
      filter: ctx.input(1),
      output: ctx.output(0),
      biasPointer: p.hasBias ? ctx.input(2) : undefined,
      accComment: int64AccumulatorComment(p.accBound),
    });
  },
};
