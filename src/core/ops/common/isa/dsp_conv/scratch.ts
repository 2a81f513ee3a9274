// SPDX-License-Identifier: Apache-2.0
/**
 * The scratch of the Arm DSP convolution kernels: each kernel's own (dspKernelScratchBytes, what its
 * body uses), the most any may take where the kernel is picked at emit (dspScratchBytes), and the
 * output's overlap with the input.
 */
import { pixelPairGap, rowWindowGap, roundUp4 } from '../dsp.ts';
import type { Conv2DParams } from '../../../conv_2d/contract.ts';
import {
  type ConvDspWeights,
  type DspKernel,
  STEM_BAND_PIXELS,
  TRIPLE_RUN_MIN_K4,
  paddedQuadHead,
  pairsChosen,
  pairsPay,
  pointwiseDirect,
  quadRows,
  quadRunApplies,
  stemBandShape,
} from './choice.ts';
import { QUAD_SENTINEL_BYTES } from './quad_run.ts';

/** A 1x1 layer's (pointwiseDirect): its pixel pair's columns, the quad run's sentinel past them, a lone last pixel's twin outputs. */
function pointwiseScratchBytes(p: Conv2DParams): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  const lone = (p.batches * p.outH * p.outW) % 2 === 1 ? roundUp4(p.outC) : 0;
  // a padded head (paddedQuadHead) writes its whole quads into the scratch past the twin outputs
  return k4 * 4 + QUAD_SENTINEL_BYTES + lone + (paddedQuadHead(p) ? roundUp4(p.outC) : 0);
}

/** An im2col row buffer: one filter row (input channels a multiple of 4), else a whole field, and the slack its word copies run past it. */
function im2colRows(p: Conv2DParams): { rowBytes: number; slack: number } {
  const byRows = p.inC % 4 === 0;
  return { rowBytes: byRows ? p.kW * p.inC : roundUp4(p.kH * p.kW * p.inC), slack: byRows ? 0 : 4 };
}

/**
 * conv_2d_dsp_im2col_blocks.h tf_dsp_im2col_body (the C loops): pixel triples in the `pairs` layout, else pairs;
 * a lone last pixel's twin outputs past the rows. 1x1 layers: pointwiseScratchBytes.
 */
function blocksScratchBytes(p: Conv2DParams): number {
  if (pointwiseDirect(p)) return pointwiseScratchBytes(p);
  return im2colBlocksScratchBytes(p, pairsPay(roundUp4(p.kH * p.kW * p.inC), false));
}

/** tf_dsp_im2col_body over pixel triples (`triples`: the `pairs` layout) or pairs. */
function im2colBlocksScratchBytes(p: Conv2DParams, triples: boolean): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  const pixels = p.outH * p.outW;
  const { rowBytes, slack } = im2colRows(p);
  const lone = (triples ? pixels % 3 === 1 : pixels % 2 === 1) ? roundUp4(p.outC) : 0;
  return (triples ? k4 * 6 + 3 * rowBytes : k4 * 4 + 2 * rowBytes) + slack + lone;
}

/** tf_dsp_im2col_triple_run_body: three pixels' columns and rows, or a last partial triple's three pixels of outputs over the rows, packed by then. */
function tripleRunScratchBytes(p: Conv2DParams): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  const { rowBytes, slack } = im2colRows(p);
  const partial = (p.outH * p.outW) % 3 !== 0 ? roundUp4(3 * p.outC) : 0;
  return k4 * 6 + Math.max(3 * rowBytes + slack, partial);
}

/** tf_dsp_im2col_quad_run_body: a pixel pair's columns, two filter rows and a lone last pixel's twin outputs. */
function quadIm2colScratchBytes(p: Conv2DParams): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  return k4 * 4 + 2 * p.kW * p.inC + p.outC;
}

/** Whether the layer's rows take the `pairs` layout (dspConvLayer): 1x1 layers channel pairs in one halfword, im2col ones pixel triples. */
export function pairsLayout(p: Conv2DParams, w: ConvDspWeights): boolean {
  return pairsChosen(roundUp4(p.kH * p.kW * p.inC), pointwiseDirect(p), w.modelPairs) && p.outC >= 2 && w.pairsFit;
}

/**
 * The scratch of a layer whose kernel dspKernel picks only at emit, from weights its params do not
 * record (no ConvDspWeights: transpose_conv's phases, depthwise's single-channel layers): the most
 * any kernel that may take it needs. Columns are a pixel pair's (a triple's) k4 values as int16; an
 * im2col layer's row buffers each hold one filter row of k_w in_c int8 that lies in the padding, or
 * over input channels not a multiple of 4 a whole field of k4, with the 4 bytes the word copies may
 * run past them (conv_2d_dsp_im2col.h tf_dsp_gather_field). `bands`: whether the band kernels may
 * take it (columnBands; a layer whose core is not known: they may).
 */
export function dspScratchBytes(p: Conv2DParams, bands = true): number {
  if (pointwiseDirect(p)) return pointwiseScratchBytes(p);
  const body = blocksScratchBytes(p);
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  if (k4 < TRIPLE_RUN_MIN_K4 || p.outC < 2) return body;
  // which of the runs takes the layer is not known here (its requantization, its core): any fits
  const quads = quadRows(p) && quadRunApplies(p.outC) ? quadIm2colScratchBytes(p) : 0;
  const band = bands && p.inC % 4 === 0 && quadRunApplies(p.outC) && p.dilationH === 1 && p.dilationW === 1 ? bandScratchBytes(p) : 0;
  const stem = bands && stemBandShape(p) && quadRunApplies(p.outC) ? stemBandScratchBytes(p, k4) : 0;
  return Math.max(body, tripleRunScratchBytes(p), quads, band, stem);
}

/**
 * The scratch kernel `kernel` (dspKernel's for the layer) uses: its own body's, the columns of its
 * pixels and what follows them there.
 */
export function dspKernelScratchBytes(kernel: DspKernel, p: Conv2DParams, w: ConvDspWeights): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  if (kernel === 'row bands') return bandScratchBytes(p);
  if (kernel === 'stem bands') return stemBandScratchBytes(p, k4);
  if (kernel === 'im2col quads') return quadIm2colScratchBytes(p);
  if (kernel === 'im2col triples') return tripleRunScratchBytes(p);
  if (kernel === 'pointwise quads') return pointwiseScratchBytes(p);
  // the pair run and the C loops over 1x1 layers: a pixel pair's columns, a lone last pixel's twin outputs past them
  if (pointwiseDirect(p)) return k4 * 4 + ((p.batches * p.outH * p.outW) % 2 === 1 ? roundUp4(p.outC) : 0);
  return im2colBlocksScratchBytes(p, pairsLayout(p, w));
}

/** The output may overlap the input (one image only): pixel pairs for 1x1, output rows otherwise. */
export function dspOverlap(p: Conv2DParams): { input: number; gap: number } | undefined {
  if (p.batches !== 1) return undefined;
  if (pointwiseDirect(p)) return { input: 0, gap: pixelPairGap(p.outH * p.outW, p.inC, p.outC) };
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

/** The band's bytes (out_w stride_w + k_w columns of k_h in_c int16) and a lone pixel's twin outputs. */
function bandScratchBytes(p: Pick<Conv2DParams, 'outW' | 'strideW' | 'kW' | 'kH' | 'inC' | 'outC'>): number {
  return (p.outW * p.strideW + p.kW) * p.kH * p.inC * 2 + roundUp4(p.outC);
}

/** A stem band's bytes (STEM_BAND_PIXELS stride_w + k_w columns of k_h in_c int16, the k4 - k values past them) and a lone pixel's twin outputs. */
function stemBandScratchBytes(p: Pick<Conv2DParams, 'strideW' | 'kW' | 'kH' | 'inC' | 'outC'>, k4: number): number {
  const col = p.kH * p.inC;
  return roundUp4(((STEM_BAND_PIXELS * p.strideW + p.kW) * col + k4 - p.kW * col) * 2) + roundUp4(p.outC);
}
