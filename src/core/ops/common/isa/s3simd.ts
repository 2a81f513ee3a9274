// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32-S3 SIMD kernels' shared shape ('xtensa-s3' family: conv_2d/s3simd.ts,
 * fully_connected/s3simd.ts): every output is one dot product of an input row with a weight row,
 * 16 int8 products per EE.VMULAS.S8.ACCX into the 40-bit ACCX (xtensa_s3_dot.h), then TFLite's
 * requantization.
 *
 * The S3's 128-bit loads ignore an address's low four bits, so both operands of a dot product must
 * start on a 16-byte boundary, and a row's tail must not need a partial load:
 * - weight rows are padded with zeros to a multiple of 16 bytes and stored 16-byte aligned
 *   (`addConst(.., 16)`); a zero weight adds nothing whatever input byte meets it;
 * - the input row (an FC batch row, a 1x1 pixel, an im2col receptive field) is copied or gathered
 *   into the layer's scratch, which is 16-byte aligned, with its padding zeroed once.
 * The copy costs one pass over a row against `columns` dot products over it.
 *
 * The input offset is folded into per-column start values (b + io·Σw, weighted.ts), so the dot
 * product runs on the raw int8 bytes: the same int32 sum as the portable kernel, bit-exact. A
 * padded tap of im2col holds the input zero point: with the offset folded in it adds exactly
 * nothing, as the reference kernel's skipped taps.
 */
import type { ChannelMultipliers } from '../families/weighted.ts';
import { cTerm, foldedAccumulatorInit, isUniform, requantExprs } from '../families/weighted.ts';
import type { LayerEmitContext } from '../../op.ts';
import { accumulatorBounds } from './dsp.ts';

/** The SIMD width in int8 lanes. */
export const S3_LANES = 16;

/** `n` rounded up to whole 128-bit blocks. */
export function s3Padded(n: number): number {
  return Math.ceil(n / S3_LANES) * S3_LANES;
}

/** `rows` rows of `depth` weights, each padded with zeros to `s3Padded(depth)` bytes. */
export function s3PaddedRows(weights: Int8Array, rows: number, depth: number): Int8Array {
  const stride = s3Padded(depth);
  const out = new Int8Array(rows * stride);
  for (let r = 0; r < rows; r++) out.set(weights.subarray(r * depth, (r + 1) * depth), r * stride);
  return out;
}

/** What the requantizing dot products of one layer need. */
export interface S3DotLayer extends ChannelMultipliers {
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

/** One group of columns: its weight rows (`columns` x `depth`) and biases. */
export interface S3Group {
  weights: Int8Array;
  bias?: Int32Array;
}

/** Tables and C helpers of a layer's column loop (one call per group). */
export interface S3Columns {
  /** padded row length in bytes */
  stride: number;
  /** C statements writing `columns` outputs of `groupIndex`'s group from the aligned row `rowExpr` to `outExpr` */
  loop(rowExpr: string, outExpr: string, groupExpr: string): string[];
  /**
   * C statements of a whole one-group layer run channel by channel, where s3Requant requantizes it
   * and the depth is whole blocks: each channel's weight row held in q0.. (its first 5 blocks where it
   * has more than 6: heldDot) and its operands in registers while `rows` input rows stream past from `inExpr`
   * (consecutive, `stride` bytes each, 16-byte aligned: one pointer walks them all), outputs
   * `outStride` apart. Per output it saves the row's table loads and pointer steps of `loop`.
   * A depth of 8 (half a block) takes two pixels a block, its rows in pairs: `covered` is how many of
   * the `rows` it runs (an odd last one is left to `loop`).
   */
  channelMajor?(inExpr: string, outExpr: string, rows: number, outStride: number): { covered: number; code: string[] };
}

/** The operands per channel of tf_s3_requant_floor or tf_s3_requant (xtensa_s3_dot.h). */
export interface S3Requant {
  /**
   * 'floor': tf_s3_requant_floor on 4·acc, four instructions, where the activation's floor is at or
   * above the output zero point; 'round': tf_s3_requant, TFLite's two roundings as written.
   */
  form: 'floor' | 'round';
  multiplier: number[];
  /** floor: 1 + 2^e + zero point·2^(e+1); round: 2^(e-1) + zero point·2^e */
  add: number[];
  /** the C's right shift: e + 1 (floor) or e (round), for TFLite's right shift e */
  exponent: number[];
}

/**
 * The operands of tf_s3_requant_floor or tf_s3_requant for every channel, or undefined where neither is
 * TFLite's integer for every accumulator the layer can produce (|acc| at most `bounds[c]`, the
 * channel's bound from dsp.ts's accumulatorBounds). Both need a right shift e >= 1 and m >= 0 (no
 * left shift, no INT32_MIN·INT32_MIN case) in every channel.
 * - floor (xtensa_s3_dot.h proves it): the activation's floor at or above the zero point, e <= 30, 4·acc
 *   within int32, and MULSH(4·acc, m) + add too: |MULSH| <= 4|acc|·m / 2^32 + 1.
 * - round: with h = SRDHM(acc, m), TFLite's RoundingDivideByPOT(h, e) + zp is
 *   (h + 2^(e-1) - (h < 0) + zp·2^e) >> e (floor): both round half away from zero, and zp·2^e is a
 *   multiple of 2^e. The sum stays within int32: |h| <= |acc|·m / 2^31 + 1.
 */
export function s3Requant(layer: S3DotLayer, bounds: readonly number[]): S3Requant | undefined {
  if (layer.ortScale) return undefined;
  const channels = layer.multiplier.length;
  if (bounds.length !== channels && !isUniform(layer)) return undefined;
  const zp = layer.outputZeroPoint;
  const form = (name: S3Requant['form']): S3Requant | undefined => {
    const out: S3Requant = { form: name, multiplier: [], add: [], exponent: [] };
    for (let c = 0; c < bounds.length; c++) {
      const m = layer.multiplier[channels === 1 ? 0 : c]!;
      const e = -layer.shift[channels === 1 ? 0 : c]!;
      const bound = bounds[c]!;
      if (!(e >= 1 && e <= 31 && m >= 0)) return undefined;
      const [add, shift, sum] =
        name === 'floor' ? [1 + 2 ** e + zp * 2 ** (e + 1), e + 1, (4 * bound * m) / 2 ** 32 + 1] : [2 ** (e - 1) + zp * 2 ** e, e, (bound * m) / 2 ** 31 + 3];
      if (shift > 31 || (name === 'floor' && 4 * bound > 2 ** 31 - 1) || sum + Math.abs(add) > 2 ** 31 - 1) return undefined;
      out.multiplier.push(m);
      out.add.push(add);
      out.exponent.push(shift);
    }
    return out;
  };
  return (layer.actMin >= zp ? form('floor') : undefined) ?? form('round');
}

/** A channel's start value as `rq`'s C takes it: four times the start for the floor form. */
export function s3RequantStarts(rq: S3Requant, starts: Int32Array): Int32Array {
  return rq.form === 'floor' ? starts.map((v) => 4 * v) : starts;
}

/** C of one requantized output, before the clamp, from the dot product and `rq`'s table operands. */
export function s3RequantC(rq: S3Requant, dot: string, start: string, multiplier: string, add: string, exponent: string): string {
  return rq.form === 'floor'
    ? `tf_s3_requant_floor(${dot}, ${start}, ${multiplier}, ${add}, ${exponent})`
    : `tf_s3_requant(${start} + ${dot}, ${multiplier}, ${add}, ${exponent})`;
}

/** Rows of at most this many blocks are held in q0..q5 across a group's columns (q6, q7 take the weights). */
const S3_HELD_BLOCKS = 6;
/** Of a longer row, this many blocks are held (q0..q4); q5 takes the rest of it, block by block. */
const S3_HELD_HEAD = 5;

/**
 * C statements of a group's column loop whose input row is held in q registers: the row's blocks
 * loaded once into q0.. (`load`), then per column ACCX zeroed, the first weight block loaded and one
 * EE.VMULAS.S8.ACCX.LD.IP a block (the multiply of block b loads block b + 1 into the other of q6 and
 * q7), leaving `w` at the next column's row: blocks + 3 instructions a column where streaming both
 * rows takes 2 x blocks + 3 and a pointer reload. No C between these statements touches a q register
 * (the compiler knows none of them).
 *
 * A row of more than 6 blocks (`long`) holds its first 5; each column then reads the row's other
 * blocks again into q5 from `tail` (set by `load`), one load more a block: blocks + 3 + (blocks - 5).
 * No instruction loads into a register it multiplies.
 */
function heldDot(blocks: number, dotVar: string): { load: (rowExpr: string) => string[]; column: string[] } {
  const long = blocks > S3_HELD_BLOCKS;
  const heldBlocks = long ? S3_HELD_HEAD : blocks;
  const weight = (b: number) => (b % 2 === 0 ? 'q6' : 'q7');
  const column = [`int32_t ${dotVar};`, ...(long ? ['const int8_t *rest = tail;'] : []), `TF_S3_ZERO_ACCX();`, `TF_S3_VLD_128_IP(q6, w, 16);`];
  for (let b = 0; b < blocks; b++) {
    const row = b < heldBlocks ? `q${b}` : 'q5';
    if (b >= heldBlocks) column.push(`TF_S3_VLD_128_IP(q5, rest, 16);`);
    column.push(b < blocks - 1 ? `TF_S3_VMULAS_S8_ACCX_LD_IP(${weight(b + 1)}, w, 16, ${row}, ${weight(b)});` : `TF_S3_VMULAS_S8_ACCX(${row}, ${weight(b)});`);
  }
  column.push(`TF_S3_RUR_ACCX_0(${dotVar});`);
  return {
    load: (rowExpr) => [
      `const int8_t *held = ${rowExpr};`,
      ...Array.from({ length: heldBlocks }, (_, b) => `TF_S3_VLD_128_IP(q${b}, held, 16);`),
      ...(long ? ['const int8_t *const tail = held;'] : []),
    ],
    column,
  };
}

/**
 * The weights and starts of every group (group g's columns follow group g-1's), and the C loop over
 * one group's columns. `columns` per group, `depth` per row.
 */
export function s3Columns(layer: S3DotLayer, groups: S3Group[], columns: number, depth: number, ctx: LayerEmitContext): S3Columns {
  const stride = s3Padded(depth);
  const padded = new Int8Array(groups.length * columns * stride);
  const starts = new Int32Array(groups.length * columns);
  const bounds: number[] = [];
  groups.forEach((g, i) => {
    padded.set(s3PaddedRows(g.weights, columns, depth), i * columns * stride);
    starts.set(foldedAccumulatorInit(g.weights, columns, depth, layer.inputOffset, g.bias), i * columns);
    bounds.push(...accumulatorBounds(g.weights, columns, depth, layer.inputOffset, g.bias));
  });
  const w = ctx.addConst('w_s3', 'int8_t', padded, 16);
  const blocks = stride / S3_LANES;
  const fast = s3Requant(layer, bounds);
  if (fast) {
    // one table of {start, multiplier, add, e} per channel, or the starts alone and literals
    const uniform = fast.multiplier.every((v, i) => v === fast.multiplier[0] && fast.add[i] === fast.add[0] && fast.exponent[i] === fast.exponent[0]);
    const scaled = s3RequantStarts(fast, starts);
    const table = uniform
      ? ctx.addConst('start_s3', 'int32_t', scaled)
      : ctx.addConst(
          'rq_s3',
          'int32_t',
          Array.from(scaled).flatMap((s, c) => [s, fast.multiplier[c]!, fast.add[c]!, fast.exponent[c]!]),
        );
    const per = uniform ? 1 : 4;
    const [m, add, e] = uniform ? [fast.multiplier[0]!, fast.add[0]!, fast.exponent[0]!].map(String) : ['q[1]', 'q[2]', 'q[3]'];
    const store = `dst[c] = (int8_t)${s3Clamp(s3RequantC(fast, 'dot', 'q[0]', m!, add!, e!), layer.actMin, layer.actMax)};`;
    // a held row (heldDot) is loaded once and `w` steps through the weights; a streamed one is read per column
    const held = blocks <= S3_HELD_BLOCKS ? heldDot(blocks, 'dot') : undefined;
    const channelMajor = (inExpr: string, outExpr: string, rows: number, outStride: number): { covered: number; code: string[] } => {
      // the channel's operands in registers for all its pixels
      const operands = uniform ? [] : [`const int32_t multiplier = q[1], add = q[2];`, `const int shift = q[3];`];
      const [cm, ca, ce] = uniform ? [m!, add!, e!] : ['multiplier', 'add', 'shift'];
      const requant = (dot: string) => s3Clamp(s3RequantC(fast, dot, 'start', cm, ca, ce), layer.actMin, layer.actMax);
      const head = (weights: string[]) => [
        `{`,
        `  const int32_t *q = ${table};`,
        `  for (int c = 0; c < ${columns}; ++c, q += ${per}) {`,
        ...weights.map((l) => `    ${l}`),
        `    const int32_t start = q[0];`,
        ...operands.map((l) => `    ${l}`),
        `    const int8_t *w = ${inExpr};`,
        `    int8_t *dst = ${outExpr} + c;`,
      ];
      if (stride === depth) {
        const channel = heldDot(blocks, 'dot');
        return {
          covered: rows,
          code: [
            ...head(channel.load(`${w} + c * ${stride}`)),
            `    for (int r = 0; r < ${rows}; ++r, dst += ${outStride}) {`,
            ...channel.column.map((l) => `      ${l}`),
            `      *dst = (int8_t)${requant('dot')};`,
            `    }`,
            `  }`,
            `}`,
          ],
        };
      }
      // 8 channels: two pixels a block, one dot product with the weights in the block's low half, one
      // with them in its high half (a second table of the rows moved up 8 bytes)
      const upper = new Int8Array(padded.length);
      for (let c = 0; c < columns; c++) upper.set(padded.subarray(c * stride, c * stride + depth), c * stride + depth);
      const high = ctx.addConst('w_s3_high', 'int8_t', upper, 16);
      return {
        covered: rows - (rows % 2),
        code: [
          ...head([
            `const int8_t *held = ${w} + c * ${stride};`,
            `TF_S3_VLD_128_IP(q0, held, 16);`,
            `held = ${high} + c * ${stride};`,
            `TF_S3_VLD_128_IP(q1, held, 16);`,
          ]),
          `    for (int r = 0; r < ${Math.floor(rows / 2)}; ++r, dst += ${2 * outStride}) {`,
          `      int32_t low, high;`,
          `      TF_S3_ZERO_ACCX();`,
          `      TF_S3_VLD_128_IP(q6, w, 16);`,
          `      TF_S3_VMULAS_S8_ACCX(q0, q6);`,
          `      TF_S3_RUR_ACCX_0(low);`,
          `      TF_S3_ZERO_ACCX();`,
          `      TF_S3_VMULAS_S8_ACCX(q1, q6);`,
          `      TF_S3_RUR_ACCX_0(high);`,
          `      dst[0] = (int8_t)${requant('low')};`,
          `      dst[${outStride}] = (int8_t)${requant('high')};`,
          `    }`,
          `  }`,
          `}`,
        ],
      };
    };
    return {
      stride,
      loop: (rowExpr, outExpr, groupExpr) => [
        `{`,
        `  const int base = ${groupExpr} * ${columns};`,
        `  const int8_t *w = ${w} + base * ${stride};`,
        `  const int32_t *q = ${table} + base * ${per};`,
        `  int8_t *const dst = ${outExpr};`,
        ...(held
          ? [...held.load(rowExpr).map((l) => `  ${l}`), `  for (int c = 0; c < ${columns}; ++c, q += ${per}) {`, ...held.column.map((l) => `    ${l}`)]
          : [`  for (int c = 0; c < ${columns}; ++c, w += ${stride}, q += ${per}) {`, `    const int32_t dot = tf_s3_dot_s8(${rowExpr}, w, ${blocks});`]),
        `    ${store}`,
        `  }`,
        `}`,
      ],
      channelMajor: groups.length === 1 && (stride === depth || depth === S3_LANES / 2) ? channelMajor : undefined,
    };
  }
  const start = ctx.addConst('start_s3', 'int32_t', starts);
  const { mult, shift } = requantExprs(layer, 'ch', ctx.addConst);
  return {
    stride,
    loop: (rowExpr, outExpr, groupExpr) => [
      `{`,
      `  const int base = ${groupExpr} * ${columns};`,
      `  const int8_t *w = ${w} + base * ${stride};`,
      `  int8_t *const dst = ${outExpr};`,
      `  for (int c = 0; c < ${columns}; ++c, w += ${stride}) {`,
      `    const int ch = base + c;`,
      `    const int32_t acc = ${start}[ch] + tf_s3_dot_s8(${rowExpr}, w, ${blocks});`,
      `    dst[c] = (int8_t)tf_clamp(tf_mbqm(acc, ${mult}, ${shift}) ${cTerm(layer.outputZeroPoint)}, ${layer.actMin}, ${layer.actMax});`,
      `  }`,
      `}`,
    ],
  };
}

/** C clamping `x` to [lo, hi]: the core's CLAMPS where that is the whole int8 range (xtensa_s3_dot.h). */
export function s3Clamp(x: string, lo: number, hi: number): string {
  return lo === -128 && hi === 127 ? `tf_s3_clamp_s8(${x})` : `tf_clamp(${x}, ${lo}, ${hi})`;
}

/** Scratch for one aligned row of `depth` bytes per group. */
export function s3RowScratch(depth: number, groups = 1): number {
  return groups * s3Padded(depth);
}

/** The C file every S3 SIMD kernel includes. */
export const S3_C_FILES = ['common/isa/xtensa_s3_dot.h'] as const;
