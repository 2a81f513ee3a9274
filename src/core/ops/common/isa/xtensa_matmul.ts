// SPDX-License-Identifier: Apache-2.0
/**
 * The matrix product the Xtensa kernel variants (the ESP32's LX6, the ESP32-S3's LX7) run for
 * FULLY_CONNECTED and CONV_2D: per row (a batch, an output pixel) the int8 inputs are widened once
 * into scratch as int16 with the input offset added (|x + offset| <= 255), and every output column is
 * one dot product of that row with the column's weights, re-laid at compile time as int16 rows padded
 * with zeros to a multiple of 4 (common/isa/xtensa.h's tf_xt_dot16_mac16: MAC16's MULA.DD.*.LDINC, one
 * instruction a multiply-accumulate in a zero-overhead loop, the loads folded into the multiplies).
 *
 * MAC16 has one accumulator, so the row is reloaded for every column: the loads cost nothing, and the
 * widening (a few instructions an input) is shared by all the row's columns. The start value is the
 * bias alone (the offset is in the widened inputs), and the requantization the portable kernel's
 * tf_mbqm (or its right-shift form) and clamp: the same int32 sum and the same integers out, so
 * bit-exact with it. The weights
 * take 2 bytes each in flash (the LX6 has no instruction to widen a byte lane for MAC16).
 */
import type { LayerEmitContext } from '../../op.ts';
import { type ChannelMultipliers, cTerm, isUniform, requantExprs } from '../families/weighted.ts';

export interface XtensaMatmulLayer extends ChannelMultipliers {
  /** products of one row (an output pixel, a batch) with every column */
  depth: number;
  columns: number;
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

/** A row's int16 lanes: the depth padded with zeros to the dot product's multiple of 4. */
export function xtensaDepth(depth: number): number {
  return Math.max(4, Math.ceil(depth / 4) * 4);
}

/** Scratch of one widened row. */
export function xtensaRowBytes(depth: number): number {
  return 2 * xtensaDepth(depth);
}

/** Weights [columns][depth] as int16 [columns][xtensaDepth(depth)], zeros after each row. */
export function xtensaWeights(weights: Int8Array, columns: number, depth: number): Int16Array {
  const padded = xtensaDepth(depth);
  const out = new Int16Array(columns * padded);
  for (let c = 0; c < columns; c++) for (let d = 0; d < depth; d++) out[c * padded + d] = weights[c * depth + d]!;
  return out;
}

/**
 * `acc` requantized (before the zero point): tf_mbqm, or, when every shift is a right shift and every
 * multiplier non-negative (checked here, at compile time), xtensa.h's tf_xt_mbqm_right, the same
 * integer without the left-shift branch, its exponents -shift stored as such.
 */
export function xtensaRequantCall(m: ChannelMultipliers, channelVar: string, acc: string, ctx: LayerEmitContext): string {
  if (!(m.shift.every((v) => v <= 0 && v >= -31) && m.multiplier.every((v) => v >= 0))) {
    const { mult, shift } = requantExprs(m, channelVar, (s, t, v) => ctx.addConst(s, t, v));
    return `tf_mbqm(${acc}, ${mult}, ${shift})`;
  }
  if (isUniform(m)) return `tf_xt_mbqm_right(${acc}, ${m.multiplier[0]}, ${-m.shift[0]!})`;
  const mult = ctx.addConst('mult', 'int32_t', m.multiplier);
  const exponent = ctx.addConst(
    'e_xt',
    'int8_t',
    m.shift.map((v) => -v),
  );
  return `tf_xt_mbqm_right(${acc}, ${mult}[${channelVar}], ${exponent}[${channelVar}])`;
}

/** The dot product the target's core runs: MAC16's where it has the option, else the C loop. */
export function xtensaDot(ctx: LayerEmitContext): string {
  return ctx.isa?.mac16 ? 'tf_xt_dot16_mac16' : 'tf_xt_dot16_c';
}

/**
 * `static void <fn>_columns(const int16_t *xw, int8_t *out)`: one widened row times every column,
 * requantized into the row's outputs.
 */
export function xtensaColumnsFunction(layer: XtensaMatmulLayer, weights: Int8Array, bias: Int32Array | undefined, ctx: LayerEmitContext): string {
  const padded = xtensaDepth(layer.depth);
  const w = ctx.addConst('w_xt', 'int16_t', xtensaWeights(weights, layer.columns, layer.depth));
  const start = bias ? `${ctx.addConst('bias_xt', 'int32_t', bias)}[o]` : '0';
  return [
    `static void ${ctx.fnName}_columns(const int16_t *xw, int8_t *out) {`,
    `  const int16_t *w = ${w};`,
    `  for (int o = 0; o < ${layer.columns}; ++o, w += ${padded}) {`,
    `    const int32_t acc = ${xtensaDot(ctx)}(xw, w, ${padded}, ${start});`,
    `    out[o] = (int8_t)tf_clamp(${xtensaRequantCall(layer, 'o', 'acc', ctx)} ${cTerm(layer.outputZeroPoint)}, ${layer.actMin}, ${layer.actMax});`,
    '  }',
    '}',
  ].join('\n');
}

/**
 * A product whose rows lie one after another in the input (FULLY_CONNECTED's batches, a pointwise
 * CONV_2D's pixels): each widened into scratch, then times every column.
 */
export function emitXtensaMatmul(
  layer: XtensaMatmulLayer & { rows: number },
  weights: Int8Array,
  bias: Int32Array | undefined,
  ctx: LayerEmitContext,
  o: { summary: string },
): string {
  const padded = xtensaDepth(layer.depth);
  return [
    `/* ${o.summary} (Xtensa: each row widened to int16 with the input offset, then one MAC16 dot product per column, weights re-laid as int16 rows of ${padded}) */`,
    xtensaColumnsFunction(layer, weights, bias, ctx),
    '',
    `static void ${ctx.fnName}(void) {`,
    `  int16_t *const xw = (int16_t *)(void *)${ctx.scratch()};`,
    `  const int8_t *x = ${ctx.input(0)};`,
    `  int8_t *out = ${ctx.output(0)};`,
    `  for (int r = 0; r < ${layer.rows}; ++r, x += ${layer.depth}, out += ${layer.columns}) {`,
    `    tf_xt_widen(xw, x, ${layer.depth}, ${padded}, ${layer.inputOffset});`,
    `    ${ctx.fnName}_columns(xw, out);`,
    '  }',
    '}',
  ].join('\n');
}
