// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV, float32: TFLite Micro's reference TransposeConv (float). The reference scatters:
 * the output starts at 0.0f everywhere, and each input element in turn (batch, row, column, input
 * channel) adds input * filter to every output it reaches (filter row, column, output channel).
 * So each output is one float32 sum from 0.0f taking its taps in order of the input's row, column
 * and channel; then + bias where the layer has one (no + 0.0f without: the reference skips it),
 * clamped to the fused activation's float range.
 *
 * The C gathers instead (each output computed once, in registers), walking its taps in the
 * reference's order: filter rows downwards (input rows upwards), filter columns downwards, input
 * channels upwards. The TypeScript reference scatters as TFLite Micro does, so the two orders are
 * checked against each other as well as against tflm-ref.
 */
import type { ActivationAttrs, Graph, Op } from '../../ir/graph.ts';
import {
  type FloatKernel,
  type FloatTagged,
  C_CLAMP,
  cFloatLiteral,
  clampF,
  floatActivationRange,
  fround,
  requireFloat,
} from '../common/families/float_variant.ts';
import { optionalInput, requireConstant, tensorLabel } from '../common/families/weighted.ts';
import { OpError } from '../../errors.ts';
import { elementCount } from '../../ir/graph.ts';
import { type TransposeShape, geometry, requireTransposeShapes, transposeShape } from './index.ts';

const FILTER = 1;
const INPUT = 2;
const BIAS = 3;

export interface TransposeConvFloatParams extends TransposeShape, FloatTagged {
  hasBias: boolean;
  actMin: number;
  actMax: number;
}

/** A float32 layer: its input (operand 2; operand 0 is the output shape) is float32. */
export function transposeInputIsFloat(graph: Graph, op: Op): boolean {
  const i = op.inputs[INPUT];
  return i !== undefined && i >= 0 && graph.tensors[i]?.dtype === 'float32';
}

function check(graph: Graph, op: Op): void {
  const g = geometry(graph, op);
  const bias = optionalInput(graph, op, BIAS);
  requireFloat(op, [
    [g.input, 'input'],
    [g.filter, 'filter'],
    [bias, 'bias'],
    [g.output, 'output'],
  ]);
  requireTransposeShapes(op, g, false);
  const outC = g.filter.shape[0]!;
  if (bias) {
    requireConstant(op, bias, 'bias');
    if (elementCount(bias.shape) !== outC)
      throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} has ${elementCount(bias.shape)} elements; expected ${outC} (one per output channel)`);
  }
}

export const transposeConvFloat: FloatKernel<TransposeConvFloatParams> = {
  check,
  prepare(graph, op) {
    const g = geometry(graph, op);
    const [actMin, actMax] = floatActivationRange((op.attrs as Partial<ActivationAttrs>).activation);
    return { float32: true, ...transposeShape(g), hasBias: optionalInput(graph, op, BIAS) !== undefined, actMin, actMax };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[INPUT] as Float32Array;
    const w = inputs[FILTER] as Float32Array;
    const bias = p.hasBias ? (inputs[BIAS] as Float32Array) : undefined;
    const out = outputs[0] as Float32Array;
    // TFLite Micro's scatter: the output from 0.0f, each input element added where it reaches
    out.fill(0);
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
                  const o = ((b * p.outH + oy) * p.outW + ox) * p.outC + oc;
                  out[o] = fround(out[o]! + fround(v * w[((oc * p.kH + ky) * p.kW + kx) * p.inC + ic]!));
                }
              }
            }
          }
        }
      }
    }
    for (let o = 0; o < out.length; o++) {
      const acc = bias ? fround(out[o]! + bias[o % p.outC]!) : out[o]!;
      out[o] = clampF(acc, p.actMin, p.actMax);
    }
  },
  emitC(p, ctx) {
    ctx.defineOnce('tf_fclamp', C_CLAMP);
    return ctx.render('transpose_conv_float.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(INPUT),
      filter: ctx.input(FILTER),
      bias: p.hasBias ? ctx.input(BIAS) : '',
      output: ctx.output(0),
      lo: cFloatLiteral(p.actMin),
      hi: cFloatLiteral(p.actMax),
      macs: p.batches * p.inH * p.inW * p.inC * p.outC * p.kH * p.kW,
    });
  },
};
