// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D, float32: TFLite Micro's reference Conv<float>. For each output position and channel, one
 * float32 sum started at 0.0f takes, for each filter row, then column (taps outside the image
 * skipped), then input channel of the group, x * w; then sum + bias (0.0f without one), clamped to
 * the fused activation's float range. OHWI filter [outC, kh, kw, inC / groups], constant.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { conv2dGeometry } from '../common/families/conv_geometry.ts';
import { type FloatConvParams, checkFloatConv, floatConvParams } from '../common/families/float_conv.ts';
import { type FloatKernel, C_CLAMP, cFloatLiteral, clampF, fround } from '../common/families/float_variant.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { C_FMLA4, interleaveRowsBy4 } from '../common/families/float_mla.ts';

export interface Conv2dFloatParams extends FloatConvParams {
  /** input channels each filter sees: inC / groups */
  filterInC: number;
  /** output channels per group */
  perGroup: number;
}

function check(graph: Graph, op: Op): void {
  const g = conv2dGeometry(graph, op);
  if (g.filterInC < 1 || g.inC % g.filterInC !== 0)
    throw new OpError(op.index, op.kind, `filter ${tensorLabel(g.filter)} has ${g.filterInC} input channels, which does not divide the input's ${g.inC}`);
  const groups = g.inC / g.filterInC;
  if (g.outC % groups !== 0)
    throw new OpError(op.index, op.kind, `filter ${tensorLabel(g.filter)} has ${g.outC} output channels, not a multiple of the ${groups} groups`);
  checkFloatConv(graph, op, g, g.outC);
}

export const conv2dFloat: FloatKernel<Conv2dFloatParams> = {
  check,
  prepare(graph, op) {
    const g = conv2dGeometry(graph, op);
    return { ...floatConvParams(graph, op, g, g.outC), filterInC: g.filterInC, perGroup: g.outC / (g.inC / g.filterInC) };
  },
  macs(graph, op) {
    const g = conv2dGeometry(graph, op);
    return g.batches * g.outH * g.outW * g.outC * g.kH * g.kW * g.filterInC;
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const w = inputs[1] as Float32Array;
    const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
    const out = outputs[0] as Float32Array;
    let o = 0;
    for (let b = 0; b < p.batches; b++)
      for (let oy = 0; oy < p.outH; oy++) {
        const iy0 = oy * p.strideH - p.padH;
        for (let ox = 0; ox < p.outW; ox++) {
          const ix0 = ox * p.strideW - p.padW;
          for (let oc = 0; oc < p.outC; oc++) {
            const c0 = Math.floor(oc / p.perGroup) * p.filterInC;
            let total = 0;
            for (let ky = 0; ky < p.kH; ky++) {
              const iy = iy0 + p.dilationH * ky;
              for (let kx = 0; kx < p.kW; kx++) {
                const ix = ix0 + p.dilationW * kx;
                if (ix < 0 || ix >= p.inW || iy < 0 || iy >= p.inH) continue;
                const xi = ((b * p.inH + iy) * p.inW + ix) * p.inC + c0;
                const wi = ((oc * p.kH + ky) * p.kW + kx) * p.filterInC;
                for (let c = 0; c < p.filterInC; c++) total = fround(total + fround(x[xi + c]! * w[wi + c]!));
              }
            }
            out[o++] = clampF(fround(total + (bias ? bias[oc]! : 0)), p.actMin, p.actMax);
          }
        }
      }
  },
  emitC(p, ctx) {
    ctx.defineOnce('tf_fclamp', C_CLAMP);
    if (p.perGroup === p.outC) {
      // one group: four output channels per step over a filter interleaved by four
      ctx.defineOnce('tf_fmla4', C_FMLA4);
      const filterRow = p.kH * p.kW * p.inC;
      const blocks = p.outC - (p.outC % 4);
      const w = fromBytes('float32', ctx.graph.tensors[ctx.op.inputs[1]!]!.data!) as Float32Array;
      return ctx.render('conv_2d_float_blocked.c.hbs', {
        ...p,
        blocks,
        tail: p.outC - blocks,
        filterRow,
        blockStride: 4 * filterRow,
        wRow4: 4 * p.kW * p.inC,
        wTap4: 4 * p.inC,
        rowSize: p.inW * p.inC,
        imageSize: p.inH * p.inW * p.inC,
        dilationW1: p.dilationW === 1,
        fnName: ctx.fnName,
        input: ctx.input(0),
        weights: ctx.addConst('w4', 'float', interleaveRowsBy4(w, p.outC, filterRow)),
        bias: p.hasBias ? ctx.input(2) : undefined,
        output: ctx.output(0),
        lo: cFloatLiteral(p.actMin),
        hi: cFloatLiteral(p.actMax),
      });
    }
    return ctx.render('conv_2d_float.c.hbs', {
      ...p,
      grouped: p.perGroup !== p.outC,
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
