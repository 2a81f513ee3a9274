// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's portable C (conv_2d.c.hbs): the op's own emitter on every target, and the fallback of
 * target variants for layers their compile-time checks refuse (e.g. the Armv6-M packed loop's).
 */
import type { LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, cTerm, foldedInitExpr, requantExprs } from '../common/families/weighted.ts';
import type { Conv2DParams } from './contract.ts';
import { isPointwise, summary } from './describe.ts';
import { accumulatorC } from '../common/numerics/accumulator_bound.ts';

export function emitConvPortable(p: Conv2DParams, ctx: LayerEmitContext): string {
  const filterTensor = ctx.graph.tensors[ctx.op.inputs[1]!]!;
  const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
  const pointwise = isPointwise(p);
  const channel = 'oc';
  const { mult, shift, ortScale } = requantExprs(p, channel, (s, t, v) => ctx.addConst(s, t, v));
  let accInit = '0';
  if (pointwise) {
    accInit = foldedInitExpr({
      weights: constInt8(filterTensor),
      rows: p.outC,
      rowLength: p.inC,
      inputOffset: p.inputOffset,
      bias: biasTensor && constInt32(biasTensor),
      biasPointer: () => ctx.input(2),
      addConst: (s, t, v) => ctx.addConst(s, t, v),
      rowVar: channel,
    });
  } else if (p.hasBias) {
    accInit = `${ctx.input(2)}[${channel}]`;
  }
  return ctx.render('conv_2d.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary: summary(p),
    input: ctx.input(0),
    filter: ctx.input(1),
    output: ctx.output(0),
    pointwise,
    grouped: p.groups > 1,
    filtersPerGroup: p.outC / p.groups,
    pixels: p.batches * p.outH * p.outW,
    inImage: p.inH * p.inW * p.inC,
    inRow: p.inW * p.inC,
    filterPerOut: p.kH * p.kW * p.filterInC,
    filterRow: p.kW * p.filterInC,
    accInit,
    ...accumulatorC({ accWraps: p.accWraps ?? false, accBound: p.accBound ?? '' }),
    inputOffsetTerm: cTerm(p.inputOffset),
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
    ortScale,
  });
}
