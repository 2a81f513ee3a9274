// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED, float32: TFLite Micro's reference FullyConnected<float>. For each batch row and
 * output, one float32 sum started at 0.0f takes x[d] * w[o][d] for d = 0, 1, ... in order; then
 * sum + bias (+ 0.0f without a bias, as the reference adds its bias_value of 0), clamped to the fused
 * activation's float range. Weights [out, in] and the bias are constant float32 tensors.
 */
import { OpError } from '../../errors.ts';
import { type FullyConnectedAttrs, type Graph, type Op, elementCount } from '../../ir/graph.ts';
import {
  type FloatKernel,
  type FloatTagged,
  C_CLAMP,
  clampF,
  cFloatLiteral,
  floatActivationRange,
  fround,
  requireFloat,
} from '../common/families/float_variant.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { C_FMLA4, interleaveRowsBy4 } from '../common/families/float_mla.ts';
import { optionalInput, requireClampActivation, requireConstant, requireInput, requireOutput, requireRank, tensorLabel } from '../common/families/weighted.ts';

export interface FullyConnectedFloatParams extends FloatTagged {
  batches: number;
  inFeatures: number;
  outFeatures: number;
  hasBias: boolean;
  actMin: number;
  actMax: number;
}

function check(graph: Graph, op: Op): void {
  const input = requireInput(graph, op, 0, 'input');
  const filter = requireInput(graph, op, 1, 'weights');
  const bias = optionalInput(graph, op, 2);
  const output = requireOutput(graph, op);
  requireClampActivation(op, (op.attrs as Partial<FullyConnectedAttrs>).activation);
  requireFloat(op, [
    [input, 'input'],
    [filter, 'weights'],
    [bias, 'bias'],
    [output, 'output'],
  ]);
  requireRank(op, filter, 'weights', 2);
  requireConstant(op, filter, 'weights');
  const [outFeatures, inFeatures] = filter.shape as [number, number];
  if (bias) {
    requireConstant(op, bias, 'bias');
    if (elementCount(bias.shape) !== outFeatures)
      throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} has ${elementCount(bias.shape)} elements; expected ${outFeatures} (one per output)`);
  }
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

export const fullyConnectedFloat: FloatKernel<FullyConnectedFloatParams> = {
  check,
  prepare(graph, op) {
    const filter = graph.tensors[op.inputs[1]!]!;
    const [outFeatures, inFeatures] = filter.shape as [number, number];
    const [actMin, actMax] = floatActivationRange((op.attrs as Partial<FullyConnectedAttrs>).activation);
    return {
      float32: true,
      batches: elementCount(graph.tensors[op.inputs[0]!]!.shape) / inFeatures,
      inFeatures,
      outFeatures,
      hasBias: optionalInput(graph, op, 2) !== undefined,
      actMin,
      actMax,
    };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const w = inputs[1] as Float32Array;
    const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
    const out = outputs[0] as Float32Array;
    for (let b = 0; b < p.batches; b++) {
      for (let o = 0; o < p.outFeatures; o++) {
        let total = 0;
        for (let d = 0; d < p.inFeatures; d++) total = fround(total + fround(x[b * p.inFeatures + d]! * w[o * p.inFeatures + d]!));
        out[b * p.outFeatures + o] = clampF(fround(total + (bias ? bias[o]! : 0)), p.actMin, p.actMax);
      }
    }
  },
  emitC(p, ctx) {
    ctx.defineOnce('tf_fclamp', C_CLAMP);
    ctx.defineOnce('tf_fmla4', C_FMLA4);
    const blocks = p.outFeatures - (p.outFeatures % 4);
    const w = fromBytes('float32', ctx.graph.tensors[ctx.op.inputs[1]!]!.data!) as Float32Array;
    return ctx.render('fully_connected_float.c.hbs', {
      ...p,
      blocks,
      tail: p.outFeatures - blocks,
      blockStride: 4 * p.inFeatures,
      fnName: ctx.fnName,
      input: ctx.input(0),
      weights: ctx.addConst('w4', 'float', interleaveRowsBy4(w, p.outFeatures, p.inFeatures)),
      bias: p.hasBias ? ctx.input(2) : undefined,
      output: ctx.output(0),
      lo: cFloatLiteral(p.actMin),
      hi: cFloatLiteral(p.actMax),
    });
  },
};
