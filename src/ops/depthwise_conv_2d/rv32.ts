// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's RV32IMC variant (the ESP32-C3 class). Output channels go in groups of G per
 * pass with G accumulators in registers: when the depth multiplier is a multiple of G (one input
 * channel, as in micro_speech's and person_detect's first layers) the G channels read the same
 * input byte, loaded once per tap for G multiply-accumulates (G = 8 when the multiplier allows);
 * with multiplier 1 the G = 4 channels read 4 neighbouring input bytes. Weights are re-laid at
 * compile time as [group][tap][G] (read in order, same bytes), every shape is a literal, and a
 * window inside the image runs a straight line of taps per kernel row (the columns unrolled at
 * constant offsets) from start values with the input offset folded in; windows over the padding
 * skip the padded taps and add the offset per input byte, as the portable kernel does. Same int32
 * sums and the same tf_mbqm as the portable kernel, so bit-exact with it.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, cTerm, isUniform } from '../common/weighted.ts';
import { insideRange } from '../common/conv_geometry.ts';
import { rv32RightOnly } from '../common/rv32_matmul.ts';
import type { DepthwiseConv2DParams } from './index.ts';
import { summary } from './describe.ts';

/** Columns of a kernel row unrolled in the straight-line path (more: a loop over them). */
const MAX_UNROLLED_COLUMNS = 16;

/** Channels per pass, 0 when the variant does not cover the layer. */
export function rv32Group(p: DepthwiseConv2DParams): number {
  if (p.depthMultiplier % 8 === 0) return 8;
  if (p.depthMultiplier % 4 === 0) return 4;
  if (p.depthMultiplier === 1 && p.inC % 4 === 0) return 4;
  return 0;
}

export function depthwiseRv32Applies(p: DepthwiseConv2DParams): boolean {
  return rv32Group(p) > 0;
}

/** Filter [taps][outC] as [group][tap][G]. */
export function rv32DepthwiseWeights(filter: Int8Array, taps: number, outC: number, g: number): Int8Array {
  const out = new Int8Array(taps * outC);
  let at = 0;
  for (let c = 0; c < outC; c += g) for (let t = 0; t < taps; t++) for (let j = 0; j < g; j++) out[at++] = filter[t * outC + c + j]!;
  return out;
}

/**
 * Per group: G starts of a window inside the image (bias + input offset * the channel's weight sum),
 * G biases (windows over the padding), then per-channel requantization: G multipliers and G shifts
 * (e = -shift when every shift is a right shift, for tf_rv32_mbqm_right).
 */
function records(p: DepthwiseConv2DParams, filter: Int8Array, bias: Int32Array | undefined, g: number, perChannel: boolean): Int32Array {
  const taps = p.kH * p.kW;
  const fields = perChannel ? 4 : 2;
  const out = new Int32Array(p.outC * fields);
  for (let c = 0; c < p.outC; c++) {
    let sum = 0;
    for (let t = 0; t < taps; t++) sum += filter[t * p.outC + c]!;
    const at = Math.floor(c / g) * g * fields + (c % g);
    const b = bias ? bias[c]! : 0;
    out[at] = (b + sum * p.inputOffset) | 0;
    out[at + g] = b;
    if (perChannel) {
      out[at + 2 * g] = p.multiplier[c]!;
      out[at + 3 * g] = rv32RightOnly(p) ? -p.shift[c]! : p.shift[c]!;
    }
  }
  return out;
}

function emit(p: DepthwiseConv2DParams, ctx: LayerEmitContext): string {
  const g = rv32Group(p);
  const shared = p.depthMultiplier % g === 0;
  const perChannel = !isUniform(p);
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const taps = p.kH * p.kW;
  const tapStep = p.dilationW * p.inC;
  const accs = Array.from({ length: g }, (_, j) => `a${j}`);
  // one tap's multiply-accumulates: `#` in the weight and `@` in the input expression is the channel j
  const macLines = (xBase: string, wBase: string, offsetTerm: string) => {
    const lines: string[] = [];
    if (shared) {
      lines.push(`const int32_t x = ${xBase} ${offsetTerm};`);
      lines.push(accs.map((a, j) => `${a} += (int32_t)${wBase.replace('#', String(j))} * x;`).join(' '));
    } else {
      for (let j = 0; j < g; j++) lines.push(`${accs[j]} += (int32_t)${wBase.replace('#', String(j))} * (${xBase.replace('@', String(j))} ${offsetTerm});`);
    }
    return lines;
  };
  // the straight-line path: one kernel row's columns at constant offsets from `row` and `w`
  const unrolled = p.kW <= MAX_UNROLLED_COLUMNS;
  const insideRow: string[] = [];
  if (unrolled) {
    for (let fx = 0; fx < p.kW; fx++) {
      const xExpr = shared ? `row[${fx * tapStep}]` : `row[${fx * tapStep} + @]`;
      // the empty asm keeps gcc's scheduler from hoisting every tap's loads to the top of the row
      // (more live values than registers: spills); it emits no instruction
      insideRow.push(`{ ${macLines(xExpr, `w[${fx * g} + #]`, '').join(' ')} TF_RV32_TAP_BARRIER(); }`);
    }
  } else {
    insideRow.push(`for (int fx = 0; fx < ${p.kW}; ++fx) {`);
    insideRow.push(`  ${macLines(shared ? `row[fx * ${tapStep}]` : `row[fx * ${tapStep} + @]`, `w[fx * ${g} + #]`, '').join(' ')}`);
    insideRow.push('}');
  }
  const borderTap = macLines(shared ? 'x_tap[0]' : 'x_tap[@]', `w_tap[#]`, cTerm(p.inputOffset));
  const [rowLo, rowHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colLo, colHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  return ctx.render('depthwise_conv_2d_rv32.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary: summary(p),
    how: shared ? `${g} channels per pass sharing each input load` : `${g} channels per pass over neighbouring input bytes`,
    input: ctx.input(0),
    output: ctx.output(0),
    weights: ctx.addConst('w_rv32', 'int8_t', rv32DepthwiseWeights(filter, taps, p.outC, g)),
    records: ctx.addConst('rec_rv32', 'int32_t', records(p, filter, bias, g, perChannel)),
    g,
    groups: p.outC / g,
    recordStride: g * (perChannel ? 4 : 2),
    groupWeights: taps * g,
    kernelRowWeights: p.kW * g,
    // input channel of a group's first output channel, as an offset from the pixel's first byte
    groupInput: shared ? `(grp * ${g}) / ${p.depthMultiplier}` : `grp * ${g}`,
    accDecl: accs.map((a, j) => `${a} = start[${j}]`).join(', '),
    stores: accs.map((a, j) => `out[${j}] = ${ctx.fnName}_rq(${a}, rec, ${j});`),
    insideRow,
    borderTap,
    perChannel,
    rightOnly: rv32RightOnly(p),
    recMult: 2 * g,
    recShift: 3 * g,
    mult: p.multiplier[0],
    shift: p.shift[0],
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    inImage: p.inH * p.inW * p.inC,
    inRow: p.inW * p.inC,
    rowStep: p.dilationH * p.inW * p.inC,
    tapStep,
    rowLo,
    rowHi,
    colLo,
    colHi,
  });
}

export const depthwiseRv32Variant: KernelVariant<DepthwiseConv2DParams> = {
  name: 'rv32',
  family: 'rv32',
  applies: depthwiseRv32Applies,
  emit,
};
