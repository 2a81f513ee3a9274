// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 target variants' matrix-vector kernel (common/families/int16_gemv.h, fully_connected/int16_gemv_dsp.h):
 * weight layouts and the C that calls it. CONV_2D (per output pixel, over its im2col column) and
 * FULLY_CONNECTED (per batch row) both reduce to "one int16 vector against every weight row", with
 * TFLite Micro's 16x8 requantization per row (fixedpoint64.h's tf_mbqm64 on the int64 sum plus bias,
 * or fixedpoint.h's tf_mbqm for CONV_2D's int32 bias).
 */
import type { IsaFamily, LayerEmitContext } from '../../op.ts';
import { rowBlocksOf4 } from '../codecs/row_blocks.ts';

/**
 * Rows whose whole words are stored w0 w2 w1 w3: SXTB16 then gives (w0, w1) and ROR 8 (w2, w3),
 * the order of int16 values kept in natural order as pairs. Left-over columns stay.
 */
export function pairOrderRows(rows: Int8Array, count: number, rowLength: number): Int8Array {
  const out = Int8Array.from(rows);
  const whole = rowLength - (rowLength % 4);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < whole; k += 4) {
      const at = r * rowLength + k;
      out[at + 1] = rows[at + 2]!;
      out[at + 2] = rows[at + 1]!;
    }
  }
  return out;
}

/**
 * int16_requant.h's per-channel 32-bit multipliers: F = m · 2^(32 − ts) for TFLite's 15-bit reduced
 * multiplier m and ts = 15 − shift in [16, 32] (then (x·m + 2^(ts−1)) >> ts = (x·F + 2^31) >> 32 for
 * every int32 x), else 0 (the kernels keep the 64-bit form for that channel).
 */
export function int16FastMultipliers(multiplier: ArrayLike<number>, shift: ArrayLike<number>): number[] {
  return Array.from(multiplier, (m, i) => {
    const reduced = m < 0x7fff0000 ? (m + (1 << 15)) >> 16 : 0x7fff;
    const totalShift = 15 - shift[i]!;
    return totalShift >= 16 && totalShift <= 32 && reduced > 0 ? reduced * 2 ** (32 - totalShift) : 0;
  });
}

/** One layer's matrix-vector product, as the kernel sees it. */
export interface Int16GemvLayer {
  /** weight rows (output channels) */
  rows: number;
  /** weights per row (inputs of one output) */
  depth: number;
  /** the model's weights, row after row */
  weights: Int8Array;
  /** Q31 multipliers and shifts: one per row, or one for all */
  multiplier: ArrayLike<number>;
  shift: ArrayLike<number>;
  actMin: number;
  actMax: number;
  bias: 'none' | 'int32' | 'int64';
}

/** Where the kernel runs: the DSP kernel on Arm DSP targets, the plain C one on Armv6-M and RV32. */
export type Int16GemvFamily = Extract<IsaFamily, 'arm-dsp' | 'armv6m' | 'rv32'>;

export const INT16_GEMV_FILES: Record<Int16GemvFamily, readonly string[]> = {
  'arm-dsp': ['fully_connected/int16_gemv_dsp.h'],
  armv6m: ['common/families/int16_gemv.h'],
  rv32: ['common/families/int16_gemv.h'],
};

/** The weights in the kernel's order: the DSP kernel's blocks of four pair-ordered rows, else the model's own. */
export function int16GemvWeights(family: Int16GemvFamily, weights: Int8Array, rows: number, depth: number): Int8Array {
  return family === 'arm-dsp' ? rowBlocksOf4(pairOrderRows(weights, rows, depth), rows, depth) : weights;
}

/**
 * The declarations a layer function needs before calling the kernel: `rq` (tf_s16_rq_t) and the
 * weights' symbol (unless the caller passes its own); `call(x, out)` is the C statement of one product.
 */
export function int16GemvSetup(
  family: Int16GemvFamily,
  layer: Int16GemvLayer,
  ctx: LayerEmitContext,
  biasPointer: string | undefined,
  /** the weights' symbol when the caller lays them out for its own kernel */
  weightsSymbol?: string,
): { decls: string; call: (x: string, out: string) => string } {
  const perChannel = Array.from(layer.multiplier).some((m, i) => m !== layer.multiplier[0] || layer.shift[i] !== layer.shift[0]);
  const table = (suffix: string, values: ArrayLike<number>) => (perChannel ? ctx.addConst(suffix, 'int32_t', values) : `${suffix}_one`);
  const mult = table('mult', layer.multiplier);
  const shift = table('shift', layer.shift);
  const fastValues = int16FastMultipliers(layer.multiplier, layer.shift);
  const fast = table('fast', fastValues);
  const weights =
    weightsSymbol ?? (family === 'arm-dsp' ? ctx.addConst('w16', 'int8_t', int16GemvWeights(family, layer.weights, layer.rows, layer.depth)) : ctx.input(1));
  const decls = [
    ...(perChannel
      ? []
      : [`  static const int32_t mult_one[1] = { ${layer.multiplier[0]} }, shift_one[1] = { ${layer.shift[0]} }, fast_one[1] = { ${fastValues[0]} };`]),
    `  const tf_s16_rq_t rq = { ${layer.bias === 'int64' ? biasPointer : '0'}, ${layer.bias === 'int32' ? biasPointer : '0'}, ${mult}, ${shift}, ${fast}, ${perChannel ? 1 : 0}, ${layer.actMin}, ${layer.actMax} };`,
  ].join('\n');
  const kernel = family === 'arm-dsp' ? 'tf_s16_gemv_dsp' : 'tf_s16_gemv';
  return { decls, call: (x, out) => `${kernel}(${x}, ${layer.depth}, ${weights}, ${layer.rows}, &rq, ${out});` };
}
