// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV 16x8: int16 activations (zero point 0), int8 symmetric per-channel filters, TFLite
 * Micro's reference_integer_ops::TransposeConv for int16: every product is scattered into an int64
 * scratch the size of the output, the bias added in int64, then the 64-bit
 * MultiplyByQuantizedMultiplier (multiplier reduced to 16 bits, one rounding) and the fused
 * activation's clamp. The bias is int64, or, surprisingly, int16: TFLite Micro widens an int16 bias
 * to int64 first (a leftover for older 16x8 models). An int32 bias would be read as int64 by TFLite
 * Micro (garbage), so it is refused. The emitted C gathers instead of scattering (no scratch): the
 * same int64 terms, exactly summed.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { activationRange } from '../common/numerics/activation.ts';
import { clamp } from '../common/numerics/fixedpoint.ts';
import { mbqm64 } from '../common/numerics/fixedpoint64.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from '../common/families/int16_variant.ts';
import { constInt8, optionalInput, tensorLabel } from '../common/families/weighted.ts';
import { constBias, int16WeightedBound, int64AccumulatorComment } from '../common/numerics/accumulator_bound.ts';
import { type TransposeWindow, geometry, requireTransposeShapes, scatterTransposeConv, transposeCView, transposeWindow } from './index.ts';

const INPUT = 2;
const FILTER = 1;
const BIAS = 3;

export interface TransposeConvInt16Params extends TransposeWindow, Int16Tagged {
  actMin: number;
  actMax: number;
  bias: 'none' | 'int16' | 'int64';
  /** |bias| + sum |w|·32768 over the worst output channel (accumulator_bound.ts) */
  accBound: number;
}

/** A layer is 16x8 when its data input (input 2; input 0 is the output shape) is int16. */
export function transposeInputIsInt16(graph: Graph, op: Op): boolean {
  const i = op.inputs[INPUT];
  return i !== undefined && i >= 0 && graph.tensors[i]?.dtype === 'int16';
}

function biasKind(graph: Graph, op: Op, outC: number): 'none' | 'int16' | 'int64' {
  const bias = optionalInput(graph, op, BIAS);
  if (!bias) return 'none';
  if (bias.dtype !== 'int64' && bias.dtype !== 'int16') {
    throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} is ${bias.dtype}; 16x8 TRANSPOSE_CONV takes an int64 (or int16) bias as TFLite Micro does`);
  }
  const count = bias.shape.reduce((n, d) => n * d, 1);
  if (count !== outC) throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} has ${count} elements; expected ${outC} (one per output channel)`);
  if (!bias.data) throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} is not a constant tensor; only constant biases are supported`);
  return bias.dtype;
}

export const transposeConvInt16: Int16Variant<TransposeConvInt16Params> = {
  check(graph, op) {
    const g = geometry(graph, op);
    requireInt16Activation(op, g.input, 'input');
    requireInt16Activation(op, g.output, 'output');
    requireTransposeShapes(op, g);
    biasKind(graph, op, g.filter.shape[0]!);
  },

  prepare(graph, op) {
    const g = geometry(graph, op);
    const window = transposeWindow(op, g);
    const range = activationRange(g.activation, g.output, 16);
    return {
      activationBits: 16,
      ...window,
      actMin: range.min,
      actMax: range.max,
      bias: biasKind(graph, op, window.outC),
      // every output sums a subset of its channel's kH·kW·inC taps: within the channel's bound
      accBound: int16WeightedBound({
        weights: constInt8(g.filter),
        rows: window.outC,
        rowLength: window.kH * window.kW * window.inC,
        bias: constBias(optionalInput(graph, op, BIAS)),
      }),
    };
  },

  evaluate(p, inputs, outputs) {
    const bias = inputs[BIAS] as Int16Array | BigInt64Array | undefined;
    const out = outputs[0] as Int16Array;
    const acc = new Float64Array(p.batches * p.outH * p.outW * p.outC);
    scatterTransposeConv(p, inputs[INPUT] as Int16Array, inputs[FILTER] as Int8Array, 0, acc);
    for (let o = 0; o < acc.length; o++) {
      const oc = o % p.outC;
      const total = BigInt(acc[o]!) + (bias ? BigInt(bias[oc]!) : 0n);
      out[o] = clamp(mbqm64(total, p.multiplier[oc]!, p.shift[oc]!), p.actMin, p.actMax);
    }
  },

  emitC(p, ctx) {
    return ctx.render('transpose_conv_int16.c.hbs', {
      ...transposeCView(p, ctx),
      biasPointer: p.bias === 'none' ? undefined : ctx.input(BIAS),
      biasCType: p.bias === 'int16' ? 'int16_t' : 'int64_t',
      partialCType: p.inC < 512 ? 'int32_t' : 'int64_t',
      accComment: int64AccumulatorComment(p.accBound),
    });
  },
};
