// SPDX-License-Identifier: Apache-2.0
/**
 * The C of a convolution layer in the Arm DSP kernels (dspConvLayer): the layer as the kernels see
 * it (near-constant channels settled, its requantization), the kernel dspKernel picks for it, the
 * 1x1 layers' code, and each kernel's C files (DSP_KERNEL_FILES). 1x1 stride-1 layers over channels
 * that are a multiple of 4 run as a matrix product over the pixels; every other ungrouped layer
 * first gathers output pixels' receptive fields (im2col, im2col_layers.ts), then runs the same
 * product. Both use SMLAD on weights re-laid at compile time (layouts.ts), each channel's
 * requantization records beside its weights (one blob that replaces the model's filter and bias).
 */
import type { LayerEmitContext } from '../../../op.ts';
import type { LayerCode, Statement, StaticDecl } from '../../../layer_code.ts';
import { renderOpTemplate } from '../../render.ts';
import { foldedAccumulatorInit } from '../../families/weighted.ts';
import { settleChannels } from '../../numerics/settled_channels.ts';
import {
  RQ_FIELDS,
  accumulatorBounds,
  type RequantKind,
  interleavedPairs,
  kernelMode,
  requantKind,
  fastRequantHolds,
  requantRecords,
  roundUp4,
  rqInit,
  REQUANT_NAMES,
  floorAtZeroPoint,
  roundRecords,
  withRecords,
} from '../dsp.ts';
import type { Conv2DParams } from '../../../conv_2d/contract.ts';
import {
  type ConvDspWeights,
  type DspKernel,
  dspKernel,
  paddedQuadHead,
  pairsRunApplies,
  pointwiseDirect,
  pointwisePairsShape,
  pointwiseQuadLoads,
  pointwiseQuadTurn,
  quadPixelLoop,
  quadRunApplies,
  quadSecondHalfEntry,
  quadStraightSteps,
} from './choice.ts';
import { type DspRows, emitBandRun, emitQuadIm2col, emitTripleRun, im2colLayerCode } from './im2col_layers.ts';
import { channelPairsFit, halfwordPairs, halfwordQuads, paddedRows, pairsOneChunk, withQuadRecords } from './layouts.ts';
import { quadLoneAsm } from './lone_quad_run.ts';
import { pairsRunAsm } from './pairs_run.ts';
import { QUAD_SENTINEL_BYTES, quadRunAsm } from './quad_run.ts';
import { runClamp } from './run_asm.ts';
import { pairsLayout } from './scratch.ts';

/**
 * A padded head's call (paddedQuadHead): the quad routine over `padded` channels writes the pixel,
 * and its twin, into the scratch past the columns; the layer's own `outC` bytes are copied out.
 */
function headStatements(call: {
  callee: string;
  input: string;
  k4: number;
  weights: string;
  padded: number;
  outC: number;
  output: string;
  scratch: string;
}): Statement[] {
  const { callee, input, k4, weights, padded, outC, output, scratch } = call;
  // columns k4 words, the sentinel, then the twin's `padded` bytes, then the pixel's
  const quads = `(int8_t *)(void *)(${scratch} + ${k4 * 4 + QUAD_SENTINEL_BYTES + padded})`;
  return [
    { callee, args: [input, '1', `${k4}`, weights, `${padded}`, { addressOf: 'rq' }, quads, `(uint32_t *)(void *)${scratch}`] },
    { line: `  for (int c = 0; c < ${outC}; c++) (${output})[c] = (${quads})[c];` },
  ];
}

/** A layer as its DSP kernels see it: near-constant channels settled, its requantization, its rows padded to k4. */
interface DspLayer {
  p: Conv2DParams;
  bias: Int32Array | undefined;
  summary: string;
  fast: RequantKind;
  k: number;
  k4: number;
  direct: boolean;
  plain: Int8Array;
}

function dspLayer(model: Conv2DParams, summary: string, filter: Int8Array, modelBias: Int32Array | undefined): DspLayer {
  const k = model.kH * model.kW * model.inC;
  const k4 = roundUp4(k);
  // near-constant channels (pruned ones) re-expressed so that they do not hold the layer to the exact path
  const settled = settleChannels({ weights: filter, rows: model.outC, rowLength: k, bias: modelBias }, model, (b, m, s) =>
    fastRequantHolds([b], { multiplier: [m], shift: [s] }, model.outputZeroPoint, true),
  );
  const p: Conv2DParams = settled ? { ...model, ...settled.m } : model;
  const bias = settled ? settled.bias : modelBias;
  if (settled) summary = `${summary}; ${settled.settled} near-constant channels requantized by equivalent records`;
  const fast = requantKind(accumulatorBounds(filter, p.outC, k, p.inputOffset, bias), p, p.outputZeroPoint, true);
  const direct = pointwiseDirect(p);
  const plain = direct ? filter : paddedRows(filter, p.outC, k, k4);
  return { p, bias, summary, fast, k, k4, direct, plain };
}

/** The weight facts of a layer (ConvDspWeights) of a model whose 1x1 layers carry the pairs instance or not (`modelPairs`). */
export function convDspWeights(model: Conv2DParams, filter: Int8Array, bias: Int32Array | undefined, modelPairs: boolean): ConvDspWeights {
  return weightFacts(dspLayer(model, '', filter, bias), modelPairs);
}

function weightFacts(l: DspLayer, modelPairs: boolean): ConvDspWeights {
  return { fast: l.fast, pairsFit: channelPairsFit(l.plain, l.p.outC, l.k4), oneChunk: pairsOneChunk(l.plain, l.p.outC, l.k4), modelPairs };
}

/**
 * The C files of each kernel (conv_2d_dsp.h and what its own header includes come with them): a
 * model ships only its layers' kernels'. The 1x1 runs carry the 1x1 C loops too, which their layers
 * took where the weight facts at emit differed from prepare's (before GraphFacts).
 */
const POINTWISE_BLOCKS = 'conv_2d/conv_2d_dsp_pointwise_blocks.h';

export const DSP_KERNEL_FILES: Record<DspKernel, readonly string[]> = {
  'row bands': ['conv_2d/conv_2d_dsp_row_bands.h'],
  'stem bands': ['conv_2d/conv_2d_dsp_stem_bands.h'],
  'im2col quads': ['conv_2d/conv_2d_dsp_im2col_quads.h'],
  'im2col triples': ['conv_2d/conv_2d_dsp_im2col_triples.h'],
  'pointwise quads': ['conv_2d/conv_2d_dsp_pointwise_quads.h', POINTWISE_BLOCKS],
  'pointwise pairs': ['conv_2d/conv_2d_dsp_pointwise_pairs.h', POINTWISE_BLOCKS],
  blocks: [POINTWISE_BLOCKS, 'conv_2d/conv_2d_dsp_im2col_blocks.h'],
};

/** The kernels' files a layer over one input channel may take (DEPTHWISE_CONV_2D's: no 1x1, no band). */
export const DSP_ONE_CHANNEL_FILES: readonly string[] = [
  'conv_2d/conv_2d_dsp_im2col_blocks.h',
  ...DSP_KERNEL_FILES['im2col triples'],
  ...DSP_KERNEL_FILES['im2col quads'],
];

/** A convolution layer for dspConvLayer: its params, context and summary, its filter (OHWI) and bias. */
interface DspConvLayer {
  p: Conv2DParams;
  ctx: LayerEmitContext;
  summary: string;
  filter: Int8Array;
  bias: Int32Array | undefined;
  /** the kernel of the variant that emits it (dspKernel's from the facts prepare recorded), if any */
  expected?: DspKernel;
}

/**
 * The C of a convolution layer (dspApplies) in the Arm DSP kernels: CONV_2D's, and other ops' layers
 * that are convolutions (DEPTHWISE_CONV_2D's single-channel ones, TRANSPOSE_CONV's phases). The
 * kernel is dspKernel's for these weights, which `expected` (a variant's own kernel) must be.
 */
export function dspConvLayer(given: DspConvLayer): LayerCode {
  const { p: model, ctx, summary: modelSummary } = given;
  const layer = dspLayer(model, modelSummary, given.filter, given.bias);
  // the facts prepare recorded, else (a layer of another op) these weights' in the graph emit is given:
  // a TRANSPOSE_CONV phase's own, whose one op is no 1x1 layer (its kernel as before GraphFacts)
  const facts = model.dspWeights ?? weightFacts(layer, pointwisePairsShape(ctx.graph));
  const kernel = dspKernel(layer.p, facts, ctx.isa, ctx.prefer);
  // the planner sized the scratch for the variant's kernel alone (dspKernelScratchBytes)
  if (given.expected && given.expected !== kernel) throw new Error(`dspConvLayer: the ${given.expected} variant's layer takes ${kernel} at emit`);
  const { p, summary, fast, k, k4, direct, plain } = layer;
  // the input offset folds into the start values: im2col pads with the input zero point
  const start = foldedAccumulatorInit(given.filter, p.outC, k, p.inputOffset, layer.bias);
  const records = requantRecords(start, p, p.outC, p.outputZeroPoint, fast);
  const asmRun: DspRows = { p, ctx, summary, plain, records, k4, fast };
  if (kernel === 'row bands') return emitBandRun(asmRun);
  if (kernel === 'stem bands') return emitBandRun(asmRun, true);
  if (kernel === 'im2col quads') return emitQuadIm2col(asmRun);
  if (kernel === 'im2col triples') return emitTripleRun(asmRun);
  const pairs = pairsLayout(p, facts);
  const run = direct && pairs && pairsRunApplies(k4, fast, p.actMin, p.outputZeroPoint);
  const padHead = run && paddedQuadHead(p);
  const quad = run && (quadRunApplies(p.outC) || padHead);
  // a padded head's extra channels: zero weights, channel 0's record (computed, then not copied out)
  const outC = padHead ? roundUp4(p.outC) : p.outC;
  const channels = padHead ? Int8Array.from({ length: outC * k4 }, (_, i) => (i < plain.length ? plain[i]! : 0)) : plain;
  const channelRecords = padHead ? Int32Array.from({ length: outC * RQ_FIELDS }, (_, i) => records[i < records.length ? i : i % RQ_FIELDS]!) : records;
  const rows = pairs ? halfwordPairs(channels, outC, k4) : interleavedPairs(channels, outC, k4);
  // the quads' requantization without its SUB where the floor is at or above the zero point ('z'),
  // in three instructions where every channel's shift allows the rounding records ('r')
  const floor = quad && floorAtZeroPoint(fast, p.actMin, p.outputZeroPoint);
  const rounded = floor ? roundRecords(channelRecords, fast) : undefined;
  const quadRecords = rounded ?? channelRecords;
  const blob = quad ? withQuadRecords(halfwordQuads(rows, outC, k4), quadRecords, outC, k4) : withRecords(rows, channelRecords, outC, k4, run);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const pairsTag = quad ? '_quad' : run ? '_run' : pairs ? '_pairs' : '';
  // one run per model, mode and the clamp's bounds (RELU6 under zero point -128: the ceiling only)
  const clamp = runClamp(fast, p.actMin, p.actMax, p.outputZeroPoint);
  const secondHalf = quad && quadSecondHalfEntry(k4, ctx.isa, ctx.prefer);
  const straight = quad ? quadStraightSteps(k4, ctx.isa, ctx.prefer) : undefined;
  const runTag = run
    ? `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${rounded ? 'r' : floor ? 'z' : ''}${secondHalf ? 'j' : ''}${straight !== undefined ? `k${k4}` : ''}`
    : mode.mode;
  const runName = `tf_dsp_pw_${quad ? 'quad' : 'run'}_${runTag}`;
  const pixels = p.batches * p.outH * p.outW;
  // an odd pixel count's last pixel runs one pixel by four channels (quadLoneAsm), not as a pair with itself
  const lone = quad && pixels % 2 === 1;
  // the Cortex-M4's routine moves to the next pixel pair itself (quadRunAsm `pixelLoop`)
  const pixelLoop = quad && quadPixelLoop(ctx.isa, ctx.prefer);
  const vars = { pointwise: direct, pairs: pairs ? 1 : 0, pairsTag, run, quad, runName, ...mode, runTag, round: rounded ? 1 : 0, pixelLoop: pixelLoop ? 1 : 0 };
  if (quad) {
    const loneName = `tf_dsp_pw_quad1_${runTag}`;
    ctx.defineOnce(
      runName,
      renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', {
        ...vars,
        quadAsm: true,
        runAsm: quadRunAsm(runName, fast, clamp, {
          loadForm: pointwiseQuadLoads(ctx.isa, ctx.prefer),
          turn: pointwiseQuadTurn(ctx.isa, ctx.prefer),
          sentinel: true,
          floor,
          round: rounded !== undefined,
          secondHalfEntry: secondHalf,
          pixelLoop,
          straightSteps: straight,
        }),
      }),
    );
    ctx.defineOnce(
      `tf_dsp_pointwise_quad${lone ? '1' : ''}_${runTag}`,
      renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', {
        ...vars,
        quadAsm: false,
        lone,
        loneName,
        loneAsm: lone ? quadLoneAsm(loneName, fast, clamp, { floor, round: rounded !== undefined }) : '',
      }),
    );
  } else {
    // rendered from this folder: DEPTHWISE_CONV_2D lowers its single-channel layers here too
    ctx.defineOnce(
      `tf_dsp_${direct ? 'pointwise' : 'im2col'}${pairsTag}_${runTag}`,
      renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', { ...vars, runAsm: run ? pairsRunAsm(runName, fast, clamp) : '' }),
    );
  }
  const how = `${direct ? 'pointwise matrix product' : 'im2col'}, ${pairs && !direct ? 3 : 2} pixels x 2 channels${pairs ? ' in one halfword' : ''}${quad ? `, 4 channels a block (assembly run${lone && !padHead ? ', the last pixel alone' : ''}${padHead ? `, ${p.outC} channels padded to ${roundUp4(p.outC)}` : ''})` : run ? ' (assembly run)' : ''}, ${REQUANT_NAMES[fast]} requantization`;
  const input = ctx.input(0);
  const output = ctx.output(0);
  const scratch = `(uint32_t *)(void *)${ctx.scratch()}`;
  const callMode = run ? runTag : mode.mode;
  const callee = `tf_dsp_pointwise${pairsTag}${lone ? '1' : ''}_${callMode}`;
  const rq: StaticDecl = { ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) };
  const comment = [`/* ${summary} (Arm DSP: ${how}) */`];
  if (direct)
    return {
      comment,
      fnName: ctx.fnName,
      decls: [rq],
      body: [
        {
          comment: [
            `/* ${pixels} pixels of ${k4} input channels (k4) into ${p.outC} output channels; the weights blob`,
            ` * interleaves channel pairs' rows with their requantization records (common/isa/dsp.ts withRecords) */`,
          ],
        },
        ...(padHead
          ? headStatements({ callee, input, k4, weights, padded: outC, outC: p.outC, output, scratch: ctx.scratch() })
          : [
              {
                callee,
                args: [input, `${pixels}`, `${k4}`, weights, `${p.outC}`, { addressOf: 'rq' }, output, scratch],
              },
            ]),
      ],
    };
  return im2colLayerCode({ p, ctx, k4, callee: `tf_dsp_im2col${pairsTag}_${callMode}`, weights, comment: comment[0]! });
}
