// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D 16x8: int16 activations (zero point 0), int8 symmetric filters, TFLite Micro's int16
 * ConvPerChannel. No input or output offsets; the accumulator type follows the bias as in TFLite
 * Micro's Eval: an int64 bias gives an int64 accumulator and the 64-bit MultiplyByQuantizedMultiplier
 * (16-bit reduced multiplier, one rounding), an int32 bias the int32 accumulator and the usual
 * double-rounding one. Without a bias TFLite Micro takes the int64 path (checked against tflm-ref:
 * the int32 path was off by one step on about one layer in two). The int8 kernel in index.ts is untouched; withInt16Variant dispatches.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import { convInt16Variants } from './int16_variants.ts';
import { mbqm64 } from '../common/numerics/fixedpoint64.ts';
import { type Int16Tagged, type Int16Variant, int16BiasKind, requireInt16Activation } from '../common/families/int16_variant.ts';
import { type ConvWindowParams, conv2dGeometry as geometry, convRequant, convWindow, requireConvOutput } from '../common/families/conv_geometry.ts';
import {
  type ChannelMultipliers,
  constInt8,
  optionalInput,
  requantExprs,
  requireConstant,
  requireOutput,
  requireWeightQuant,
  tapRange,
  tensorLabel,
} from '../common/families/weighted.ts';
import { accumulatorC, constBias, int16WeightedBound, int32Accumulator, int64AccumulatorComment } from '../common/numerics/accumulator_bound.ts';

export interface Conv2DInt16Params extends ChannelMultipliers, Int16Tagged, ConvWindowParams {
  filterInC: number;
  groups: number;
  actMin: number;
  actMax: number;
  bias: 'none' | 'int32' | 'int64';
  /** |bias| + sum |w|·32768 over the worst output channel (accumulator_bound.ts) */
  accBound: number;
}

function check(graph: Graph, op: Op): void {
  const g = geometry(graph, op);
  const output = requireOutput(graph, op);
  requireInt16Activation(op, g.input, 'input');
  requireInt16Activation(op, output, 'output');
  requireWeightQuant(op, g.filter, 0, g.outC, true);
  requireConstant(op, g.filter, 'filter');
  int16BiasKind(op, optionalInput(graph, op, 2), g.outC, ['int32', 'int64']);
  if (g.filterInC < 1 || g.inC % g.filterInC !== 0 || g.outC % (g.inC / g.filterInC) !== 0) {
    throw new OpError(
      op.index,
      op.kind,
      `filter ${tensorLabel(g.filter)} has ${g.filterInC} input channels, which does not group the input's ${g.inC} channels into its ${g.outC} outputs`,
    );
  }
  requireConvOutput(op, g, g.outC, output, `${g.kH}x${g.kW}`);
}

function prepare(graph: Graph, op: Op): Conv2DInt16Params {
  const g = geometry(graph, op);
  return {
    activationBits: 16,
    ...convWindow(g),
    filterInC: g.filterInC,
    groups: g.inC / g.filterInC,
    bias: int16BiasKind(op, optionalInput(graph, op, 2), g.outC, ['int32', 'int64']),
    ...convRequant(graph, op, g, 0, 16),
    accBound: int16WeightedBound({
      weights: constInt8(g.filter),
      rows: g.outC,
      rowLength: g.kH * g.kW * g.filterInC,
      bias: constBias(optionalInput(graph, op, 2)),
    }),
  };
}

function evaluate(p: Conv2DInt16Params, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const input = inputs[0] as Int16Array;
  const filter = inputs[1] as Int8Array;
  const bias = inputs[2] as Int32Array | BigInt64Array | undefined;
  const output = outputs[0] as Int16Array;
  const filtersPerGroup = p.outC / p.groups;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      const [fyLo, fyHi] = tapRange(iy0, p.inH, p.kH, p.dilationH);
      for (let ox = 0; ox < p.outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const [fxLo, fxHi] = tapRange(ix0, p.inW, p.kW, p.dilationW);
        for (let oc = 0; oc < p.outC; oc++) {
          const c0 = Math.floor(oc / filtersPerGroup) * p.filterInC;
          let acc = 0;
          for (let fy = fyLo; fy < fyHi; fy++) {
            const iy = iy0 + fy * p.dilationH;
            for (let fx = fxLo; fx < fxHi; fx++) {
              const inBase = ((b * p.inH + iy) * p.inW + ix0 + fx * p.dilationW) * p.inC + c0;
              const wBase = ((oc * p.kH + fy) * p.kW + fx) * p.filterInC;
              for (let ic = 0; ic < p.filterInC; ic++) acc += filter[wBase + ic]! * input[inBase + ic]!;
            }
          }
          const scaled =
            p.bias !== 'int32'
              ? mbqm64(BigInt(acc) + (bias ? (bias as BigInt64Array)[oc]! : 0n), p.multiplier[oc]!, p.shift[oc]!)
              : mbqm((acc + (bias ? (bias as Int32Array)[oc]! : 0)) | 0, p.multiplier[oc]!, p.shift[oc]!);
          output[o++] = clamp(scaled, p.actMin, p.actMax);
        }
      }
    }
  }
}

export const conv2dInt16: Int16Variant<Conv2DInt16Params> = {
  check,
  prepare,
  evaluate,
  variants: convInt16Variants,
  emitC(p, ctx) {
    const { mult, shift } = requantExprs(p, 'oc', (s, t, v) => ctx.addConst(s, t, v));
    const macCount = p.batches * p.outH * p.outW * p.outC * p.kH * p.kW * p.filterInC;
    return ctx.render('conv_2d_int16.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      summary:
        `CONV_2D 16x8 [${p.batches},${p.inH},${p.inW},${p.inC}] * [${p.outC},${p.kH},${p.kW},${p.filterInC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}]` +
        ` stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}${p.groups > 1 ? ` groups ${p.groups}` : ''}, ${p.bias} bias, ${macCount} MACs`,
      input: ctx.input(0),
      filter: ctx.input(1),
      output: ctx.output(0),
      biasPointer: p.bias === 'none' ? undefined : ctx.input(2),
      // an int32 bias: TFLite Micro's int32 accumulator, in uint32_t where it can wrap
      ...(p.bias !== 'int32'
        ? { accComment: int64AccumulatorComment(p.accBound), accType: 'int64_t', accCast: '', accValue: 'acc' }
        : accumulatorC(int32Accumulator(p.accBound, '|bias| + sum |w x|'))),
      requantize: p.bias !== 'int32' ? 'tf_mbqm64' : 'tf_mbqm',
      grouped: p.groups > 1,
      filtersPerGroup: p.outC / p.groups,
      inImage: p.inH * p.inW * p.inC,
      inRow: p.inW * p.inC,
      filterPerOut: p.kH * p.kW * p.filterInC,
      filterRow: p.kW * p.filterInC,
      mult,
      shift,
    });
  },
};
