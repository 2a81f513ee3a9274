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
import { activationRange } from '../common/activation.ts';
import { clamp } from '../common/fixedpoint.ts';
import { mbqm64 } from '../common/fixedpoint64.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from '../common/int16_variant.ts';
import { type ChannelMultipliers, convChannelMultipliers, optionalInput, requantExprs, requireWeightQuant, tensorLabel } from '../common/weighted.ts';
import { geometry, requireTransposeShapes, transposePadding } from './index.ts';

const INPUT = 2;
const FILTER = 1;
const BIAS = 3;

export interface TransposeConvInt16Params extends ChannelMultipliers, Int16Tagged {
  batches: number;
  inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kH: number; kW: number;
  strideH: number; strideW: number;
  padTop: number; padLeft: number;
  actMin: number; actMax: number;
  bias: 'none' | 'int16' | 'int64';
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
    const [batches, inH, inW, inC] = g.input.shape as [number, number, number, number];
    const [outC, kH, kW] = g.filter.shape as [number, number, number, number];
    const [, outH, outW] = g.output.shape as [number, number, number, number];
    const filterScales = requireWeightQuant(op, g.filter, 0, outC, true);
    const range = activationRange(g.activation, g.output, 16);
    return {
      activationBits: 16,
      ...convChannelMultipliers(g.input.quant!.scale[0]!, filterScales, g.output.quant!.scale[0]!, outC),
      batches, inH, inW, inC, outH, outW, outC, kH, kW,
      strideH: g.strideH, strideW: g.strideW,
      padTop: transposePadding(g.padding, outH, kH, g.strideH),
      padLeft: transposePadding(g.padding, outW, kW, g.strideW),
      actMin: range.min, actMax: range.max,
      bias: biasKind(graph, op, outC),
    };
  },

  evaluate(p, inputs, outputs) {
    const x = inputs[INPUT] as Int16Array;
    const w = inputs[FILTER] as Int8Array;
    const bias = inputs[BIAS] as Int16Array | BigInt64Array | undefined;
    const out = outputs[0] as Int16Array;
    // TFLite Micro's order: scatter each input element over the outputs it reaches. The partial sums
    // stay below 2^53 for any layer that fits a microcontroller, so doubles hold them exactly.
    const acc = new Float64Array(p.batches * p.outH * p.outW * p.outC);
    for (let b = 0; b < p.batches; b++) {
      for (let iy = 0; iy < p.inH; iy++) {
        for (let ix = 0; ix < p.inW; ix++) {
          for (let ic = 0; ic < p.inC; ic++) {
            const v = x[((b * p.inH + iy) * p.inW + ix) * p.inC + ic]!;
            for (let ky = 0; ky < p.kH; ky++) {
              const oy = iy * p.strideH - p.padTop + ky;
              if (oy < 0 || oy >= p.outH) continue;
              for (let kx = 0; kx < p.kW; kx++) {
                const ox = ix * p.strideW - p.padLeft + kx;
                if (ox < 0 || ox >= p.outW) continue;
                for (let oc = 0; oc < p.outC; oc++) {
                  acc[((b * p.outH + oy) * p.outW + ox) * p.outC + oc] += v * w[((oc * p.kH + ky) * p.kW + kx) * p.inC + ic]!;
                }
              }
            }
          }
        }
      }
    }
    for (let o = 0; o < acc.length; o++) {
      const oc = o % p.outC;
      const total = BigInt(acc[o]!) + (bias ? BigInt(bias[oc]!) : 0n);
      out[o] = clamp(mbqm64(total, p.multiplier[oc]!, p.shift[oc]!), p.actMin, p.actMax);
    }
  },

  emitC(p, ctx) {
    const { mult, shift } = requantExprs(p, 'oc', (s, t, v) => ctx.addConst(s, t, v));
    return ctx.render('transpose_conv_int16.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(INPUT),
      filter: ctx.input(FILTER),
      biasPointer: p.bias === 'none' ? undefined : ctx.input(BIAS),
      biasCType: p.bias === 'int16' ? 'int16_t' : 'int64_t',
      partialCType: p.inC < 512 ? 'int32_t' : 'int64_t',
      output: ctx.output(0),
      mult,
      shift,
      macs: p.batches * p.inH * p.inW * p.inC * p.outC * p.kH * p.kW,
    });
  },
};
