// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D 16x8: int16 activations (zero point 0), int8 symmetric filters [1, kh, kw, C*mult],
 * TFLite Micro's int16 DepthwiseConvPerChannel: an int64 accumulator, an optional int64 bias, the
 * 64-bit MultiplyByQuantizedMultiplier per output channel. (TFLite Micro reads the bias as int64
 * whatever its type, so an int32 bias is refused rather than misread.)
 */
import type { Graph, Op } from '../../ir/graph.ts';
import type { IsaFamily, KernelVariant, LayerEmitContext } from '../op.ts';
import { type Int16GemvFamily, int16FastMultipliers, pairOrderRows } from '../common/families/int16_gemv.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { clamp } from '../common/numerics/fixedpoint.ts';
import { mbqm64 } from '../common/numerics/fixedpoint64.ts';
import { type Int16Tagged, type Int16Variant, int16BiasKind, requireInt16Activation } from '../common/families/int16_variant.ts';
import {
  type ConvWindowParams,
  convRequant,
  convWindow,
  depthwiseGeometry as geometry,
  requireConvOutput,
  requireDepthMultiplier,
  requireDepthwiseFilterShape,
} from '../common/families/conv_geometry.ts';
import {
  type ChannelMultipliers,
  constInt8,
  isUniform,
  optionalInput,
  requantExprs,
  requireConstant,
  requireOutput,
  requireWeightQuant,
  tapRange,
} from '../common/families/weighted.ts';
import { constBias, int16WeightedBound, int64AccumulatorComment } from '../common/numerics/accumulator_bound.ts';

export interface DepthwiseConv2DInt16Params extends ChannelMultipliers, Int16Tagged, ConvWindowParams {
  depthMultiplier: number;
  actMin: number;
  actMax: number;
  hasBias: boolean;
  /** |bias| + sum |w|·32768 over the worst output channel (accumulator_bound.ts) */
  accBound: number;
}

const QUANTIZED_AXIS = 3;

function check(graph: Graph, op: Op): void {
  const g = geometry(graph, op);
  const output = requireOutput(graph, op);
  requireInt16Activation(op, g.input, 'input');
  requireInt16Activation(op, output, 'output');
  requireDepthwiseFilterShape(op, g.filter);
  requireWeightQuant(op, g.filter, QUANTIZED_AXIS, g.outC, true);
  requireConstant(op, g.filter, 'filter');
  int16BiasKind(op, optionalInput(graph, op, 2), g.outC, ['int64']);
  requireDepthMultiplier(op, g.filter, g.inC, g.outC);
  requireConvOutput(op, g, g.outC, output, `${g.kH}x${g.kW}`);
}

function prepare(graph: Graph, op: Op): DepthwiseConv2DInt16Params {
  const g = geometry(graph, op);
  return {
    activationBits: 16,
    ...convWindow(g),
    depthMultiplier: g.outC / g.inC,
    hasBias: optionalInput(graph, op, 2) !== undefined,
    ...convRequant(graph, op, g, QUANTIZED_AXIS, 16),
    accBound: int16WeightedBound({
      weights: constInt8(g.filter),
      rows: g.outC,
      rowLength: g.kH * g.kW,
      layout: 'columns',
      bias: constBias(optionalInput(graph, op, 2)),
    }),
  };
}

function evaluate(p: DepthwiseConv2DInt16Params, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const input = inputs[0] as Int16Array;
  const filter = inputs[1] as Int8Array;
  const bias = inputs[2] as BigInt64Array | undefined;
  const output = outputs[0] as Int16Array;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      const [fyLo, fyHi] = tapRange(iy0, p.inH, p.kH, p.dilationH);
      for (let ox = 0; ox < p.outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const [fxLo, fxHi] = tapRange(ix0, p.inW, p.kW, p.dilationW);
        const outBase = ((b * p.outH + oy) * p.outW + ox) * p.outC;
        for (let ic = 0; ic < p.inC; ic++) {
          for (let m = 0; m < p.depthMultiplier; m++) {
            const oc = ic * p.depthMultiplier + m;
            let acc = 0;
            for (let fy = fyLo; fy < fyHi; fy++) {
              const iy = iy0 + fy * p.dilationH;
              for (let fx = fxLo; fx < fxHi; fx++) {
                const x = input[((b * p.inH + iy) * p.inW + ix0 + fx * p.dilationW) * p.inC + ic]!;
                acc += filter[(fy * p.kW + fx) * p.outC + oc]! * x;
              }
            }
            const scaled = mbqm64(BigInt(acc) + (bias ? bias[oc]! : 0n), p.multiplier[oc]!, p.shift[oc]!);
            output[outBase + oc] = clamp(scaled, p.actMin, p.actMax);
          }
        }
      }
    }
  }
}

export const depthwiseConv2dInt16: Int16Variant<DepthwiseConv2DInt16Params> = {
  check,
  prepare,
  evaluate,
  emitC: (p, ctx) => emitDepthwiseInt16(p, ctx),
  variants: [
    channelBlockVariant('arm-dsp'),
    channelBlockVariant('armv6m'),
    channelBlockVariant('rv32'),
    narrowVariant('arm-dsp'),
    narrowVariant('armv6m'),
    narrowVariant('rv32'),
  ],
};

/**
 * The most taps whose int32 sum is exact: one product is at most 128 * 32768 = 2^22 in magnitude, and
 * 511 * 2^22 < 2^31.
 */
export const INT32_SUM_TAPS = 511;

/**
 * The C of one layer: TFLite Micro's int64 sum (`narrow` absent: the portable C), or, named `narrow`,
 * the same loops summing each output's taps in int32 (exact up to INT32_SUM_TAPS taps) and widening
 * once before the bias and the 64-bit requantization: on 32-bit cores an int64 sum costs a carry and
 * a sign extension per product.
 */
function emitDepthwiseInt16(p: DepthwiseConv2DInt16Params, ctx: LayerEmitContext, narrow?: string): string {
  const { mult, shift } = requantExprs(p, 'oc', (s, t, v) => ctx.addConst(s, t, v));
  const macCount = p.batches * p.outH * p.outW * p.outC * p.kH * p.kW;
  return ctx.render('depthwise_conv_2d_int16.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary:
      `DEPTHWISE_CONV_2D 16x8 [${p.batches},${p.inH},${p.inW},${p.inC}] * [1,${p.kH},${p.kW},${p.outC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}]` +
      ` multiplier ${p.depthMultiplier} stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}, ${macCount} MACs`,
    input: ctx.input(0),
    filter: ctx.input(1),
    output: ctx.output(0),
    biasPointer: p.hasBias ? ctx.input(2) : undefined,
    inImage: p.inH * p.inW * p.inC,
    inRow: p.inW * p.inC,
    filterRow: p.kW * p.outC,
    mult,
    shift,
    narrow,
    taps: p.kH * p.kW,
    accComment: int64AccumulatorComment(p.accBound),
  });
}

/** The int32-sum loops as the target variant of one family (any layer of at most INT32_SUM_TAPS taps). */
function narrowVariant(family: IsaFamily): KernelVariant<DepthwiseConv2DInt16Params> {
  return {
    name: `${family} int16`,
    family,
    applies: (p) => p.kH * p.kW <= INT32_SUM_TAPS,
    emit: (p, ctx) => emitDepthwiseInt16(p, ctx, `${family} int16: int32 sums`),
  };
}

/**
 * Depth multiplier 1: depthwise_conv_2d_int16.h's kernel, four channels' int32 sums in registers over
 * the window (Arm DSP: SMLABB / SMLATT on int16 pairs, the filter's words stored w0 w2 w1 w3).
 */
function channelBlockVariant(family: Int16GemvFamily): KernelVariant<DepthwiseConv2DInt16Params> {
  return {
    name: `${family} int16 channel blocks`,
    family,
    applies: (p) => p.depthMultiplier === 1 && p.kH * p.kW <= INT32_SUM_TAPS,
    emit(p, ctx) {
      const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
      const weights = family === 'arm-dsp' ? ctx.addConst('w16', 'int8_t', pairOrderRows(filter, p.kH * p.kW, p.outC)) : ctx.input(1);
      const perChannel = !isUniform(p);
      const mult = perChannel ? ctx.addConst('mult', 'int32_t', p.multiplier) : 'mult_one';
      const shift = perChannel ? ctx.addConst('shift', 'int32_t', p.shift) : 'shift_one';
      const fastValues = int16FastMultipliers(p.multiplier, p.shift);
      const fast = perChannel ? ctx.addConst('fast', 'int32_t', fastValues) : 'fast_one';
      const macCount = p.batches * p.outH * p.outW * p.outC * p.kH * p.kW;
      return `/* DEPTHWISE_CONV_2D 16x8 [${p.batches},${p.inH},${p.inW},${p.inC}] * [1,${p.kH},${p.kW},${p.outC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}] stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}, ${macCount} MACs (${family} int16: channel blocks of 4) */
static void ${ctx.fnName}(void) {
${perChannel ? '' : `  static const int32_t mult_one[1] = { ${p.multiplier[0]} }, shift_one[1] = { ${p.shift[0]} }, fast_one[1] = { ${fastValues[0]} };\n`}  const tf_s16_dw_t p = { ${p.batches}, ${p.inH}, ${p.inW}, ${p.inC}, ${p.outH}, ${p.outW}, ${p.kH}, ${p.kW}, ${p.strideH}, ${p.strideW}, ${p.dilationH}, ${p.dilationW}, ${p.padTop}, ${p.padLeft}, ${p.hasBias ? ctx.input(2) : '0'}, ${mult}, ${shift}, ${fast}, ${perChannel ? 1 : 0}, ${p.actMin}, ${p.actMax} };
  ${family === 'arm-dsp' ? 'tf_s16_dw_dsp' : 'tf_s16_dw'}(${ctx.input(0)}, ${weights}, &p, ${ctx.output(0)});
}
`;
    },
    cFiles: ['depthwise_conv_2d/depthwise_conv_2d_int16.h'],
  };
}
