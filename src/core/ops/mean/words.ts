// SPDX-License-Identifier: Apache-2.0
/**
 * MEAN int8's word variants (mean/mean_words.h) for the Arm DSP, Armv6-M and RV32 families: four
 * channels per word for reductions whose innermost kept dimension is contiguous (stride 1) under one
 * reduced loop, i.e. the spatial mean converters emit for global average pooling ([N,H,W,C] over
 * H and W, keep_dims or not; also [N,T,C] over T). One shared loop per model and family, each layer
 * passing its geometry as a const struct (as the pool variants). Reductions over one contiguous run
 * per output (the channels, or the whole tensor to a scalar) take the runs variants (`tf_mean_runs_body`);
 * interleaved axes keep the portable kernel.
 */
import type { IsaFamily, KernelVariant, LayerEmitContext } from '../op.ts';
import type { MeanParams } from './index.ts';
import { ACC32_LIMIT, sumBound } from '../common/numerics/accumulator_bound.ts';

/**
 * The largest int32 the word kernels' sums reach over `taps` values (accumulator_bound.ts): the words
 * body's signed channel sums, |sum| <= taps·128 (its 16-bit lanes are emptied every 256 taps); the
 * runs body's biased total (USADA8, or masked lanes), read as int32_t before the bias comes off,
 * <= taps·255. Past ACC32_LIMIT TFLite Micro's int32 sum can wrap: the portable kernel, which sums in
 * uint32_t, takes the layer.
 */
export function meanWordsBound(taps: number, runs: boolean): number {
  return sumBound(taps, runs ? 255 : 128);
}

interface MeanWordsGeometry {
  groups: number;
  groupStride: number;
  channels: number;
  taps: number;
  tapStride: number;
}

/**
 * Reductions over one contiguous run per output (inner stride 1): the channel axis of [N,H,W,C] (or
 * any trailing axes), and the whole tensor down to one value; `tf_mean_runs_body`.
 */
export function meanRunsGeometry(p: MeanParams): MeanWordsGeometry | undefined {
  const { outer, inner } = p.layout;
  if (inner.length !== 1 || inner[0]!.stride !== 1 || outer.length > 1) return undefined;
  const run = inner[0]!;
  // taps·255 <= 2^31 - 1 up to 8,421,504 elements; past it the portable kernel wraps in uint32_t
  if (meanWordsBound(run.extent, true) > ACC32_LIMIT) return undefined;
  const group = outer[0] ?? { extent: 1, stride: 0 };
  return { groups: group.extent, groupStride: group.stride, channels: 1, taps: run.extent, tapStride: 1 };
}

/** The kernel's loops, when the layer's reduction fits them. */
export function meanWordsGeometry(p: MeanParams): MeanWordsGeometry | undefined {
  const { outer, inner } = p.layout;
  const channels = outer[outer.length - 1];
  if (!channels || channels.stride !== 1 || channels.extent < 4 || outer.length > 2 || inner.length !== 1) return undefined;
  const tap = inner[0]!;
  // taps·128 <= 2^31 - 1 up to 16,777,215 taps; past it the portable kernel wraps in uint32_t
  if (meanWordsBound(tap.extent, false) > ACC32_LIMIT) return undefined;
  const group = outer.length === 2 ? outer[0]! : { extent: 1, stride: 0 };
  return { groups: group.extent, groupStride: group.stride, channels: channels.extent, taps: tap.extent, tapStride: tap.stride };
}

const HOW: Record<string, string> = {
  'arm-dsp': 'Arm DSP: 4 channels per word, SXTAB16 sums',
  armv6m: 'Armv6-M: 4 channels per word, biased 16-bit lane sums, 32-bit-product requantization',
  rv32: 'RV32: 4 channels per word, biased 16-bit lane sums',
};

const HOW_RUNS: Record<string, string> = {
  'arm-dsp': 'Arm DSP: one contiguous run per output, USADA8 over biased words',
  armv6m: 'Armv6-M: one contiguous run per output, biased 16-bit lane sums, 32-bit-product requantization',
  rv32: 'RV32: one contiguous run per output, biased 16-bit lane sums',
};

function emitMeanWords(family: IsaFamily, p: MeanParams, ctx: LayerEmitContext, runs: boolean): string {
  const g = runs ? meanRunsGeometry(p)! : meanWordsGeometry(p)!;
  const how = (runs ? HOW_RUNS : HOW)[family]!;
  const dsp = family === 'arm-dsp' ? 1 : 0;
  const m0 = family === 'armv6m' ? 1 : 0;
  const shared = `tf_mean_${runs ? 'runs' : 'words'}_${family.replace('-', '_')}`;
  ctx.defineOnce(
    shared,
    `/* the shared MEAN loop (${how}), one copy per model */\n` +
      `static void ${shared}(const tf_mean_geom_t *g, const int8_t *in, int8_t *out) { tf_mean_${runs ? 'runs' : 'words'}_body(g, in, out, ${dsp}, ${m0}); }\n`,
  );
  const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  const output = ctx.graph.tensors[ctx.op.outputs[0]!]!;
  const { multiplier, shift, zeroPointTimesCount } = p.requant;
  const fields = [
    g.groups,
    g.groupStride,
    g.channels,
    g.taps,
    g.tapStride,
    zeroPointTimesCount === -2147483648 ? '(-2147483647 - 1)' : zeroPointTimesCount,
    multiplier,
    Math.max(shift, 0),
    Math.max(-shift, 0),
    p.outputZeroPoint,
  ];
  return (
    `/* MEAN int8 [${input.shape.join('x')}] -> [${output.shape.join('x')}] over axes [${p.axes.join(',')}]: ${g.groups} x ${g.channels} means of ${g.taps} ` +
    `(${how}); (sum - z_in * count) requantized by s_in / (s_out * count) as TFLite Micro */\n` +
    `/* ${runs ? 'biased run total' : 'channel sums'}: ${g.taps} x ${runs ? 255 : 128} <= ${meanWordsBound(g.taps, runs)} < 2^31: no overflow */\n` +
    `static const tf_mean_geom_t ${ctx.fnName}_geom = { ${fields.join(', ')} };\n` +
    `static void ${ctx.fnName}(void) { ${shared}(&${ctx.fnName}_geom, ${ctx.input(0)}, ${ctx.output(0)}); }\n`
  );
}

function variant(family: IsaFamily, runs: boolean): KernelVariant<MeanParams> {
  const geometry = runs ? meanRunsGeometry : meanWordsGeometry;
  return {
    name: `${family} ${runs ? 'runs' : 'words'}`,
    family,
    // the right shift of TFLite's MultiplyByQuantizedMultiplier is at most 31
    applies: (p) => geometry(p) !== undefined && p.requant.multiplier >= 0 && -p.requant.shift <= 31,
    emit: (p, ctx) => emitMeanWords(family, p, ctx, runs),
    cFiles: ['mean/mean_words.h'],
  };
}

export const meanWordsVariants: readonly KernelVariant<MeanParams>[] = (['arm-dsp', 'armv6m', 'rv32'] as const).flatMap((f) => [
  variant(f, false),
  variant(f, true),
]);
