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
import { constInt32, constInt8, cTerm, isUniform } from '../common/families/weighted.ts';
import { insideRange } from '../common/families/conv_geometry.ts';
import { rv32RightOnly, rv32RightPositive } from '../common/isa/rv32_matmul.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { summary } from './describe.ts';
import { ortIntegerMultiplier, ortMultipliersFit } from '../common/numerics/requant_f32.ts';

/** Columns of a kernel row unrolled in the straight-line path (more: a loop over them). */
const MAX_UNROLLED_COLUMNS = 16;

/**
 * Channels per pass. A depth multiplier of 8 or 4k: groups of 8 or 4 channels sharing one input
 * byte; multipliers 1 to 3: groups of whole input channels, 4 (1 or 2 input bytes) or 6 (2 bytes of
 * multiplier 3), a narrower last pass when the channels do not fill the groups; other multipliers:
 * the largest divisor of the multiplier up to 8 (5 for 5 and 10, 3 for 9, 1 only for a prime
 * multiplier above 8), the channels sharing one input byte.
 */
export function rv32Group(p: DepthwiseConv2DParams): number {
  const m = p.depthMultiplier;
  if (m % 8 === 0) return 8;
  if (m % 4 === 0) return 4;
  if (m <= 3) return 2 * m <= 4 ? 4 : 2 * m;
  for (let g = Math.min(m, 8); g > 1; g--) if (m % g === 0) return g;
  return 1;
}

/** Every int8 depthwise layer the op accepts. */
export function depthwiseRv32Applies(p: DepthwiseConv2DParams): boolean {
  return ortMultipliersFit(p.ortScale);
}

/** Filter [taps][outC] as [group][tap][G], zero weights padding a narrower last group to G. */
export function rv32DepthwiseWeights(filter: Int8Array, taps: number, outC: number, g: number): Int8Array {
  const groups = Math.ceil(outC / g);
  const out = new Int8Array(taps * groups * g);
  let at = 0;
  for (let c = 0; c < outC; c += g) for (let t = 0; t < taps; t++) for (let j = 0; j < g; j++) out[at++] = c + j < outC ? filter[t * outC + c + j]! : 0;
  return out;
}

/**
 * Per group (a narrower last group padded to G): G starts of a window inside the image (bias + input offset * the channel's weight sum),
 * G biases (windows over the padding), then per-channel requantization: G multipliers and G shifts
 * (e = -shift when every shift is a right shift, for tf_rv32_mbqm_right; 2m and e - 1 when every e is
 * at least 1, for tf_rv32_mbqm_right1, except in the Xtensa variant).
 */
function records(p: DepthwiseConv2DParams, filter: Int8Array, bias: Int32Array | undefined, g: number, perChannel: boolean, positive: boolean): Int32Array {
  const taps = p.kH * p.kW;
  const fields = perChannel ? 4 : 2;
  const out = new Int32Array(Math.ceil(p.outC / g) * g * fields);
  for (let c = 0; c < p.outC; c++) {
    let sum = 0;
    for (let t = 0; t < taps; t++) sum += filter[t * p.outC + c]!;
    const at = Math.floor(c / g) * g * fields + (c % g);
    const b = bias ? bias[c]! : 0;
    out[at] = (b + sum * p.inputOffset) | 0;
    out[at + g] = b;
    if (perChannel && p.ortScale) {
      // rv32.h tf_rv32_rq_ort's { mantissa, shift }
      const { mantissa, shift } = ortIntegerMultiplier(p.ortScale[c]!)!;
      out[at + 2 * g] = mantissa;
      out[at + 3 * g] = shift;
    } else if (perChannel && positive) {
      // tf_rv32_mbqm_right1's 2m and e - 1
      out[at + 2 * g] = (2 * p.multiplier[c]!) | 0;
      out[at + 3 * g] = -p.shift[c]! - 1;
    } else if (perChannel) {
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
  const ort = p.ortScale ? ortIntegerMultiplier(p.ortScale[0]!)! : undefined;
  // the Xtensa variant runs this C with its own tf_xt_mbqm_right on m and e
  const positive = !ctx.isa?.xtensa && rv32RightPositive(p);
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const taps = p.kH * p.kW;
  const tapStep = p.dilationW * p.inC;
  // one pass of `n` channels (n = g, or fewer in a narrower last group); `#` in the weight and `@`
  // in the input expression is the channel j
  const pass = (n: number) => {
    const accs = Array.from({ length: n }, (_, j) => `a${j}`);
    // one tap's multiply-accumulates
    const macLines = (xBase: string, wBase: string, offsetTerm: string) => {
      const lines: string[] = [];
      if (shared) {
        lines.push(`const int32_t x = ${xBase} ${offsetTerm};`);
        lines.push(accs.map((a, j) => `${a} += (int32_t)${wBase.replace('#', String(j))} * x;`).join(' '));
      } else {
        // channel j reads the group's input byte j / multiplier (gcc loads a byte read twice once)
        for (let j = 0; j < n; j++) {
          const byte = String(Math.floor(j / p.depthMultiplier));
          lines.push(`${accs[j]} += (int32_t)${wBase.replace('#', String(j))} * (${xBase.replace('@', byte)} ${offsetTerm});`);
        }
      }
      return lines;
    };
    // the straight-line path: one kernel row's columns at constant offsets from `row` and `w`
    const insideRow: string[] = [];
    if (p.kW <= MAX_UNROLLED_COLUMNS) {
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
    return {
      accDecl: accs.map((a, j) => `${a} = start[${j}]`).join(', '),
      insideRow,
      borderTap: macLines(shared ? 'x_tap[0]' : 'x_tap[@]', `w_tap[#]`, cTerm(p.inputOffset)),
      stores: accs.map((a, j) => `out[${j}] = ${ctx.fnName}_rq(${a}, rec, ${j});`),
    };
  };
  const groups = Math.floor(p.outC / g);
  const tail = p.outC % g;
  // input channel of a group's first output channel, as an offset from the pixel's first byte
  const groupInput = shared ? `(grp * ${g}) / ${p.depthMultiplier}` : `grp * ${g / p.depthMultiplier}`;
  const recordStride = g * (perChannel ? 4 : 2);
  const passes = [
    ...(groups > 0
      ? [
          {
            ...pass(g),
            insideOpen: `for (int grp = 0; grp < ${groups}; ++grp, rec += ${recordStride}, out += ${g}) {`,
            borderOpen: `for (int grp = 0; grp < ${groups}; ++grp, rec += ${recordStride}, w += ${taps * g}, out += ${g}) {`,
            groupInput,
          },
        ]
      : []),
    // the last channels of a layer that is not a multiple of G (multiplier 1 to 3, where G spans input
    // channels: whole input channels, the tail a multiple of the multiplier)
    ...(tail > 0
      ? [
          (() => {
            const last = pass(tail);
            return {
              ...last,
              stores: [...last.stores, `out += ${tail};`],
              insideOpen: `{ /* the last ${tail} channel${tail > 1 ? 's' : ''} */`,
              borderOpen: `{ /* the last ${tail} channel${tail > 1 ? 's' : ''} */`,
              groupInput: `${(groups * g) / p.depthMultiplier}`,
            };
          })(),
        ]
      : []),
  ];
  const [rowLo, rowHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colLo, colHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  return ctx.render('depthwise_conv_2d_rv32.c.hbs', {
    ...p,
    // the Xtensa variant runs this C too, with its own family header's requantization
    core: ctx.isa?.xtensa ? 'Xtensa' : 'RV32IMC',
    mbqmRight: ctx.isa?.xtensa ? 'tf_xt_mbqm_right' : positive ? 'tf_rv32_mbqm_right1' : 'tf_rv32_mbqm_right',
    fnName: ctx.fnName,
    summary: summary(p),
    how: shared
      ? `${g} channel${g > 1 ? 's' : ''} per pass sharing each input load`
      : `${g} channels per pass over ${p.depthMultiplier > 1 ? `${g / p.depthMultiplier} ` : ''}neighbouring input bytes${tail ? `, the last ${tail} in a narrower pass` : ''}`,
    input: ctx.input(0),
    output: ctx.output(0),
    weights: ctx.addConst('w_rv32', 'int8_t', rv32DepthwiseWeights(filter, taps, p.outC, g)),
    records: ctx.addConst('rec_rv32', 'int32_t', records(p, filter, bias, g, perChannel, positive)),
    g,
    passes,
    kernelRowWeights: p.kW * g,
    perChannel,
    rightOnly: rv32RightOnly(p),
    recMult: 2 * g,
    recShift: 3 * g,
    ort: p.ortScale !== undefined,
    ortMantissa: ort?.mantissa,
    ortShift: ort?.shift,
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
  ortExact: true,
};
