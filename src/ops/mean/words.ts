// SPDX-License-Identifier: Apache-2.0
/**
 * MEAN int8's word variants (mean/mean_words.h) for the Arm DSP, Armv6-M and RV32 families: four
 * channels per word for reductions whose innermost kept dimension is contiguous (stride 1) under one
 * reduced loop, i.e. the spatial mean converters emit for global average pooling ([N,H,W,C] over
 * H and W, keep_dims or not; also [N,T,C] over T). One shared loop per model and family, each layer
 * passing its geometry as a const struct (as the pool variants). Other reductions (over the
 * channels, over interleaved axes) keep the portable kernel: converters rarely emit them and they
 * reduce a contiguous run or strided scatter this kernel does not cover.
 */
import type { IsaFamily, KernelVariant, LayerEmitContext } from '../op.ts';
import type { MeanParams } from './index.ts';

interface MeanWordsGeometry {
  groups: number;
  groupStride: number;
  channels: number;
  taps: number;
  tapStride: number;
}

/** The kernel's loops, when the layer's reduction fits them. */
export function meanWordsGeometry(p: MeanParams): MeanWordsGeometry | undefined {
  const { outer, inner } = p.layout;
  const channels = outer[outer.length - 1];
  if (!channels || channels.stride !== 1 || channels.extent < 4 || outer.length > 2 || inner.length !== 1) return undefined;
  const tap = inner[0]!;
  // int32 sums of int8 cannot wrap below 2^23 taps (the reference's wrapping never comes into play)
  if (tap.extent >= 2 ** 23) return undefined;
  const group = outer.length === 2 ? outer[0]! : { extent: 1, stride: 0 };
  return { groups: group.extent, groupStride: group.stride, channels: channels.extent, taps: tap.extent, tapStride: tap.stride };
}

const HOW: Record<string, string> = {
  'arm-dsp': 'Arm DSP: 4 channels per word, SXTAB16 sums',
  armv6m: 'Armv6-M: 4 channels per word, biased 16-bit lane sums, 32-bit-product requantization',
  rv32: 'RV32: 4 channels per word, biased 16-bit lane sums',
};

function emitMeanWords(family: IsaFamily, p: MeanParams, ctx: LayerEmitContext): string {
  const g = meanWordsGeometry(p)!;
  const dsp = family === 'arm-dsp' ? 1 : 0;
  const m0 = family === 'armv6m' ? 1 : 0;
  const shared = `tf_mean_words_${family.replace('-', '_')}`;
  ctx.defineOnce(
    shared,
    `/* the shared MEAN loop (${HOW[family]}), one copy per model */\n` +
      `static void ${shared}(const tf_mean_geom_t *g, const int8_t *in, int8_t *out) { tf_mean_words_body(g, in, out, ${dsp}, ${m0}); }\n`,
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
    `(${HOW[family]}); (sum - z_in * count) requantized by s_in / (s_out * count) as TFLite Micro */\n` +
    `static const tf_mean_geom_t ${ctx.fnName}_geom = { ${fields.join(', ')} };\n` +
    `static void ${ctx.fnName}(void) { ${shared}(&${ctx.fnName}_geom, ${ctx.input(0)}, ${ctx.output(0)}); }\n`
  );
}

function variant(family: IsaFamily): KernelVariant<MeanParams> {
  return {
    name: `${family} words`,
    family,
    // the right shift of TFLite's MultiplyByQuantizedMultiplier is at most 31
    applies: (p) => meanWordsGeometry(p) !== undefined && p.requant.multiplier >= 0 && -p.requant.shift <= 31,
    emit: (p, ctx) => emitMeanWords(family, p, ctx),
    cFiles: ['mean/mean_words.h'],
  };
}

export const meanWordsVariants: readonly KernelVariant<MeanParams>[] = [variant('arm-dsp'), variant('armv6m'), variant('rv32')];
