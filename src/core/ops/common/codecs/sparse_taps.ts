// SPDX-License-Identifier: Apache-2.0
/**
 * Sparse (pruned) CONV_2D and DEPTHWISE_CONV_2D weights: only the nonzero weights are stored and the
 * kernel visits only them, per output pixel and output channel.
 *
 * Encoding, output channel by output channel, over the filter taps (fy, fx) in order:
 * - CONV_2D: a *group* per tap that has nonzero weights: its tap index t = fy·kW + fx (uint8) and its
 *   entry count (uint8), then its entries: the nonzero weight (int8) and its input-channel distance
 *   from the previous entry of the group (uint8; the first from channel 0). Gaps over 255 are bridged
 *   by filler entries of weight 0, and a tap with more than 255 entries takes several groups.
 * - DEPTHWISE_CONV_2D (one weight per tap and channel): an entry per nonzero tap, its tap index
 *   (uint8) and weight (int8).
 * `groups[c]` (int16) counts channel c's groups (entries for depthwise). A per-layer table gives each
 * tap's input offset from the window's origin, (fy·dilH·inW + fx·dilW)·inC.
 *
 * The accumulator starts from the folded form (b + off·Σw, symmetric weights); an output pixel whose
 * window hangs over the padding skips the padded taps, as TFLite Micro does, and takes their share of
 * the folded offset back out (acc -= off·Σw over those taps). Integer sums do not depend on their
 * order: the result is the dense kernel's, bit for bit.
 */
import type { EncodingCost, IsaFamily, KernelChoices, KernelIsa, KernelVariant, LayerEmitContext, PricedFamily } from '../../op.ts';
import { isaFamily, pricingFamily } from '../../op.ts';
import { type ConvWindowParams, insidePixels } from '../families/conv_geometry.ts';
import { type ChannelMultipliers, type TableCType, cTerm, foldedInitExpr, requantExprs } from '../families/weighted.ts';
import { rv32RightOnly } from '../isa/rv32_matmul.ts';
import { RQ_FAST, RQ_FIELDS, accumulatorBounds, fastRequantHolds, requantRecords } from '../isa/dsp.ts';
import { settleChannels } from '../numerics/settled_channels.ts';

const MAX_BYTE = 255;

export interface SparseTaps {
  /** 'groups': CONV_2D's tap groups of channel entries; 'taps': DEPTHWISE's one entry per tap */
  form: 'groups' | 'taps';
  /** per output channel: its groups (form 'groups') or its entries (form 'taps') */
  groups: Int16Array;
  /** per group (or per entry for 'taps'): the tap index fy·kW + fx */
  taps: Uint8Array;
  /** per group: its entry count (form 'groups' only) */
  counts: Uint8Array;
  /** the nonzero weights (and zero fillers) */
  values: Int8Array;
  /** per entry: input-channel distance from the previous entry of its group (form 'groups' only) */
  deltas: Uint8Array;
  /** share of the weights that are zero */
  zeros: number;
  /** flash bytes of the encoding: values, deltas, taps, counts, groups (int16) and the tap-offset table (int32) */
  bytes: number;
}

/** `kernels.sparse`: `off` keeps every layer dense; `force` runs the sparse kernel wherever it applies (measurement, tests). */
export function sparseMode(kernels: KernelChoices = {}): 'off' | 'force' | 'auto' {
  return kernels.sparse ?? 'auto';
}

/**
 * The encodings of the forms `kernels.sparseForm` allows (tests of each form): a form left out is
 * dropped, so no kernel of it applies.
 */
export function allowedSparseForms(
  encodings: { sparse?: SparseTaps; sparseOffsets?: SparseOffsets },
  kernels: KernelChoices = {},
): { sparse?: SparseTaps; sparseOffsets?: SparseOffsets } {
  const { sparse, sparseOffsets } = encodings;
  return {
    ...(sparse && kernels.sparseForm !== 'offsets' ? { sparse } : {}),
    ...(sparseOffsets && kernels.sparseForm !== 'groups' ? { sparseOffsets } : {}),
  };
}

/**
 * Below this share of zeros no sparse encoding is built: at two bytes per nonzero it cannot be smaller
 * than dense, and it is never faster there either (docs/kernels.md).
 */
export const SPARSE_TAPS_MIN_ZEROS = 0.4;

function zeroShare(w: Int8Array): number {
  let zeros = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
  return w.length === 0 ? 0 : zeros / w.length;
}

/** CONV_2D weights OHWI [outC, kH, kW, filterInC] as tap groups, or undefined when not worth building. */
export function encodeConvTaps(weights: Int8Array, outC: number, taps: number, filterInC: number, kernels: KernelChoices = {}): SparseTaps | undefined {
  if (sparseMode(kernels) === 'off' || taps > 256) return undefined;
  const zeros = zeroShare(weights);
  if (zeros < SPARSE_TAPS_MIN_ZEROS) return undefined;
  const groups = new Int16Array(outC);
  const tapList: number[] = [];
  const counts: number[] = [];
  const values: number[] = [];
  const deltas: number[] = [];
  for (let oc = 0; oc < outC; oc++) {
    let channelGroups = 0;
    for (let t = 0; t < taps; t++) {
      const base = (oc * taps + t) * filterInC;
      let count = 0;
      let previous = 0;
      const open = () => {
        tapList.push(t);
        counts.push(0);
        channelGroups++;
        count = 0;
        previous = 0;
      };
      let opened = false;
      for (let ic = 0; ic < filterInC; ic++) {
        const w = weights[base + ic]!;
        if (w === 0) continue;
        // a group holds up to 255 entries; the next one restarts from channel 0
        let gap = ic - previous;
        const needed = Math.ceil(Math.max(0, gap - MAX_BYTE) / MAX_BYTE) + 1;
        if (!opened || count + needed > MAX_BYTE) {
          open();
          opened = true;
          gap = ic;
        }
        while (gap > MAX_BYTE) {
          values.push(0);
          deltas.push(MAX_BYTE);
          gap -= MAX_BYTE;
          count++;
          if (count === MAX_BYTE) {
            counts[counts.length - 1] = count;
            open();
            gap = ic;
          }
        }
        values.push(w);
        deltas.push(gap);
        count++;
        previous = ic;
        counts[counts.length - 1] = count;
      }
    }
    if (channelGroups > 32767) return undefined;
    groups[oc] = channelGroups;
  }
  const bytes = values.length * 2 + tapList.length * 2 + outC * 2 + taps * 4;
  return {
    form: 'groups',
    groups,
    taps: Uint8Array.from(tapList),
    counts: Uint8Array.from(counts),
    values: Int8Array.from(values),
    deltas: Uint8Array.from(deltas),
    zeros,
    bytes,
  };
}

/** DEPTHWISE_CONV_2D weights [1, kH, kW, outC] as one entry per nonzero tap and channel. */
export function encodeDepthwiseTaps(weights: Int8Array, outC: number, taps: number, kernels: KernelChoices = {}): SparseTaps | undefined {
  if (sparseMode(kernels) === 'off' || taps > 256) return undefined;
  const zeros = zeroShare(weights);
  if (zeros < SPARSE_TAPS_MIN_ZEROS) return undefined;
  const groups = new Int16Array(outC);
  const tapList: number[] = [];
  const values: number[] = [];
  for (let oc = 0; oc < outC; oc++) {
    for (let t = 0; t < taps; t++) {
      const w = weights[t * outC + oc]!;
      if (w === 0) continue;
      tapList.push(t);
      values.push(w);
      groups[oc]!++;
    }
  }
  const bytes = values.length * 2 + outC * 2 + taps * 4;
  return {
    form: 'taps',
    groups,
    taps: Uint8Array.from(tapList),
    counts: new Uint8Array(0),
    values: Int8Array.from(values),
    deltas: new Uint8Array(0),
    zeros,
    bytes,
  };
}

/** Depthwise weights [1, kH, kW, outC] as rows per output channel (for the folded start values). */
export function depthwiseRows(weights: Int8Array, outC: number, taps: number): Int8Array {
  const rows = new Int8Array(weights.length);
  for (let t = 0; t < taps; t++) for (let oc = 0; oc < outC; oc++) rows[oc * taps + t] = weights[t * outC + oc]!;
  return rows;
}

/**
 * Measured costs of the sparse kernels (instructions per inference on the emulated Cortex-M4 and
 * ESP32-C3, cycles on the RP2040): per stored entry, per group (CONV_2D) and per output value, from
 * `npx tsx bench/sparse_costs.ts` (docs/kernels.md, "Sparse weights"). Border pixels pay a little
 * more (a bounds check per group); the figures are from layers with SAME padding, so they include it.
 */
export const SPARSE_TAP_COSTS: Record<PricedFamily, { entry: number; group: number; output: number }> = {
  // M4: groups 9.8 an entry and 22 a group (conv 70% and 95%), depthwise taps 19 an entry and 42 an output
  'arm-dsp': { entry: 10, group: 22, output: 50 },
  armv6m: { entry: 20, group: 35, output: 160 },
  rv32: { entry: 11, group: 22, output: 53 },
  portable: { entry: 10, group: 22, output: 50 },
};

export interface SparseConvLayer extends ChannelMultipliers, ConvWindowParams {
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
  hasBias: boolean;
}

/** Estimated instructions of a sparse layer on `isa`'s family, and its flash bytes. */
export function sparseTapsCost(p: SparseConvLayer, s: SparseTaps, isa: KernelIsa | undefined): EncodingCost {
  const c = SPARSE_TAP_COSTS[pricingFamily(isaFamily(isa))];
  const pixels = p.batches * p.outH * p.outW;
  const groups = s.form === 'groups' ? s.taps.length : 0;
  return { flashBytes: s.bytes, instructions: Math.round(pixels * (s.values.length * c.entry + groups * c.group + p.outC * c.output)) };
}

/**
 * The C of a sparse CONV_2D (form 'groups') or DEPTHWISE_CONV_2D (form 'taps') layer. `channelBase`
 * is the C expression of output channel `oc`'s first input channel (grouped conv, depth multiplier);
 * `foldRows` are the weights as one row per output channel, for the folded start values. `family`
 * tunes the requantization (RV32: MUL + MULH for right shifts) and the unrolling (two entries a pass).
 */
export function emitSparseTaps(p: SparseConvLayer, s: SparseTaps, ctx: LayerEmitContext, o: SparseEmitOptions): string {
  const tapsPerWindow = p.kH * p.kW;
  const { accInit, requant, how } = sparseEpilogue(p, ctx, o);
  const tapOffsets: number[] = [];
  for (let fy = 0; fy < p.kH; fy++) for (let fx = 0; fx < p.kW; fx++) tapOffsets.push((fy * p.dilationH * p.inW + fx * p.dilationW) * p.inC);
  const tapOffset = ctx.addConst('sparse_tap_offset', 'int32_t', tapOffsets);
  const groupsTable = ctx.addConst('sparse_groups', 'int16_t', s.groups);
  const tapsTable = ctx.addConst('sparse_taps', 'uint8_t', s.taps);
  const values = ctx.addConst('sparse_values', 'int8_t', s.values);
  const countsTable = s.form === 'groups' ? ctx.addConst('sparse_counts', 'uint8_t', s.counts) : '';
  const deltasTable = s.form === 'groups' ? ctx.addConst('sparse_deltas', 'uint8_t', s.deltas) : '';
  const padded = p.padTop > 0 || p.padLeft > 0 || needsBottomRightPadding(p);
  const offsetTerm = p.inputOffset !== 0;
  // a tap inside the image at this pixel (only asked for pixels whose window meets the padding)
  const inside = `(unsigned)(iy0 + (t / ${p.kW}) * ${p.dilationH}) < ${p.inH}u && (unsigned)(ix0 + (t % ${p.kW}) * ${p.dilationW}) < ${p.inW}u`;
  const groupBody =
    s.form === 'groups'
      ? [
          `          const int t = *tap++;`,
          `          int n = *count++;`,
          padded ? `          if (interior || (${inside})) {` : `          {`,
          `            acc = tf_sparse_dot_gaps(in + (at + ${tapOffset}[t]), v, d, n, acc);`,
          `            v += n;`,
          `            d += n;`,
          `          }`,
          ...(padded
            ? [
                `          else {`,
                `            /* a padded tap: TFLite Micro skips it, so its share of the folded offset goes back out */`,
                ...(offsetTerm
                  ? [
                      `            int32_t sum = 0;`,
                      `            d += n;`,
                      `            for (; n > 0; --n) sum += *v++;`,
                      `            acc -= ${p.inputOffset} * sum;`,
                    ]
                  : [`            d += n;`, `            v += n;`]),
                `          }`,
              ]
            : []),
        ]
      : [
          `          const int t = *tap++;`,
          padded
            ? `          if (interior || (${inside})) acc += (int32_t)*v * in[at + ${tapOffset}[t]];\n` +
              (offsetTerm ? `          else acc -= ${p.inputOffset} * (int32_t)*v;\n` : '') +
              `          ++v;`
            : `          acc += (int32_t)*v++ * in[at + ${tapOffset}[t]];`,
        ];
  const pixels = `${p.batches} image(s) of ${p.outH}x${p.outW}`;
  const entryWord = s.form === 'groups' ? `${s.taps.length} tap groups, ${s.values.length} entries` : `${s.values.length} entries`;
  return [
    `/* ${o.opName} ${o.label}, sparse (${o.family === 'portable' ? 'portable C' : o.family}): ${(s.zeros * 100).toFixed(1)}% zeros, ${entryWord} ` +
      `(${s.bytes} bytes for ${o.foldRows.length} dense), ${pixels}. Per output pixel and channel, only the nonzero weights ` +
      `(common/codecs/sparse_taps.ts): the start value folds in the bias and the input zero point; padded taps are skipped as TFLite ` +
      `Micro skips them. Then ${how}, clamped to ${p.actMin}..${p.actMax} */`,
    `static void ${ctx.fnName}(void) {`,
    `  const int8_t *in = ${ctx.input(0)};`,
    `  int8_t *out = ${ctx.output(0)};`,
    `  for (int b = 0; b < ${p.batches}; ++b, in += ${p.inH * p.inW * p.inC}) {`,
    `    for (int oy = 0; oy < ${p.outH}; ++oy) {`,
    `      const int iy0 = oy * ${p.strideH} - ${p.padTop};`,
    `      for (int ox = 0; ox < ${p.outW}; ++ox) {`,
    `        const int ix0 = ox * ${p.strideW} - ${p.padLeft};`,
    padded
      ? `        const int interior = iy0 >= 0 && iy0 + ${(p.kH - 1) * p.dilationH} < ${p.inH} && ix0 >= 0 && ix0 + ${(p.kW - 1) * p.dilationW} < ${p.inW};`
      : '',
    `        /* the window origin may lie in the padding: only in-image taps are ever read through it */`,
    `        const intptr_t origin = ((intptr_t)iy0 * ${p.inW} + ix0) * ${p.inC};`,
    `        const int16_t *groups = ${groupsTable};`,
    `        const uint8_t *tap = ${tapsTable};`,
    s.form === 'groups' ? `        const uint8_t *count = ${countsTable};\n        const uint8_t *d = ${deltasTable};` : '',
    `        const int8_t *v = ${values};`,
    `        for (int oc = 0; oc < ${p.outC}; ++oc) {`,
    `          int32_t acc = ${accInit};`,
    `          const intptr_t at = origin + ${o.channelBase};`,
    `          for (int g = groups[oc]; g > 0; --g) {`,
    ...groupBody.map((l) => `  ${l}`),
    `          }`,
    `          acc = ${requant};`,
    `          *out++ = (int8_t)tf_clamp(acc, ${p.actMin}, ${p.actMax});`,
    `        }`,
    `      }`,
    `    }`,
    `  }`,
    `}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** Whether some window reaches past the last row or column (VALID never; SAME may). */
function needsBottomRightPadding(p: ConvWindowParams): boolean {
  return (p.outH - 1) * p.strideH - p.padTop + (p.kH - 1) * p.dilationH >= p.inH || (p.outW - 1) * p.strideW - p.padLeft + (p.kW - 1) * p.dilationW >= p.inW;
}

/**
 * The offsets form (CONV_2D and DEPTHWISE_CONV_2D): per output channel its nonzero weights, each with
 * its input offset from the window origin, (fy·dilH·inW + fx·dilW)·inC + ic (uint16). Three bytes per
 * nonzero and no per-tap bookkeeping, so the inner loop is a load of offset, weight and input and a
 * multiply-accumulate: faster than the tap groups, bigger at low sparsity. A pixel whose window meets
 * the padding decodes each offset back into its tap, which needs the offsets of a window to keep
 * their taps apart: (kW - 1)·dilW < dilH·inW.
 */
export interface SparseOffsets {
  /** entries per output channel */
  counts: Int16Array;
  offsets: Uint16Array;
  values: Int8Array;
  zeros: number;
  /** flash bytes: values, offsets, counts */
  bytes: number;
}

/**
 * `rows`: the weights as one row per output channel, tap by tap, `filterInC` values a tap (CONV_2D's
 * OHWI as it is; DEPTHWISE's transposed by depthwiseRows, filterInC 1).
 */
export function encodeOffsets(rows: Int8Array, p: ConvWindowParams, filterInC: number, kernels: KernelChoices = {}): SparseOffsets | undefined {
  if (sparseMode(kernels) === 'off') return undefined;
  if ((p.kW - 1) * p.dilationW >= p.dilationH * p.inW && p.kH > 1) return undefined;
  const zeros = zeroShare(rows);
  if (zeros < SPARSE_TAPS_MIN_ZEROS) return undefined;
  const taps = p.kH * p.kW;
  const counts = new Int16Array(p.outC);
  const offsets: number[] = [];
  const values: number[] = [];
  for (let oc = 0; oc < p.outC; oc++) {
    for (let t = 0; t < taps; t++) {
      const fy = Math.floor(t / p.kW);
      const fx = t % p.kW;
      const tapOffset = (fy * p.dilationH * p.inW + fx * p.dilationW) * p.inC;
      for (let ic = 0; ic < filterInC; ic++) {
        const w = rows[(oc * taps + t) * filterInC + ic]!;
        if (w === 0) continue;
        if (tapOffset + ic > 65535) return undefined;
        offsets.push(tapOffset + ic);
        values.push(w);
        counts[oc]!++;
      }
    }
    if (counts[oc]! > 32767) return undefined;
  }
  return { counts, offsets: Uint16Array.from(offsets), values: Int8Array.from(values), zeros, bytes: values.length * 3 + p.outC * 2 };
}

/**
 * Measured costs of the offsets kernels, as SPARSE_TAP_COSTS (bench/sparse_costs.ts): an entry at a
 * pixel whose window is inside the image, an entry at the padded border (each offset decoded into
 * its tap and checked), an output (the call, requantization, clamp).
 */
export const SPARSE_OFFSET_COSTS: Record<PricedFamily, { entry: number; borderEntry: number; output: number }> = {
  // M4, conv 16x16x16 -> 32 3x3 SAME at 50..95% zeros: 8.8 an entry (about 5.5 inside, 20 on the
  // border); with the FAST requantization records (1x1 128 -> 128 on 6x6, and 3x3 16 -> 32 on 12x12,
  // at 90 to 98 %): 6.7 inside, 22 on the border, 40 an output
  'arm-dsp': { entry: 6.7, borderEntry: 22, output: 40 },
  // RP2040 (cycles), the same layers: 11.5 an entry inside, 73 on the border, 207 an output
  armv6m: { entry: 11.5, borderEntry: 73, output: 207 },
  // ESP32-C3: 10 an entry, 53 an output (16x16x16 -> 32 3x3 at 70% and 95%, border and inside
  // together); split (1x1 128 -> 128 on 6x6 and 3x3 16 -> 32 on 12x12, 70 to 98 %): 7.2 inside, 24 on the border
  rv32: { entry: 7.2, borderEntry: 24, output: 53 },
  portable: { entry: 8.8, borderEntry: 8.8, output: 53 },
};

export function sparseOffsetsCost(p: SparseConvLayer, s: SparseOffsets, isa: KernelIsa | undefined): EncodingCost {
  const c = SPARSE_OFFSET_COSTS[pricingFamily(isaFamily(isa))];
  const { inside, border } = insidePixels(p);
  const entries = s.values.length * (inside * c.entry + border * c.borderEntry);
  return { flashBytes: s.bytes, instructions: Math.round(p.batches * (entries + p.outH * p.outW * p.outC * c.output)) };
}

/** The C of a sparse layer in the offsets form; options as emitSparseTaps. */
export function emitSparseOffsets(p: SparseConvLayer, s: SparseOffsets, ctx: LayerEmitContext, o: SparseEmitOptions): string {
  const { accInit, requant, how } = sparseEpilogue(p, ctx, o);
  const countsTable = ctx.addConst('sparse_counts', 'int16_t', s.counts);
  const offsetsTable = ctx.addConst('sparse_offsets', 'uint16_t', s.offsets);
  const values = ctx.addConst('sparse_values', 'int8_t', s.values);
  const padded = p.padTop > 0 || p.padLeft > 0 || needsBottomRightPadding(p);
  const rowStep = p.dilationH * p.inW * p.inC;
  const columnStep = p.dilationW * p.inC;
  const store = [`        acc = ${requant};`, `        *out++ = (int8_t)tf_clamp(acc, ${p.actMin}, ${p.actMax});`];
  const interiorLoop = [
    `      for (int oc = 0; oc < ${p.outC}; ++oc) {`,
    `        int32_t acc = ${accInit};`,
    `        const int8_t *x = in + (origin + ${o.channelBase});`,
    `        int n = ${countsTable}[oc];`,
    `        acc = tf_sparse_dot_offsets(x, v, e, n, acc);`,
    `        v += n;`,
    `        e += n;`,
    ...store,
    `      }`,
  ];
  // the tap of an offset: its row (offset / rowStep) and column ((offset % rowStep) / columnStep)
  const borderLoop = [
    `      for (int oc = 0; oc < ${p.outC}; ++oc) {`,
    `        int32_t acc = ${accInit};`,
    `        const intptr_t at = origin + ${o.channelBase};`,
    `        for (int n = ${countsTable}[oc]; n > 0; --n) {`,
    `          const int offset = *e++;`,
    `          const int32_t w = *v++;`,
    // one row of taps (encodeOffsets takes windows wider than the image only then): an offset may
    // pass the image's row, so the row is 0, not offset / rowStep
    p.kH === 1 ? `          const int fy = 0;` : `          const int fy = offset / ${rowStep};`,
    `          const int fx = (offset - fy * ${rowStep}) / ${columnStep};`,
    `          if ((unsigned)(iy0 + fy * ${p.dilationH}) < ${p.inH}u && (unsigned)(ix0 + fx * ${p.dilationW}) < ${p.inW}u) acc += w * in[at + offset];`,
    p.inputOffset !== 0
      ? `          else acc -= ${p.inputOffset} * w; /* a padded tap: TFLite Micro skips it, so its share of the folded offset goes back out */`
      : '',
    `        }`,
    ...store,
    `      }`,
  ];
  return [
    `/* ${o.opName} ${o.label}, sparse offsets (${o.family === 'portable' ? 'portable C' : o.family}): ${(s.zeros * 100).toFixed(1)}% zeros, ` +
      `${s.values.length} entries (${s.bytes} bytes for ${o.foldRows.length} dense). Per output pixel and channel, only the nonzero ` +
      `weights, each with its input offset from the window origin (common/codecs/sparse_taps.ts): the start value folds in the bias and ` +
      `the input zero point; a window over the padding decodes each offset's tap and skips padded taps as TFLite Micro does. Then ` +
      `${how}, clamped to ${p.actMin}..${p.actMax} */`,
    `static void ${ctx.fnName}(void) {`,
    `  const int8_t *in = ${ctx.input(0)};`,
    `  int8_t *out = ${ctx.output(0)};`,
    `  for (int b = 0; b < ${p.batches}; ++b, in += ${p.inH * p.inW * p.inC}) {`,
    `    for (int oy = 0; oy < ${p.outH}; ++oy) {`,
    `      const int iy0 = oy * ${p.strideH} - ${p.padTop};`,
    `      for (int ox = 0; ox < ${p.outW}; ++ox) {`,
    `        const int ix0 = ox * ${p.strideW} - ${p.padLeft};`,
    `        /* the window origin may lie in the padding: only in-image taps are ever read through it */`,
    `        const intptr_t origin = ((intptr_t)iy0 * ${p.inW} + ix0) * ${p.inC};`,
    `        const uint16_t *e = ${offsetsTable};`,
    `        const int8_t *v = ${values};`,
    padded
      ? `        if (iy0 >= 0 && iy0 + ${(p.kH - 1) * p.dilationH} < ${p.inH} && ix0 >= 0 && ix0 + ${(p.kW - 1) * p.dilationW} < ${p.inW}) {`
      : `        {`,
    ...interiorLoop.map((l) => `    ${l}`),
    ...(padded ? [`        } else {`, ...borderLoop.map((l) => `    ${l}`)] : []),
    `        }`,
    `      }`,
    `    }`,
    `  }`,
    `}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/**
 * A sparse layer's start value and requantization as C expressions of `oc` and `acc` (the output zero
 * point included), and how the comment says it. On the Arm DSP families FAST records where they hold
 * for every channel, pruned channels settled first (common/numerics/settled_channels.ts): one SMMLAR
 * and three ALU steps (dsp_requant.h tf_rq_fast_p) in place of TFLite Micro's 64-bit steps; else
 * tf_mbqm (rv32: its right-shift form).
 */
function sparseEpilogue(p: SparseConvLayer, ctx: LayerEmitContext, o: SparseEmitOptions): { accInit: string; requant: string; how: string } {
  const addConst = (suffix: string, t: TableCType, v: ArrayLike<number>) => ctx.addConst(suffix, t, v);
  const rowLength = o.foldRows.length / p.outC;
  const fast = o.family === 'arm-dsp' || o.family === 'arm-mve' ? fastSparseRecords(p, o.foldRows, rowLength, o.bias) : undefined;
  if (fast) {
    const bias = fast.bias;
    // the model's bias tensor where the channels keep their biases; a table of the settled ones
    const biasPointer = fast.settled ? () => addConst('bias', 'int32_t', bias ?? []) : () => ctx.input(2);
    const accInit = foldedInitExpr({ weights: o.foldRows, rows: p.outC, rowLength, inputOffset: p.inputOffset, bias, biasPointer, addConst, rowVar: 'oc' });
    const rq = addConst('rq', 'int32_t', fast.records);
    const settled = fast.settled ? `; ${fast.settled} near-constant channels requantized by equivalent records` : '';
    return {
      accInit,
      requant: `tf_rq_fast_p(acc, ${rq}[2 * oc], ${rq}[2 * oc + 1])`,
      how: `out = SMMLAR requantization of acc with the output zero point${settled}`,
    };
  }
  const accInit = foldedInitExpr({
    weights: o.foldRows,
    rows: p.outC,
    rowLength,
    inputOffset: p.inputOffset,
    bias: o.bias,
    biasPointer: () => ctx.input(2),
    addConst,
    rowVar: 'oc',
  });
  const { mult, shift } = requantExprs(p, 'oc', addConst);
  const rightShift = /^-?\d+$/.test(shift) ? String(-Number(shift)) : `-${shift}`;
  const requant = o.family === 'rv32' && rv32RightOnly(p) ? `tf_rv32_mbqm_right(acc, ${mult}, ${rightShift})` : `tf_mbqm(acc, ${mult}, ${shift})`;
  return { accInit, requant: `${requant} ${cTerm(p.outputZeroPoint)}`, how: 'out = tf_mbqm(acc, multiplier, shift) + output zero point' };
}

/** Per channel { m', P } of FAST requantization (common/isa/dsp.ts), with the bias it takes, where FAST holds for every channel. */
function fastSparseRecords(
  p: SparseConvLayer,
  rows: Int8Array,
  rowLength: number,
  modelBias: Int32Array | undefined,
): { records: Int32Array; bias: Int32Array | undefined; settled: number } | undefined {
  if (p.ortScale) return undefined;
  const settled = settleChannels({ weights: rows, rows: p.outC, rowLength, bias: modelBias }, p, (b, m, s) =>
    fastRequantHolds([b], { multiplier: [m], shift: [s] }, p.outputZeroPoint),
  );
  const m = settled?.m ?? p;
  const bias = settled?.bias ?? modelBias;
  if (!fastRequantHolds(accumulatorBounds(rows, p.outC, rowLength, p.inputOffset, bias), m, p.outputZeroPoint)) return undefined;
  const triples = requantRecords(new Int32Array(p.outC), m, p.outC, p.outputZeroPoint, RQ_FAST);
  const records = new Int32Array(p.outC * 2);
  for (let c = 0; c < p.outC; c++) records.set(triples.subarray(c * RQ_FIELDS + 1, c * RQ_FIELDS + 3), c * 2);
  return { records, bias, settled: settled?.settled ?? 0 };
}

/** What an op tells the sparse kernels about its layer (emitSparseTaps / emitSparseOffsets). */
export interface SparseEmitOptions {
  opName: string;
  channelBase: string;
  foldRows: Int8Array;
  bias: Int32Array | undefined;
  family: IsaFamily;
  label: string;
}

/**
 * The sparse storages of a CONV_2D-like op: the offsets and the tap-groups forms on every family,
 * each priced (`cost`) and counted (`macs`: a stored entry is one multiply-accumulate per output
 * pixel, padded taps included, a bound). `options` says how the op's layer reads (channel base, rows).
 */
export function sparseTapVariants<P extends SparseConvLayer & { sparse?: SparseTaps; sparseOffsets?: SparseOffsets }>(
  options: (p: P, ctx: LayerEmitContext, family: IsaFamily) => SparseEmitOptions,
): readonly KernelVariant<P>[] {
  const variant = (family: IsaFamily, form: 'groups' | 'offsets'): KernelVariant<P> => ({
    name: `${family === 'portable' ? '' : `${family} `}sparse ${form}`,
    family,
    storage: 'sparse',
    applies: (p) => (form === 'groups' ? p.sparse !== undefined : p.sparseOffsets !== undefined),
    cost: (p, isa) => (form === 'groups' ? sparseTapsCost(p, p.sparse!, isa) : sparseOffsetsCost(p, p.sparseOffsets!, isa)),
    macs: (p) => p.batches * p.outH * p.outW * (form === 'groups' ? p.sparse!.values.length : p.sparseOffsets!.values.length),
    emit: (p, ctx) =>
      form === 'groups' ? emitSparseTaps(p, p.sparse!, ctx, options(p, ctx, family)) : emitSparseOffsets(p, p.sparseOffsets!, ctx, options(p, ctx, family)),
  });
  return (['arm-dsp', 'armv6m', 'rv32', 'portable'] as const).flatMap((f) => [variant(f, 'offsets'), variant(f, 'groups')]);
}
