// SPDX-License-Identifier: Apache-2.0
/**
 * The DSP variants of DEPTHWISE_CONV_2D on the emulated Cortex-M4 (QEMU mps2-an386), Cortex-M7
 * (mps2-an500) and Cortex-M33 (mps2-an505), where depthwise_conv_2d_dsp.h's inline assembly runs (the host
 * tests run its C twins): many layers in one model per kernel and board, bit-exact with the
 * TypeScript reference over every output byte.
 *
 * Depth multiplier 1 (channels 4..256): 3x3 windows at strides 1 and 2, SAME and VALID (pixels read
 * in place, in pairs and alone, through tap pointers, from padded copies of bands of rows, every
 * pixel in place with the padding's taps reading the zero point from the weights, and rows
 * of 20 pixels and more at stride 1 from int16 planes, rows of 8 to 19 from four channels' planes at a time,
 * two and four outputs a step;
 * right and bottom padding only, images with no inside pixel, windows larger than the image), other
 * kernels (5x5, 3x1, 2x4, 1x1, dilated 3x3: the generic tap loop), batches, outputs written over
 * their dead input (the planner's overlap).
 * One input channel (depth multipliers 1..9): kernels up to 10x8 (k4 with and without the 4-column
 * tail, kernel rows of one and two words), odd output channels, odd pixel counts per batch (the last
 * pixel paired with itself), runs past the right edge, dilated rows; dilated columns fall back to
 * CONV_2D's im2col kernel.
 * Any other multiplier over 4 or more channels (multipliers 2..4 over several channels, channels off
 * multiples of 4): 4-lane groups, a pass per multiplier, the last group overlapping.
 * Two and three input channels (multipliers 1..5): the one-channel row kernel on runs of k_w x in_c
 * bytes, dilated columns and border runs gathered; three under an undilated 3x3 window: the
 * any-multiplier loop with pixels read in place (lane 3 at weight 0).
 * All: every requantization mode (SMMULR and exact 64-bit, with and without a clamp; SMMLAR on
 * records of K = 2^(32 - shift) in the mask and plane kernels where the floor allows it), per-channel
 * and per-tensor scales, multipliers above 1, input zero points from -128 to 100.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard, layersOverTheirInput } from '../../../../test/helpers/emulated_variants.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { validateModel } from '../../../lab/run/validate.ts';
import { type InputSpec, type Layer, depthwiseModel } from '../../../../test/helpers/depthwise_models.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';

/**
 * Random four-lane layers (multiplier 1, and 2..3 now and then) over channel counts on and off
 * multiples of 4 (the multiplier-1 copy of the any-multiplier loop), with and without an output
 * zero point of -128 under RELU / RELU6 (the ceiling-only clamp), 3x3 in place and other kernels.
 */
function randomLaneModel(seed: number, count: number): Graph {
  const rand = rng(seed);
  const inputs: InputSpec[] = [];
  const layers: Layer[] = [];
  for (let i = 0; i < count; i++) {
    const c = randomInt(rand, 4, 22);
    const name = `r${i}`;
    inputs.push({ name, shape: [randomInt(rand, 1, 2), randomInt(rand, 3, 8), randomInt(rand, 3, 8), c], zeroPoint: randomInt(rand, -128, 100) });
    layers.push({
      from: name,
      mult: rand() < 0.8 ? 1 : randomInt(rand, 2, 3),
      k: rand() < 0.7 ? [3, 3] : [randomInt(rand, 1, 3), randomInt(rand, 1, 3)],
      padding: rand() < 0.6 ? 'SAME' : 'VALID',
      activation: (['NONE', 'RELU', 'RELU6'] as const)[randomInt(rand, 0, 2)],
      perChannel: rand() < 0.6,
      zpMin: rand() < 0.6,
    });
  }
  // the last layer's output hidden and read by one more: planned over its dead input
  layers[layers.length - 1]!.hidden = true;
  layers.push({ padding: 'SAME', activation: 'RELU6', zpMin: true });
  return depthwiseModel(`dsp_dw_lanes_${seed}`, inputs, layers, seed);
}

interface Model {
  graph: Graph;
  note: string;
  /** every one must occur in the generated model.c */
  kinds: RegExp[];
  /** must not occur in it */
  absent?: RegExp;
  /** false: the plan need not put a layer over its input (the kernels' scratch can make that save nothing) */
  overlap?: false;
  /** 'speed': every arena-hungry fast form kept (the padded copies), as `--prefer speed` */
  prefer?: 'speed';
}

const MODELS: Model[] = [
  {
    note: 'depth multiplier 1, channels 4..256: 3x3 s1/s2 SAME/VALID, 5x5, 3x1, 2x4, 1x1, dilated, batches, overlap, every requantization mode',
    graph: depthwiseModel(
      'dsp_dw_mult1',
      [
        { name: 'a', shape: [1, 7, 9, 4], zeroPoint: -7 },
        { name: 'b', shape: [2, 5, 6, 12], zeroPoint: 25 },
        { name: 'c', shape: [1, 2, 2, 28], zeroPoint: -128 },
        { name: 'd', shape: [1, 6, 8, 64], zeroPoint: 100 },
        { name: 'e', shape: [1, 4, 5, 256], zeroPoint: 0 },
      ],
      [
        // 7x9, 4 channels: in place inside rows 1..5 and columns 1..7, tap pointers around them
        { from: 'a', activation: 'RELU', padding: 'SAME', perChannel: true },
        { stride: [2, 2], padding: 'SAME' }, // 4x5, padding 1 on every side
        { activation: 'RELU6', perChannel: true }, // VALID 2x3: every pixel in place
        { from: 'a', k: [5, 5], padding: 'SAME', perChannel: true }, // generic taps, padding 2
        { from: 'a', k: [3, 1], stride: [2, 1], activation: 'RELU' },
        { from: 'a', dilation: [2, 2], padding: 'SAME', perChannel: true }, // dilated 3x3: generic taps
        { from: 'a', k: [1, 1], stride: [2, 2], activation: 'RELU6' },
        // two batches, 12 channels
        { from: 'b', padding: 'SAME', gain: true, perChannel: true }, // exact, no clamp
        { from: 'b', stride: [2, 2], padding: 'SAME', huge: true, activation: 'RELU', perChannel: true }, // exact, clamp; pad left 0
        { from: 'b', activation: 'RELU6' }, // per-tensor, all in place
        { from: 'b', k: [2, 4], stride: [1, 2], padding: 'SAME', perChannel: true },
        // 2x2 image, 28 channels: no pixel in place; a window wider than the image
        { from: 'c', padding: 'SAME', perChannel: true },
        { from: 'c', k: [5, 5], padding: 'SAME', activation: 'RELU' },
        // 64 channels, outputs planned over their dead inputs
        { from: 'd', padding: 'SAME', activation: 'RELU', hidden: true },
        { hidden: true, perChannel: true },
        { stride: [2, 2], padding: 'SAME', perChannel: true }, // 4x6 -> 2x3: padding right and bottom only
        // 256 channels
        { from: 'e', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'e' },
        { from: 'e', stride: [2, 2], padding: 'SAME', huge: true }, // exact, no clamp
      ],
      21,
    ),
    // tf_dwk_mult1_k<channels>_<row bytes>[_s<stride>]_<mode>: a layer shape's own instance (3x3 in
    // place, pixels in pairs), stride 1 unnamed; tf_dwk_mask_k<channels>_<h>x<w>_s<strides>_p<pads>_<mode>:
    // every pixel in place, the padding from the weights
    kinds: [
      /tf_dwk_(mult1|mask)_(\w+_)?fs\(/,
      /tf_dwk_(mult1|mask)_(\w+_)?fc\(/,
      /tf_dwk_(mult1|mask)_(\w+_)?xs\(/,
      /tf_dwk_(mult1|mask)_(\w+_)?xc\(/,
      /tf_dwk_mult1_k\d+_\d+_\w+\(/,
      /tf_dwk_mask_k\d+_\d+x\d+_s22_\w+\(/,
      /tf_dwk_mult1_[fx]\w*\(/,
    ],
  },
  {
    note: "MobileNet (VWW) shapes, each 3x3 shape's own instance: maps 13x11 down to 1x1, strides 1 and 2, channels 8..200 and off multiples of 4, offsets past an LDR's immediate",
    graph: depthwiseModel(
      'dsp_dw_vww',
      [
        { name: 'a', shape: [1, 13, 11, 8], zeroPoint: -128 },
        { name: 'b', shape: [1, 6, 6, 64], zeroPoint: 17 },
        { name: 'c', shape: [1, 3, 3, 128], zeroPoint: -3 },
        { name: 'd', shape: [1, 9, 5, 200], zeroPoint: 90 },
        { name: 'e', shape: [1, 2, 2, 20], zeroPoint: -60 },
        { name: 'f', shape: [1, 1, 1, 16], zeroPoint: 5 },
        { name: 'g', shape: [1, 3, 3, 1024], zeroPoint: -128 },
        { name: 'h', shape: [1, 5, 7, 10], zeroPoint: 33 },
        { name: 'i', shape: [1, 7, 27, 12], zeroPoint: -20 },
        { name: 'j', shape: [1, 13, 10, 96], zeroPoint: 70 },
        { name: 'k', shape: [1, 12, 6, 64], zeroPoint: -100 },
        { name: 'l', shape: [1, 12, 19, 32], zeroPoint: 12 },
        { name: 'm', shape: [1, 5, 17, 8], zeroPoint: -50 },
        { name: 'n', shape: [1, 20, 6, 128], zeroPoint: 8 },
      ],
      [
        // 13x11x8 -> 7x6 -> 4x3 -> 2x2 -> 1x1, SAME, per-channel, RELU6 under zero point -128
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        { stride: [2, 2], padding: 'SAME', activation: 'RELU6', perChannel: true },
        { stride: [2, 2], padding: 'SAME', perChannel: true },
        { stride: [2, 2], padding: 'SAME', activation: 'RELU', perChannel: true },
        { stride: [2, 2], padding: 'SAME', perChannel: true },
        // 6x6x64 and 3x3x128: every pixel in place, the padding from the weights
        { from: 'b', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'b', stride: [2, 2], padding: 'SAME', activation: 'RELU', perChannel: true },
        { from: 'c', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'c', padding: 'SAME', gain: true, perChannel: true }, // exact requantization
        { from: 'c', activation: 'RELU' }, // VALID 1x1: the only pixel in place
        // 9x5x200: offsets up to 4000 bytes, immediates still
        { from: 'd', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'd', stride: [2, 2], padding: 'SAME', huge: true, perChannel: true }, // exact
        // 2x2 and 1x1 maps: no window inside the image
        { from: 'e', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'f', padding: 'SAME', perChannel: true },
        // 3x3x1024: row offsets past 4095 bytes (the shared loop)
        { from: 'g', padding: 'SAME', activation: 'RELU6', perChannel: true },
        // 10 channels: the any-multiplier loop
        { from: 'h', padding: 'SAME', stride: [2, 2], activation: 'RELU6', perChannel: true },
        // rows of 27 pixels: at stride 1 the int16 planes (25 and 27 pixels, a lone last one), at
        // stride 2 in-place pairs and a lone pixel
        { from: 'i', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'i', padding: 'VALID', perChannel: true },
        { from: 'i', padding: 'SAME', stride: [2, 2], perChannel: true },
        // 13x10x96: four channels' planes at a time; 12x6x64 every pixel in place
        { from: 'j', padding: 'SAME', activation: 'RELU', perChannel: true },
        { from: 'k', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'k', padding: 'VALID', gain: true, perChannel: true }, // all in place, no copy
        // rows of 19 and 17 pixels: four channels' planes at a time, odd rows
        { from: 'l', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        { from: 'm', padding: 'SAME', activation: 'RELU', perChannel: true },
        // rows of 6 pixels, 128 channels
        { from: 'n', padding: 'SAME', activation: 'RELU', perChannel: true },
      ],
      55,
    ),
    prefer: 'speed',
    // borders at most a row and a column each side: every pixel in place, tf_dwk_mask_k<c>_<h>x<w>_s<strides>_p<pads>_<mode>;
    // rows of 8 to 19 pixels: four channels' int16 planes at a time, tf_dwk_plane_k<c>_<words>_g<rows>_<mode>
    kinds: [
      /tf_dwk_plane_k8_7_g15_fchk\(/,
      /tf_dwk_mask_k64_12x6_s11_p11_/,
      /tf_dwk_mask_k64_6x6_s22_p00_/,
      /tf_dwk_mask_k128_3x3_s11_p11_/,
      /tf_dwk_mask_k200_9x5_s11_p11_/,
      /tf_dwk_mask_k200_9x5_s22_p11_/,
      /tf_dwk_mask_k20_2x2_s11_p11_/,
      /tf_dwk_mask_k16_1x1_s11_p11_/,
      /tf_dwk_plane_k12_14_/,
      /tf_dwk_plane_k12_15_/,
      /tf_dwk_mask_k12_7x27_s22_p11_/,
      /tf_dwk_plane_k96_6_g15_/,
      /tf_dwk_plane_k32_11_g14_/,
      /tf_dwk_plane_k8_10_g7_/,
      /tf_dwk_mask_k128_20x6_s11_p11_/,
      /tf_dwk_mask_k64_6x6_s11_p11_f/,
      /tf_dwk_mult1_f\w*\(/,
      /tf_dwk_multm1_/,
    ],
  },
  {
    note: 'every pixel in place, the padding read as the zero point from the weights: maps 1x1 to 25x5 and rows of 27, strides 1 and 2, SAME both sides and right only, batches, one row, multipliers above 1, over a dead input, every requantization mode',
    graph: depthwiseModel(
      'dsp_dw_mask',
      [
        { name: 'a', shape: [1, 25, 5, 64], zeroPoint: -128 },
        { name: 'b', shape: [1, 6, 6, 32], zeroPoint: 17 },
        { name: 'c', shape: [2, 3, 3, 16], zeroPoint: -3 },
        { name: 'd', shape: [1, 2, 2, 8], zeroPoint: 90 },
        { name: 'e', shape: [1, 1, 1, 12], zeroPoint: -60 },
        { name: 'f', shape: [1, 7, 27, 4], zeroPoint: 5 },
        { name: 'g', shape: [1, 1, 6, 20], zeroPoint: -100 },
        { name: 'h', shape: [2, 7, 7, 8], zeroPoint: 33 },
        { name: 'i', shape: [1, 12, 12, 24], zeroPoint: -20 },
        { name: 'j', shape: [1, 4, 7, 4], zeroPoint: 70 },
      ],
      [
        // KWS's 25x5x64: an odd last pixel; RELU6 under zero point -128 (the ceiling-only clamp)
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        { from: 'a', padding: 'SAME', gain: true, perChannel: true }, // multipliers above 1: weights scaled
        // 6x6 at strides 1 and 2 (padding right and bottom only), a middle pair
        { from: 'b', padding: 'SAME', activation: 'RELU', perChannel: true },
        { from: 'b', padding: 'SAME', stride: [2, 2], perChannel: true },
        // 3x3, two batches: exact requantization with and without a clamp
        { from: 'c', padding: 'SAME', huge: true, activation: 'RELU6', perChannel: true },
        { from: 'c', padding: 'SAME', huge: true },
        { from: 'c', padding: 'SAME', stride: [2, 2], activation: 'RELU' }, // 2x2, padding both sides
        // 2x2 (one pair, both columns on the border) and 1x1 (every tap but the centre in the padding)
        { from: 'd', padding: 'SAME', perChannel: true },
        { from: 'd', padding: 'SAME', stride: [2, 2], activation: 'RELU6' },
        { from: 'e', padding: 'SAME', perChannel: true },
        // rows of 27 at stride 2: pairs inside, an odd last pixel
        { from: 'f', padding: 'SAME', stride: [2, 2], activation: 'RELU6', perChannel: true },
        { from: 'f', padding: 'SAME', stride: [1, 2], perChannel: true },
        // one image row: the padding above and below
        { from: 'g', padding: 'SAME', activation: 'RELU', perChannel: true },
        // 7x7 at stride 2: padding on both sides; two batches
        { from: 'h', padding: 'SAME', stride: [2, 2], perChannel: true },
        // 12x12 at stride 2, then over its dead input
        { from: 'i', padding: 'SAME', stride: [2, 2], hidden: true, perChannel: true },
        { padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'j', padding: 'SAME', activation: 'RELU', perChannel: true },
      ],
      71,
    ),
    kinds: [
      /tf_dwk_mask_k64_25x5_s11_p11_fchk\(/,
      /tf_dwk_mask_k32_6x6_s22_p00_/,
      /tf_dwk_mask_k16_3x3_s11_p11_x/,
      /tf_dwk_mask_k12_1x1_s11_p11_/,
      /tf_dwk_mask_k4_7x27_s22_p11_/,
      /tf_dwk_mask_k4_7x27_s12_p11_/,
      /tf_dwk_mask_k8_7x7_s22_p11_/,
      /tf_dwk_mask_k24_6x6_s11_p11_/,
    ],
  },
  {
    note: 'mask kernels on records of K = 2^(32 - shift) (floor at or above the output zero point, every shift 2 or more): RELU, RELU6, NONE under zero point -128, strides 1 and 2, channels 4..256, odd last pixels, batches; beside them the five-instruction form where the floor lies below the zero point',
    graph: depthwiseModel(
      'dsp_dw_mask_round',
      [
        { name: 'a', shape: [1, 6, 6, 128], zeroPoint: -128 },
        { name: 'b', shape: [1, 3, 3, 256], zeroPoint: 11 },
        { name: 'c', shape: [2, 5, 7, 8], zeroPoint: -40 },
        { name: 'd', shape: [1, 12, 12, 32], zeroPoint: 64 },
        { name: 'e', shape: [1, 7, 27, 4], zeroPoint: -5 },
      ],
      [
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true }, // ceiling only
        { from: 'a', padding: 'SAME', stride: [2, 2], activation: 'RELU', perChannel: true }, // clamped, zero point in -20..20
        { from: 'a', padding: 'SAME', zpMin: true, perChannel: true }, // NONE under -128: saturating
        { from: 'b', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'b', padding: 'SAME', perChannel: true }, // floor below the zero point: not K
        { from: 'c', padding: 'SAME', activation: 'RELU' }, // per tensor, odd rows, two batches
        { from: 'c', padding: 'SAME', stride: [2, 2], activation: 'RELU6', zpMin: true },
        { from: 'd', padding: 'SAME', stride: [2, 2], activation: 'RELU', perChannel: true },
        { from: 'e', padding: 'SAME', stride: [2, 2], activation: 'RELU6', perChannel: true, zpMin: true }, // an odd last pixel
        { from: 'e', padding: 'SAME', stride: [1, 2], activation: 'RELU', perChannel: true },
      ],
      73,
    ),
    kinds: [/tf_dwk_mask_k128_6x6_s11_p11_fchk\(/, /tf_dwk_mask_\w+_fck\(/, /tf_dwk_mask_\w+_fsk\(/, /tf_dwk_mask_k256_3x3_s11_p11_f[sc]\(/],
  },
  {
    note: 'mask kernels leaving the border taps out (a start per border class): maps 1x1 to 8x6 and 7x7, one row and one column (padding on both sides), channels 4..256, strides 1 and 2, SAME both sides and right and bottom only, input zero points -128 to 127, RELU/RELU6/NONE, odd widths, batches, scaled weights, exact requantization',
    graph: depthwiseModel(
      'dsp_dw_mask_class',
      [
        { name: 'a', shape: [1, 8, 6, 4], zeroPoint: 127 },
        { name: 'b', shape: [2, 5, 3, 12], zeroPoint: -128 },
        { name: 'c', shape: [1, 1, 3, 8], zeroPoint: 100 },
        { name: 'd', shape: [1, 4, 1, 16], zeroPoint: -77 },
        { name: 'e', shape: [1, 2, 5, 256], zeroPoint: 0 },
        { name: 'f', shape: [1, 7, 7, 40], zeroPoint: 60 },
        { name: 'g', shape: [1, 6, 6, 128], zeroPoint: -128 },
        { name: 'h', shape: [1, 1, 1, 4], zeroPoint: 127 },
      ],
      [
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        { from: 'a', padding: 'SAME', stride: [2, 2], activation: 'RELU', perChannel: true }, // right and bottom only
        { from: 'b', padding: 'SAME', activation: 'RELU', perChannel: true }, // two batches, rows of 3
        { from: 'b', padding: 'SAME', stride: [2, 2], activation: 'RELU6', zpMin: true }, // both sides, per tensor
        { from: 'c', padding: 'SAME', perChannel: true }, // the rows above and below in the padding
        { from: 'd', padding: 'SAME', activation: 'RELU6', perChannel: true }, // the columns left and right
        { from: 'e', padding: 'SAME', gain: true, perChannel: true }, // weights scaled by 2^shift
        { from: 'e', padding: 'SAME', stride: [2, 2], activation: 'RELU', perChannel: true, zpMin: true },
        { from: 'f', padding: 'SAME', stride: [2, 2], huge: true, perChannel: true }, // exact requantization
        { from: 'f', padding: 'SAME', activation: 'RELU6', perChannel: true },
        { from: 'g', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        { from: 'g', padding: 'SAME', stride: [2, 2], activation: 'RELU6', perChannel: true, zpMin: true },
        { from: 'h', padding: 'SAME', zpMin: true, perChannel: true },
      ],
      76,
    ),
    kinds: [
      /tf_dwk_mask_k4_8x6_s11_p11_fchk\(/,
      /tf_dwk_mask_k4_8x6_s22_p00_/,
      /tf_dwk_mask_k12_5x3_s11_p11_/,
      /tf_dwk_mask_k12_5x3_s22_p11_/,
      /tf_dwk_mask_k8_1x3_s11_p11_/,
      /tf_dwk_mask_k16_4x1_s11_p11_/,
      /tf_dwk_mask_k256_2x5_s11_p11_/,
      /tf_dwk_mask_k256_2x5_s22_p01_/,
      /tf_dwk_mask_k40_7x7_s22_p11_x/,
      /tf_dwk_mask_k40_7x7_s11_p11_/,
      /tf_dwk_mask_k128_6x6_s22_p00_fchk\(/,
      /tf_dwk_mask_k4_1x1_s11_p11_/,
    ],
  },
  {
    note: 'int16-plane kernels on records of K = 2^(32 - shift) (floor at the output zero point -128, every shift 2 or more): rows of 20 and more (four pixels a step and pairs, odd widths) and of 8 to 19 (four channels at a time), RELU6 and NONE, batches; beside them RELU and RELU6 clamped at both ends (five instructions)',
    graph: depthwiseModel(
      'dsp_dw_plane_round',
      [
        { name: 'a', shape: [1, 6, 24, 8], zeroPoint: -128 },
        { name: 'b', shape: [2, 5, 21, 12], zeroPoint: 30 },
        { name: 'c', shape: [1, 12, 12, 16], zeroPoint: -60 },
        { name: 'd', shape: [1, 9, 10, 8], zeroPoint: 7 },
        { name: 'e', shape: [1, 11, 13, 4], zeroPoint: -3 },
      ],
      [
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true }, // four a step, ceiling only
        { from: 'a', padding: 'SAME', zpMin: true, perChannel: true }, // saturating
        { from: 'a', padding: 'SAME', activation: 'RELU', perChannel: true }, // both clamps: not K
        { from: 'b', padding: 'SAME', activation: 'RELU6', zpMin: true }, // pairs and a last pixel, per tensor, two batches
        { from: 'c', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true }, // four channels' planes, four a step
        { from: 'd', padding: 'SAME', zpMin: true, perChannel: true }, // four channels' planes, pairs
        { from: 'e', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true }, // odd rows
        { from: 'e', padding: 'SAME', activation: 'RELU6', perChannel: true }, // both clamps: not K
        { from: 'a', padding: 'SAME', activation: 'RELU6', unit: true, zpMin: true }, // shift 0: no K (saturating)
        { from: 'c', padding: 'SAME', activation: 'RELU6', unit: true, zpMin: true },
      ],
      74,
    ),
    kinds: [
      /tf_dwk_plane_k8_13_fchk\(/,
      /tf_dwk_plane_k8_13_fsk\(/,
      /tf_dwk_plane_k8_13_fc\(/,
      /tf_dwk_plane_k12_12_fchk\(/,
      /tf_dwk_plane_k16_7_g14_fchk\(/,
      /tf_dwk_plane_k8_6_g11_fsk\(/,
      /tf_dwk_plane_k4_8_g13_fchk\(/,
      /tf_dwk_plane_k4_8_g13_fc\(/,
      /tf_dwk_plane_k8_13_fs\(/,
      /tf_dwk_plane_k16_7_g14_fs\(/,
    ],
  },
  {
    note: 'rows of 20 pixels and more at stride 1 (int16 planes, two taps per SMLAD): odd and even widths, SAME and VALID, batches, multipliers above 1, over a dead input, every requantization mode',
    graph: depthwiseModel(
      'dsp_dw_plane',
      [
        { name: 'a', shape: [1, 5, 20, 4], zeroPoint: -128 },
        { name: 'b', shape: [2, 4, 21, 8], zeroPoint: 40 },
        { name: 'c', shape: [1, 6, 23, 12], zeroPoint: -9 },
        { name: 'd', shape: [1, 3, 26, 16], zeroPoint: 100 },
        { name: 'e', shape: [1, 4, 30, 4], zeroPoint: 3 },
        { name: 'f', shape: [1, 1, 22, 8], zeroPoint: -70 },
        { name: 'g', shape: [2, 2, 20, 4], zeroPoint: 40 },
      ],
      [
        // 20 pixels a row, RELU6 under zero point -128 (the ceiling-only clamp)
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        // two batches, 21 pixels (the last one alone), multipliers above 1 (weights scaled)
        { from: 'b', padding: 'SAME', gain: true, perChannel: true },
        { from: 'b', padding: 'SAME', activation: 'RELU', perChannel: true },
        // VALID: 21 of 23 columns, no padding
        { from: 'c', padding: 'VALID', activation: 'RELU6', perChannel: true },
        { from: 'c', padding: 'SAME', activation: 'RELU6' }, // per-tensor, both clamps
        // exact requantization (the C loop), with and without a clamp
        { from: 'd', padding: 'SAME', huge: true, activation: 'RELU6', perChannel: true },
        { from: 'd', padding: 'SAME', huge: true, perChannel: true },
        // one image row: two padding rows of the ring
        { from: 'f', padding: 'SAME', perChannel: true },
        // rows of a multiple of 4 pixels (four a step): two batches, multipliers above 1, no clamp and both clamps
        { from: 'g', padding: 'SAME', gain: true, perChannel: true },
        { from: 'g', padding: 'SAME', activation: 'RELU6' },
        // outputs planned over their dead inputs
        { from: 'e', padding: 'SAME', hidden: true, perChannel: true },
        { padding: 'SAME', activation: 'RELU', perChannel: true },
      ],
      61,
    ),
    kinds: [/tf_dwk_plane_k4_11_fchk\(/, /tf_dwk_plane_k8_12_fs\(/, /tf_dwk_plane_k12_12_fc\(/, /tf_dwk_plane_k16_14_x\w*\(/, /tf_dwk_plane_k4_16_/],
  },
  {
    note: "rows of 8 to 19 pixels at stride 1 (four channels' int16 planes at a time): odd and even widths, SAME and VALID, batches, one row, multipliers above 1, chained, every requantization mode",
    graph: depthwiseModel(
      'dsp_dw_gplane',
      [
        { name: 'a', shape: [1, 8, 8, 4], zeroPoint: -128 },
        { name: 'b', shape: [2, 5, 9, 8], zeroPoint: 40 },
        { name: 'c', shape: [1, 6, 12, 12], zeroPoint: -9 },
        { name: 'd', shape: [1, 3, 14, 16], zeroPoint: 100 },
        { name: 'e', shape: [1, 1, 16, 8], zeroPoint: -70 },
        { name: 'f', shape: [1, 9, 19, 4], zeroPoint: 3 },
        { name: 'g', shape: [1, 4, 10, 64], zeroPoint: -30 },
        { name: 'h', shape: [2, 4, 12, 8], zeroPoint: 60 },
      ],
      [
        // 8 pixels a row (every row in one block), RELU6 under zero point -128 (the ceiling-only clamp)
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        // two batches, 9 pixels (row by row, the last one alone), multipliers above 1 (weights scaled)
        { from: 'b', padding: 'SAME', gain: true, perChannel: true },
        { from: 'b', padding: 'SAME', activation: 'RELU', perChannel: true },
        // VALID: 10 of 12 columns, no padding; per-tensor, both clamps
        { from: 'c', padding: 'VALID', activation: 'RELU6', perChannel: true },
        { from: 'c', padding: 'SAME', activation: 'RELU6' },
        // exact requantization (the C loop), with and without a clamp
        { from: 'd', padding: 'SAME', huge: true, activation: 'RELU6', perChannel: true },
        { from: 'd', padding: 'SAME', huge: true, perChannel: true },
        // one image row: two padding rows
        { from: 'e', padding: 'SAME', perChannel: true },
        // rows of 12 (four pixels a step): two batches, multipliers above 1
        { from: 'h', padding: 'SAME', gain: true, perChannel: true },
        { from: 'f', padding: 'SAME', activation: 'RELU', perChannel: true },
        // a chain of two (never planned over their inputs: outputs of a group land on the next's inputs)
        { from: 'g', padding: 'SAME', hidden: true, perChannel: true },
        { padding: 'SAME', activation: 'RELU', perChannel: true },
      ],
      67,
    ),
    overlap: false,
    kinds: [
      /tf_dwk_plane_k4_5_g10_fchk\(/,
      /tf_dwk_plane_k8_6_g7_fs\(/,
      /tf_dwk_plane_k12_6_g6_fc\(/,
      /tf_dwk_plane_k16_8_g5_x\w*\(/,
      /tf_dwk_plane_k8_9_g3_/,
      /tf_dwk_plane_k4_11_g11_/,
      /tf_dwk_plane_k64_6_g6_/,
    ],
  },
  {
    note: "rows of 20 pixels and more over 16 rows and more (four channels' int16 planes in bands of rows, the output exactly over the input): two and three bands, a short last band, odd widths, SAME and VALID, every requantization mode",
    graph: depthwiseModel(
      'dsp_dw_gplane_wide',
      [
        { name: 'a', shape: [1, 40, 22, 4], zeroPoint: -128 },
        { name: 'b', shape: [1, 70, 20, 4], zeroPoint: 25 },
        { name: 'c', shape: [1, 40, 24, 8], zeroPoint: -60 },
        { name: 'd', shape: [1, 34, 21, 4], zeroPoint: 90 },
        { name: 'e', shape: [1, 18, 24, 32], zeroPoint: -128 },
      ],
      [
        // two bands of 20 rows, RELU6 under zero point -128 (the ceiling-only clamp), over its dying input
        { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
        // three bands of 24 rows, the last of 22; multipliers above 1
        { from: 'b', padding: 'SAME', gain: true, perChannel: true },
        // VALID: 22 of 24 columns, 38 rows in two bands of 19; both clamps, per-tensor
        { from: 'c', padding: 'VALID', activation: 'RELU6' },
        // 21 pixels a row (row by row, the last pixel alone), exact requantization (the C loop)
        { from: 'd', padding: 'SAME', huge: true, activation: 'RELU', perChannel: true },
        // one band: the whole image of each group
        { from: 'e', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
      ],
      68,
    ),
    kinds: [
      /tf_dwk_plane_k4_12_g22_\w*\(/,
      /tf_dwk_plane_k4_11_g26_\w*\(/,
      /tf_dwk_plane_k8_12_g21_\w*\(/,
      /tf_dwk_plane_k4_12_g19_\w*\(/,
      /tf_dwk_plane_k32_13_g20_\w*\(/,
    ],
  },
  {
    note: 'one input channel, depth multipliers 1..9: kernels up to 10x8, odd channels and pixels, batches, dilated rows, every requantization mode',
    graph: depthwiseModel(
      'dsp_dw_single',
      [
        { name: 's', shape: [1, 11, 13, 1], zeroPoint: -3 },
        { name: 't', shape: [2, 5, 7, 1], zeroPoint: 40 },
      ],
      [
        // 11x13: 143 pixels and odd sizes all round
        { from: 's', mult: 2, dilation: [1, 2], padding: 'SAME', perChannel: true }, // dilated columns: CONV_2D im2col
        { from: 's', padding: 'SAME', activation: 'RELU' }, // multiplier 1: only the lone-channel tail, k4 12
        { from: 's', mult: 2, k: [10, 8], perChannel: true }, // 2x6 pixels, kernel rows of 2 words, k4 80
        { from: 's', mult: 3, k: [5, 3], stride: [2, 2], padding: 'SAME', activation: 'RELU6', perChannel: true }, // k4 20
        { from: 's', mult: 4, k: [1, 4] }, // k4 4: only the 4-column tail
        { from: 's', mult: 5, k: [4, 5], stride: [1, 2], padding: 'SAME', gain: true, perChannel: true }, // exact, k4 32
        { from: 's', mult: 6, dilation: [2, 1], padding: 'SAME', huge: true, activation: 'RELU', perChannel: true }, // dilated rows, exact, clamp
        { from: 's', mult: 7, k: [7, 7], stride: [2, 2], padding: 'SAME', perChannel: true }, // k4 56
        { from: 's', mult: 8, k: [9, 2], stride: [1, 3], activation: 'RELU' }, // k4 36
        { from: 's', mult: 9, k: [2, 6], dilation: [3, 1], padding: 'SAME', perChannel: true }, // dilated rows, k4 16
        // the image's last reader, then a reader of that one's dead output: outputs planned over their inputs
        { from: 's', k: [3, 2], hidden: true },
        { mult: 5, k: [3, 4], padding: 'SAME', activation: 'RELU' },
        // two batches of 35 pixels: each batch's last pixel paired with itself
        { from: 't', mult: 3, padding: 'SAME' },
        { from: 't', mult: 1, k: [5, 5], perChannel: true }, // 1x3: the last run read past the right edge
        { from: 't', mult: 8, stride: [2, 2], padding: 'SAME', huge: true }, // exact, no clamp
        { from: 't', mult: 9, k: [2, 2], activation: 'RELU6' },
      ],
      22,
    ),
    kinds: [/tf_dwk_single_fs\(/, /tf_dwk_single_fc\(/, /tf_dwk_single_xs\(/, /tf_dwk_single_xc\(/, /Arm DSP: im2col/],
  },
  {
    note: 'depth multipliers 2..4 over several channels, channel counts off multiples of 4 (6, 7, 10): 3x3 in place and through pointers, 5x5, 7x7, dilated, strided, batches, every requantization mode',
    graph: depthwiseModel(
      'dsp_dw_multm',
      [
        { name: 'm', shape: [1, 7, 9, 8], zeroPoint: -9 },
        { name: 'n', shape: [1, 6, 5, 6], zeroPoint: 33 },
        { name: 'o', shape: [2, 5, 4, 7], zeroPoint: -128 },
        { name: 'p', shape: [1, 4, 6, 10], zeroPoint: 90 },
      ],
      [
        { from: 'm', mult: 2, padding: 'SAME', activation: 'RELU', perChannel: true }, // in place rows 1..5, columns 1..7
        { from: 'm', mult: 4, stride: [2, 2], padding: 'SAME' },
        { from: 'm', mult: 3, k: [5, 5], padding: 'SAME', gain: true, perChannel: true }, // exact, no clamp
        { from: 'm', mult: 2, dilation: [2, 2], padding: 'SAME', huge: true, activation: 'RELU6', perChannel: true }, // exact, clamp
        { from: 'n', padding: 'SAME', perChannel: true }, // multiplier 1 over 6 channels: the last group overlaps
        { from: 'n', mult: 3, k: [7, 7], padding: 'SAME', activation: 'RELU' },
        { from: 'n', mult: 2, k: [2, 3], stride: [1, 2], hidden: true },
        { mult: 2, padding: 'SAME', perChannel: true }, // 12 channels over its dead input
        { from: 'o', mult: 2, padding: 'SAME', perChannel: true }, // 7 channels: the last group overlapping, two batches
        { from: 'o', mult: 1, k: [2, 2], activation: 'RELU6' },
        { from: 'o', mult: 4, k: [3, 2], stride: [2, 1], padding: 'SAME', huge: true }, // exact, no clamp
        { from: 'p', mult: 2, padding: 'VALID', activation: 'RELU', perChannel: true }, // 10 channels, all in place
        { from: 'p', mult: 3, k: [1, 1], stride: [2, 2] },
        // the largest image's reader, then a reader of its dead output: outputs planned over their inputs
        { from: 'm', mult: 2, padding: 'SAME', perChannel: true, hidden: true },
        { mult: 2, padding: 'SAME', activation: 'RELU' },
      ],
      23,
    ),
    kinds: [/tf_dwk_multm_fs\(/, /tf_dwk_multm_fc\(/, /tf_dwk_multm_xs\(/, /tf_dwk_multm_xc\(/],
  },
  {
    note: 'two and three input channels, depth multipliers 1..5: kernel rows of several words, strides, dilated rows and columns, borders, batches, every requantization mode',
    graph: depthwiseModel(
      'dsp_dw_few',
      [
        { name: 'u', shape: [1, 9, 11, 3], zeroPoint: 12 },
        { name: 'v', shape: [2, 6, 7, 2], zeroPoint: -100 },
      ],
      [
        // (3x3 undilated over 3 channels runs the any-multiplier loop: dsp_dw_c3)
        { from: 'u', k: [3, 4], padding: 'SAME', activation: 'RELU', perChannel: true }, // rows of 12 bytes, whole words
        { from: 'u', k: [4, 3], stride: [2, 2], padding: 'SAME', perChannel: true }, // rows of 9 bytes read as 12, stride 2
        { from: 'u', mult: 2, k: [5, 5], padding: 'SAME', gain: true, perChannel: true }, // exact, no clamp; rows of 15 bytes
        { from: 'u', mult: 3, dilation: [2, 2], padding: 'SAME', huge: true, activation: 'RELU6', perChannel: true }, // dilated columns gathered
        { from: 'u', mult: 4, k: [2, 7], stride: [1, 3], activation: 'RELU6' }, // VALID, runs read in place
        { from: 'u', k: [3, 2], hidden: true },
        { mult: 2, k: [2, 3], padding: 'SAME', perChannel: true }, // over the dead input above
        { from: 'v', padding: 'SAME', perChannel: true }, // two channels, two batches
        { from: 'v', mult: 5, k: [4, 3], stride: [2, 1], padding: 'SAME', activation: 'RELU' },
        { from: 'v', mult: 2, dilation: [1, 2], padding: 'VALID', huge: true }, // exact, no clamp
        { from: 'v', mult: 3, k: [1, 1], stride: [2, 2], gain: true, perChannel: true },
      ],
      24,
    ),
    kinds: [/tf_dwk_few_fs\(/, /tf_dwk_few_fc\(/, /tf_dwk_few_xs\(/, /tf_dwk_few_xc\(/],
  },
  {
    note: "three input channels under 3x3 (pixels read in place, lane 3 at weight 0), multipliers 1..3: strides, SAME and VALID (windows ending on the image's last pixel), batches, over a dead input, every requantization mode",
    graph: depthwiseModel(
      'dsp_dw_c3',
      [
        { name: 'r', shape: [1, 8, 10, 3], zeroPoint: -20 },
        { name: 'q', shape: [2, 5, 5, 3], zeroPoint: 77 },
      ],
      [
        { from: 'r', padding: 'SAME', activation: 'RELU', perChannel: true }, // in place inside rows 1..6, columns 1..8
        { from: 'r', perChannel: true }, // VALID: every window in place but the one ending on the image's last pixel
        { from: 'r', stride: [2, 2], padding: 'SAME', gain: true, perChannel: true },
        { from: 'r', mult: 2, padding: 'SAME', huge: true, activation: 'RELU6', perChannel: true }, // exact, clamp
        { from: 'r', mult: 3, stride: [1, 2], activation: 'RELU6' },
        { from: 'r', huge: true }, // exact, no clamp
        { from: 'q', padding: 'SAME', perChannel: true }, // two batches
        { from: 'q', mult: 2, stride: [2, 2], activation: 'RELU' },
        // the largest image's reader, then a reader of its dead output: outputs planned over their inputs
        { from: 'r', padding: 'SAME', hidden: true },
        { padding: 'SAME', activation: 'RELU6', zpMin: true },
      ],
      25,
    ),
    kinds: [/tf_dwk_multm1_c3_fs\(/, /tf_dwk_multm1_c3_fc\(/, /tf_dwk_multm1_c3_xs\(/, /tf_dwk_multm_c3_xc\(/, /tf_dwk_multm_c3_fc\(/],
  },
  {
    note: 'pruned channels (bias +-2^30 under a filter scale of 1e-9: one or two output values) requantized by equivalent records, and right shifts of 15 and more under zero point -128 (past the FAST rounding word) on records of K: mask and plane kernels, strides 1 and 2, RELU/RELU6/NONE',
    graph: depthwiseModel(
      'dsp_dw_pruned',
      [
        { name: 'a', shape: [1, 6, 6, 32], zeroPoint: -128 },
        { name: 'b', shape: [1, 7, 5, 12], zeroPoint: 9 },
        { name: 'c', shape: [1, 24, 24, 8], zeroPoint: -128 },
      ],
      [
        { from: 'a', padding: 'SAME', activation: 'RELU', zpMin: true, pruned: true }, // records of K, settled channels
        { from: 'a', padding: 'SAME', stride: [2, 2], activation: 'RELU6', zpMin: true, perChannel: true, deepShift: true },
        { from: 'a', padding: 'SAME', zpMin: true, pruned: true, deepShift: true }, // NONE under -128: saturating
        { from: 'b', padding: 'SAME', pruned: true }, // floor below the zero point: five-instruction FAST, settled channels
        { from: 'b', padding: 'SAME', stride: [2, 2], activation: 'RELU', pruned: true },
        { from: 'c', padding: 'SAME', activation: 'RELU', zpMin: true, pruned: true }, // int16 planes
        { from: 'c', padding: 'SAME', zpMin: true, perChannel: true, deepShift: true },
      ],
      74,
    ),
    kinds: [/near-constant channels requantized by equivalent records/, /tf_dwk_mask_\w+_f\w*k\(/, /tf_dwk_plane_\w+_f\w*k\(/],
    absent: /tf_dwk_\w+_x[sc]h?k?\(/,
  },
  {
    note: 'random four-lane layers: multiplier 1 over channels off multiples of 4, output zero point -128 under RELU/RELU6 (ceiling-only clamp)',
    graph: randomLaneModel(31, 14),
    // the padded copies' scratch leaves the overlap nothing to save here
    overlap: false,
    kinds: [/tf_dwk_multm1_f[sc]h?\(/, /tf_dwk_mult1_(k\d+_\d+_)?fch\(/, /tf_dwk_multm1_fch\(/],
  },
];

const TARGETS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };

for (const [board, target] of Object.entries(TARGETS)) {
  describe(`DEPTHWISE_CONV_2D DSP variants on the emulated board ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-dw-dsp-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const { graph, note, kinds, absent, overlap, prefer } of MODELS) {
      it(`${graph.name}: ${note}`, async () => {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa, ...(prefer ? { prefer } : {}) });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        for (const kind of kinds) expect(text).to.match(kind);
        if (absent) expect(text).to.not.match(absent);
        // every layer runs a DSP kernel, none the portable one
        expect(text.match(/\(Arm DSP: /g) ?? []).to.have.length(graph.ops.length);
        // and at least one writes over its own input (the kernels read every tap of a row before writing it)
        if (overlap !== false) expect(layersOverTheirInput(compiled), 'layers planned over their input').to.not.be.empty;
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 5 });
      });
    }
  });
}

/**
 * Unoptimised builds (-O0, a user's Debug build) take the mask kernels' C forms (GCC cannot give
 * their inline assembly its registers there): the same bytes as the reference too.
 */
describe('DEPTHWISE_CONV_2D DSP mask kernels built at -O0 (their C forms) on the emulated boards', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-dw-dsp-o0-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  // a few layers (every instance's taps unrolled at -O0 are large): pairs and an odd last pixel,
  // padding on every side and on the right and bottom only, SMMULR with the ceiling-only clamp and exact
  const graph = depthwiseModel(
    'dsp_dw_mask_o0',
    [
      { name: 'a', shape: [1, 5, 5, 8], zeroPoint: -128 },
      { name: 'b', shape: [2, 6, 6, 4], zeroPoint: 17 },
    ],
    [
      { from: 'a', padding: 'SAME', activation: 'RELU6', perChannel: true, zpMin: true },
      { from: 'b', padding: 'SAME', stride: [2, 2], huge: true, perChannel: true },
    ],
    72,
  );
  for (const [board, target] of [['qemu-mps2-an386', 'cortex-m4']] as const) {
    it(`${graph.name} on ${board}: every layer bit-exact`, async () => {
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      // RELU6 under zero point -128: the records of K and their C form
      expect(text).to.match(/tf_dwk_mask_k8_5x5_s11_p11_fchk\(/);
      expect(text).to.match(/tf_dwk_mask_k4_6x6_s22_p00_x/);
      const path = join(dir, `${graph.name}-${target}.tflite`);
      saveTflite(path, graph);
      const rand = rng(9);
      const inputs = [0, 1].map((k) => ({
        name: `case${k}`,
        tensors: graph.inputs.map(
          (i) => new Uint8Array(Int8Array.from({ length: graph.tensors[i]!.shape.reduce((a, b) => a * b, 1) }, () => randomInt(rand, -128, 127)).buffer),
        ),
      }));
      const report = await validateModel(path, { target, board, link: 'stdio', inputs, extraCflags: ['-O0'] });
      expect(report.matched).to.equal(inputs.length);
    });
  }
});
