// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D, float32: TFLite Micro's reference DepthwiseConv<float>. For each output
 * position, input channel ic and multiplier m (output channel oc = ic * depth_multiplier + m), one
 * float32 sum started at 0.0f takes x * w for each filter row, then column, taps outside the image
 * skipped; then sum + bias (0.0f without one), clamped to the fused activation's float range.
 * Filter [1, kh, kw, outC], constant.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { depthwiseGeometry, requireDepthMultiplier, requireDepthwiseFilterShape } from '../common/families/conv_geometry.ts';
import { type FloatConvParams, checkFloatConv, floatConvParams } from '../common/families/float_conv.ts';
import { C_FMLA4X } from '../common/families/float_mla.ts';
import { type FloatKernel, C_CLAMP, cFloatLiteral, clampF, fround } from '../common/families/float_variant.ts';

export interface DepthwiseFloatParams extends FloatConvParams {
  multiplier: number;
}

function check(graph: Graph, op: Op): void {
  const g = depthwiseGeometry(graph, op);
  requireDepthwiseFilterShape(op, g.filter);
  requireDepthMultiplier(op, g.filter, g.inC, g.outC);
  checkFloatConv(graph, op, g, g.outC);
}

export const depthwiseConv2dFloat: FloatKernel<DepthwiseFloatParams> = {
  check,
  prepare(graph, op) {
    const g = depthwiseGeometry(graph, op);
    return { ...floatConvParams(graph, op, g, g.outC), multiplier: g.outC / g.inC };
  },
  macs(graph, op) {
    const g = depthwiseGeometry(graph, op);
    return g.batches * g.outH * g.outW * g.outC * g.kH * g.kW;
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const w = inputs[1] as Float32Array;
    const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
    const out = outputs[0] as Float32Array;
    let o = 0;
    for (let b = 0; b < p.batches; b++)
      for (let oy = 0; oy < p.outH; oy++)
        for (let ox = 0; ox < p.outW; ox++)
          for (let ic = 0; ic < p.inC; ic++)
            for (let m = 0; m < p.multiplier; m++) {
              const oc = m + ic * p.multiplier;
              const ix0 = ox * p.strideW - p.padW;
              const iy0 = oy * p.strideH - p.padH;
              let total = 0;
              for (let ky = 0; ky < p.kH; ky++)
                for (let kx = 0; kx < p.kW; kx++) {
                  const ix = ix0 + p.dilationW * kx;
                  const iy = iy0 + p.dilationH * ky;
                  if (ix >= 0 && ix < p.inW && iy >= 0 && iy < p.inH)
                    total = fround(total + fround(x[((b * p.inH + iy) * p.inW + ix) * p.inC + ic]! * w[(ky * p.kW + kx) * p.outC + oc]!));
                }
              out[o++] = clampF(fround(total + (bias ? bias[oc]! : 0)), p.actMin, p.actMax);
            }
  },
  emitC(p, ctx) {
    ctx.defineOnce('tf_fclamp', C_CLAMP);
    if (p.multiplier === 1) {
      // one output channel per input channel: four neighbouring channels per step
      ctx.defineOnce('tf_fmla4x', C_FMLA4X);
      const blocks = p.outC - (p.outC % 4);
      return ctx.render('depthwise_conv_2d_float_blocked.c.hbs', {
        ...p,
        blocks,
        tail: p.outC - blocks,
        imageSize: p.inH * p.inW * p.inC,
        xRowStep: p.dilationH * p.inW * p.inC,
        xTapStep: p.dilationW * p.inC,
        wRowStep: p.kW * p.outC,
        fnName: ctx.fnName,
        input: ctx.input(0),
        filter: ctx.input(1),
        bias: p.hasBias ? ctx.input(2) : undefined,
        output: ctx.output(0),
        lo: cFloatLiteral(p.actMin),
        hi: cFloatLiteral(p.actMax),
      });
    }
    return ctx.render('depthwise_conv_2d_float.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      filter: ctx.input(1),
      bias: p.hasBias ? ctx.input(2) : undefined,
      output: ctx.output(0),
      lo: cFloatLiteral(p.actMin),
      hi: cFloatLiteral(p.actMax),
    });
  },
};
