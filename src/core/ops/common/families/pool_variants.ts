// SPDX-License-Identifier: Apache-2.0
/**
 * The int8 AVERAGE_POOL_2D and MAX_POOL_2D variants of the MVE family (common/families/pool_mve.h),
 * and of the Arm DSP and Armv6-M families (common/families/pool_words.h): four channels per word, one shared loop per model, op and family, each
 * layer passing its geometry as a const struct. Average pools divide by a reciprocal multiply exact
 * for windows of up to 256 taps (pool_words.h proves it, pool_words.test.ts checks every sum), the
 * bound that also keeps a lane's sum in 16 bits; larger windows keep the portable kernel.
 */
import type { KernelVariant, LayerEmitContext } from '../../op.ts';
import type { PoolParams } from './pool.ts';

/** The most taps any window holds (windows are clipped to the image). */
export function maxWindowTaps(p: PoolParams): number {
  return Math.min(p.filterH, p.inH) * Math.min(p.filterW, p.inW);
}

const MAX_TAPS = 256;

/**
 * The fewest taps per window for which the word loops pay where they pay least: the average's
 * per-output division and the Armv6-M SWAR max cost more than the portable loop saves on 2x2
 * windows (perf sweep: M4 avg 2x2 5.2 instr./tap against 4.0, RP2040 2x2 12-13.7 cycles/tap
 * against 6-8.5), and win from 3x3 on (M4 avg 3x3 s2 4.0 against 10.7-13.0, RP2040 9.8-10.4
 * against 21-32; global 7x7 2.0 and 4.8-7.3 against 5.2-14.7). The DSP max (SSUB8/SEL, no
 * division) wins at every size (2x2: 1.2-1.3 against 4.0-4.1). 2x2 windows, the common case, have
 * their own loop on Armv6-M and RV32 (isTwoByTwo); the rare windows of 2 to 8 other taps (1x2, 2x3,
 * 3x2, ...) keep the portable loop there.
 */
const MIN_TAPS = 9;

type PoolKind = 'avg' | 'max';

/**
 * RV32IMC's SWAR byte max (no byte compare in the ISA: ~17 instructions per word of four channels)
 * beats the portable byte loop only while the per-window work it shares out dominates. Full sweep on
 * the ESP32-C3, instructions per tap: 3x3 windows 7.45 portable against 5.58, global 7x7 4.63
 * against 4.92; a fit of the two (a + b / taps) crosses at about 31 taps.
 */
const RV32_MAX_TAPS_OF_MAX = 30;

/**
 * The DSP max pays at every size; the DSP average from MIN_TAPS taps, and on windows of 2^k taps
 * (2x2, 4x4, 1x2, ...) at every size: those divide in the 16-bit lanes with SHADD16 and clamp four
 * bytes at once (pool_words.h), no per-channel division left.
 */
function dspPays(kind: PoolKind, p: PoolParams): boolean {
  const taps = maxWindowTaps(p);
  return kind === 'max' || taps >= MIN_TAPS || (taps & (taps - 1)) === 0;
}

/**
 * 2x2 windows on the cores without SIMD (Armv6-M, RV32IMC): their own loop (pool_words.h's
 * tf_pool2x2_words_body), a window's four words reduced in registers, instead of the generic word
 * loops, whose per-window row and column loops cost more than four taps.
 */
function isTwoByTwo(p: PoolParams): boolean {
  return p.filterH === 2 && p.filterW === 2 && p.inH >= 2 && p.inW >= 2;
}

function geometry(p: PoolParams): number[] {
  return [p.batches, p.inH, p.inW, p.depth, p.outH, p.outW, p.filterH, p.filterW, p.strideH, p.strideW, p.padTop, p.padLeft, p.actMin, p.actMax];
}

type PoolFamily = 'arm-dsp' | 'armv6m' | 'rv32';

/** What each family's word loop does (the DSP cores have byte and halfword SIMD; the others SWAR on plain words). */
const HOW: Record<PoolFamily, { label: string; avg: string; max: string }> = {
  'arm-dsp': { label: 'Arm DSP', avg: 'SXTAB16 sums, reciprocal or lane-shift division', max: 'SSUB8/SEL max' },
  armv6m: { label: 'Armv6-M', avg: 'biased 16-bit lane sums, reciprocal division', max: 'SWAR byte max' },
  rv32: { label: 'RV32IMC', avg: 'biased 16-bit lane sums, reciprocal division', max: 'SWAR byte max' },
};

/** What the 2x2 loop of the families without SIMD does. */
const HOW_2X2: Record<PoolKind, string> = {
  avg: 'a 2x2 window in registers, byte-wise halvings and a rounding carry',
  max: 'a 2x2 window in registers, three SWAR byte maxima',
};

function emitPool(kind: PoolKind, family: PoolFamily, p: PoolParams, ctx: LayerEmitContext): string {
  const dsp = family === 'arm-dsp';
  const twoByTwo = !dsp && isTwoByTwo(p);
  const shared = `tf_${kind}pool_${{ 'arm-dsp': 'dsp', armv6m: 'm0', rv32: 'rv32' }[family]}${twoByTwo ? '_2x2' : ''}`;
  const call = twoByTwo
    ? `tf_pool2x2_words_body(g, in, out, ${kind === 'avg' ? 1 : 0})`
    : `${kind === 'avg' ? 'tf_avgpool_words_body' : 'tf_maxpool_words_body'}(g, in, out, ${dsp ? 1 : 0})`;
  const how = twoByTwo ? { ...HOW[family], [kind]: HOW_2X2[kind] } : HOW[family];
  ctx.defineOnce(
    shared,
    `/* the shared ${kind === 'avg' ? 'AVERAGE' : 'MAX'}_POOL_2D loop (${how.label}${twoByTwo ? ', 2x2 windows' : ''}), one copy per model */\n` +
      `static void ${shared}(const tf_pool_geom_t *g, const int8_t *in, int8_t *out) { ${call}; }\n`,
  );
  const op = kind === 'avg' ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
  return (
    `/* ${op} [${p.batches}x${p.inH}x${p.inW}x${p.depth}] -> [${p.batches}x${p.outH}x${p.outW}x${p.depth}], filter ${p.filterH}x${p.filterW}, ` +
    `stride ${p.strideH}x${p.strideW} (${how.label}: 4 channels per word, ${how[kind]}) */\n` +
    `static const tf_pool_geom_t ${ctx.fnName}_geom = { ${geometry(p).join(', ')} };\n` +
    `static void ${ctx.fnName}(void) { ${shared}(&${ctx.fnName}_geom, ${ctx.input(0)}, ${ctx.output(0)}); }\n`
  );
}

function variant(kind: PoolKind, family: PoolFamily): KernelVariant<PoolParams> {
  const dsp = family === 'arm-dsp';
  return {
    name: family,
    family,
    // DSP: any depth from 4 (unaligned word loads); Armv6-M and RV32: whole words only (aligned loads)
    applies: (p) =>
      dsp
        ? maxWindowTaps(p) <= MAX_TAPS && dspPays(kind, p) && p.depth >= 4
        : p.depth % 4 === 0 &&
          (isTwoByTwo(p) ||
            (maxWindowTaps(p) <= MAX_TAPS &&
              maxWindowTaps(p) >= MIN_TAPS &&
              (family !== 'rv32' || kind === 'avg' || maxWindowTaps(p) <= RV32_MAX_TAPS_OF_MAX))),
    emit: (p, ctx) => emitPool(kind, family, p, ctx),
    cFiles: ['common/families/pool_words.h'],
  };
}

/**
 * The MVE (Helium) loops of pool_mve.h: 16 channels per vector, the last vector of a pixel
 * tail-predicated; the average's int16 lane sums hold windows of up to MAX_TAPS taps. They beat the
 * Arm DSP loops (and the portable C below 4 channels) at every depth and window measured on the
 * emulated Cortex-M55, 1 to 64 channels, 1x1 to 7x7 (docs/kernels.md), so they take every layer.
 */
const MVE_HOW: Record<PoolKind, string> = {
  avg: '16 channels per window walk in int16 lanes, division by a shift (2^k taps) or a reciprocal',
  max: '16 channels per VMAX.S8',
};

function emitPoolMve(kind: PoolKind, p: PoolParams, ctx: LayerEmitContext): string {
  const shared = `tf_${kind}pool_mve`;
  ctx.defineOnce(
    shared,
    `/* the shared ${kind === 'avg' ? 'AVERAGE' : 'MAX'}_POOL_2D loop (MVE), one copy per model */\n` +
      `static void ${shared}(const tf_pool_geom_t *g, const int8_t *in, int8_t *out) { tf_${kind}pool_mve_body(g, in, out); }\n`,
  );
  const op = kind === 'avg' ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
  return (
    `/* ${op} [${p.batches}x${p.inH}x${p.inW}x${p.depth}] -> [${p.batches}x${p.outH}x${p.outW}x${p.depth}], filter ${p.filterH}x${p.filterW}, ` +
    `stride ${p.strideH}x${p.strideW} (MVE: ${MVE_HOW[kind]}, the last vector tail-predicated) */\n` +
    `static const tf_pool_geom_t ${ctx.fnName}_geom = { ${geometry(p).join(', ')} };\n` +
    `static void ${ctx.fnName}(void) { ${shared}(&${ctx.fnName}_geom, ${ctx.input(0)}, ${ctx.output(0)}); }\n`
  );
}

function mveVariant(kind: PoolKind): KernelVariant<PoolParams> {
  return {
    name: 'mve',
    family: 'arm-mve',
    applies: (p) => kind === 'max' || maxWindowTaps(p) <= MAX_TAPS,
    emit: (p, ctx) => emitPoolMve(kind, p, ctx),
    cFiles: ['common/families/pool_words.h', 'common/families/pool_mve.h'],
  };
}

export const avgPoolVariants: readonly KernelVariant<PoolParams>[] = [
  mveVariant('avg'),
  variant('avg', 'arm-dsp'),
  variant('avg', 'armv6m'),
  variant('avg', 'rv32'),
];
export const maxPoolVariants: readonly KernelVariant<PoolParams>[] = [
  mveVariant('max'),
  variant('max', 'arm-dsp'),
  variant('max', 'armv6m'),
  variant('max', 'rv32'),
];
