// SPDX-License-Identifier: Apache-2.0
/**
 * The C of a matrix of int4 rows times int8 vectors, shared by FULLY_CONNECTED (one vector per batch)
 * and CONV_2D (one per pixel, or per im2col patch): each output = requantize(init[r] + Σ w·x), where
 * init folds the bias and the input offset (Σ w·(x + off) = Σ w·x + off·Σw). The weights are
 * int4_dot.h's packed words; the Arm DSP code runs rows in pairs sharing the input's SXTB16.
 */
import type { IsaFamily } from '../op.ts';

export interface Int4RowsView {
  /** C expression of the vector (const int8_t *) */
  x: string;
  /** symbol of the packed words (int32_t[]) */
  words: string;
  rows: number;
  rowLength: number;
  /** C expression (of `r`) of the row's start value */
  init: string;
  mult: string;
  shift: string;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
  /** C lvalue base (int8_t *) where output r goes: `<out>[r]` */
  out: string;
  family: IsaFamily;
}

/** Statements (inside a function) computing every row of one vector. */
export function int4RowsC(v: Int4RowsView): string {
  const perRow = Math.ceil(v.rowLength / 8);
  const zp = v.outputZeroPoint === 0 ? '' : v.outputZeroPoint > 0 ? ` + ${v.outputZeroPoint}` : ` - ${-v.outputZeroPoint}`;
  const store = (acc: string) =>
    `{ const int32_t scaled = tf_mbqm(${acc} + ${v.init}, ${v.mult}, ${v.shift})${zp}; ${v.out}[r] = (int8_t)tf_clamp(scaled, ${v.actMin}, ${v.actMax}); }`;
  if (v.family === 'arm-dsp') {
    return `{
      const int32_t *w = ${v.words};
      int r = 0;
      for (; r + 1 < ${v.rows}; w += ${2 * perRow}) {
        int32_t acc[2];
        tf_s4_dot2_dsp(${v.x}, w, w + ${perRow}, ${v.rowLength}, &acc[0], &acc[1]);
        ${store('acc[0]')}
        ++r;
        ${store('acc[1]')}
        ++r;
      }
      for (; r < ${v.rows}; ++r, w += ${perRow}) ${store(`tf_s4_dot_dsp(${v.x}, w, ${v.rowLength})`)}
    }`;
  }
  return `{
      const int32_t *w = ${v.words};
      for (int r = 0; r < ${v.rows}; ++r, w += ${perRow}) ${store(`tf_s4_dot(${v.x}, w, ${v.rowLength})`)}
    }`;
}
