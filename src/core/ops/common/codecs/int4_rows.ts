// SPDX-License-Identifier: Apache-2.0
/**
 * The C of a matrix of int4 rows times int8 vectors, shared by FULLY_CONNECTED (one vector per batch)
 * and CONV_2D (one per pixel, or per im2col window): each output = requantize(start[r] + Σ w·x),
 * where the start folds the bias and the input offset (Σ w·(x + off) = Σ w·x + off·Σw). The weights
 * are int4_dot.h's packed words. Arm DSP: rows in pairs sharing the input's SXTB16, and
 * dsp_requant.h's per-row records (SMMLAR requantization where dsp.ts proves it exact); elsewhere
 * TFLite Micro's tf_mbqm.
 */
import type { IsaFamily, LayerEmitContext } from '../../op.ts';
import type { ChannelMultipliers } from '../families/weighted.ts';
import { type TableCType, foldedInitExpr, requantExprs } from '../families/weighted.ts';
import { accumulatorBounds, fastRequantHolds, kernelMode, requantRecords, rqInit, RQ_FIELDS } from '../isa/dsp.ts';
import { foldedAccumulatorInit } from '../families/weighted.ts';
import { packInt4Rows } from './int4.ts';

export interface Int4RowsLayer extends ChannelMultipliers {
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

export interface Int4RowsOptions {
  ctx: LayerEmitContext;
  layer: Int4RowsLayer;
  /** `rows` rows of `rowLength` int4 values, one per int8 */
  weights: Int8Array;
  rows: number;
  rowLength: number;
  bias: Int32Array | undefined;
  family: IsaFamily;
  /** the C names of the input vector and of the output array */
  x: string;
  out: string;
}

/**
 * Statements (inside the layer's function, before its loops: `prologue`; per vector: `rows`) computing
 * every row for the vector `x` into `out[0..rows)`.
 */
export function int4RowsC(options: Int4RowsOptions): { prologue: string; rows: string } {
  const { ctx, layer: p, weights, rows, rowLength, bias, family, x, out } = options;
  const perRow = Math.ceil(rowLength / 8);
  const words = ctx.addConst('w4', 'int32_t', packInt4Rows(weights, rows, rowLength));
  if (family === 'arm-dsp') {
    const fast = fastRequantHolds(accumulatorBounds(weights, rows, rowLength, p.inputOffset, bias), p, p.outputZeroPoint);
    const mode = kernelMode(fast, p.actMin, p.actMax);
    const records = ctx.addConst(
      'rq',
      'int32_t',
      requantRecords(foldedAccumulatorInit(weights, rows, rowLength, p.inputOffset, bias), p, rows, p.outputZeroPoint, fast),
    );
    const store = (acc: string, r: string) =>
      `${out}[${r}] = tf_dsp_rq(${acc} + q[(${r}) * ${RQ_FIELDS}], q[(${r}) * ${RQ_FIELDS} + 1], q[(${r}) * ${RQ_FIELDS} + 2], &rq, ${mode.fast}, ${mode.full});`;
    return {
      prologue: `  /* ${mode.modeText} */\n  static const tf_rq_t rq = ${rqInit(p.outputZeroPoint, p.actMin, p.actMax)};\n  const int32_t *const q = ${records};`,
      rows: `{
      const int32_t *w = ${words};
      int r = 0;
      for (; r + 1 < ${rows}; r += 2, w += ${2 * perRow}) {
        int32_t a0, a1;
        tf_s4_dot2_dsp(${x}, w, w + ${perRow}, ${rowLength}, &a0, &a1);
        ${store('a0', 'r')}
        ${store('a1', 'r + 1')}
      }
      if (r < ${rows}) ${store(`tf_s4_dot_dsp(${x}, w, ${rowLength})`, 'r')}
    }`,
    };
  }
  const addConst = (s: string, t: TableCType, v: ArrayLike<number>) => ctx.addConst(s, t, v);
  const { mult, shift } = requantExprs(p, 'r', addConst);
  const init = foldedInitExpr({ weights, rows, rowLength, inputOffset: p.inputOffset, bias, biasPointer: () => ctx.input(2), addConst, rowVar: 'r' });
  const zp = p.outputZeroPoint === 0 ? '' : p.outputZeroPoint > 0 ? ` + ${p.outputZeroPoint}` : ` - ${-p.outputZeroPoint}`;
  return {
    prologue: '',
    rows: `{
      const int32_t *w = ${words};
      for (int r = 0; r < ${rows}; ++r, w += ${perRow}) {
        const int32_t scaled = tf_mbqm(tf_s4_dot(${x}, w, ${rowLength}) + ${init}, ${mult}, ${shift})${zp};
        ${out}[r] = (int8_t)tf_clamp(scaled, ${p.actMin}, ${p.actMax});
      }
    }`,
  };
}
