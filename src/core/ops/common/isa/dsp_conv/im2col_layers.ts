// SPDX-License-Identifier: Apache-2.0
/** The C of the im2col layers that run in assembly: from row or stem bands, in the quad run, in the triple run. */
import type { LayerEmitContext } from '../../../op.ts';
import type { Field, InitLine, LayerCode, StaticDecl } from '../../../layer_code.ts';
import { renderOpTemplate } from '../../render.ts';
import { REQUANT_NAMES, type RequantKind, kernelMode, rqInit, floorAtZeroPoint, roundRecords, withRecords } from '../dsp.ts';
import type { Conv2DParams } from '../../../conv_2d/contract.ts';
import { BAND_LDRD_STEP_BYTES, BAND_STEP_BYTES, bandRunAsm } from './band_run.ts';
import {
  STEM_BAND_M4_TURN_STEPS,
  STEM_BAND_PIXELS,
  bandLoads,
  bandPixelOffset,
  bandTurn,
  loadsPipeline,
  quadTurnSteps,
  signedWide,
  tripleTurn,
} from './choice.ts';
import { halfwordPairs, halfwordQuads, kxMajorRows, splitRows, splitShape, stemBandRows, withQuadRecords } from './layouts.ts';
import { QUAD_STEP_BYTES, quadRunAsm } from './quad_run.ts';
import { runClamp } from './run_asm.ts';
import { tripleRunAsm } from './triple_run.ts';

/** What an assembly run's emitter takes: the layer (settled), its context, its rows padded to k4 and their records. */
export interface DspRows {
  p: Conv2DParams;
  ctx: LayerEmitContext;
  summary: string;
  plain: Int8Array;
  records: Int32Array;
  k4: number;
  fast: RequantKind;
}

/** A routine instance's tag for signed WIDE's zero point (`_z5`, `_zm128`), else none. */
function zpTag(sw: boolean, zp: number): string {
  return sw ? `_z${zp < 0 ? `m${-zp}` : zp}` : '';
}

/** An im2col quad layer read from bands (bandRunTaken): the weights in (kx, ky, c) order in withQuadRecords' layout. */
export function emitBandRun(layer: DspRows, stem = false): LayerCode {
  const { p, ctx, summary, plain, records, k4, fast } = layer;
  const rows = stem ? stemBandRows(plain, p.outC, k4, p.kH, p.kW, p.inC) : kxMajorRows(plain, p.outC, p.kH, p.kW, p.inC);
  const sw = signedWide(fast, p);
  // a stem's requantization in three instructions where its floor is at or above the zero point and
  // every channel's shift allows the rounding records ('r'): RGB stems run before any clamp that
  // would need the SUB, and their eight outputs a block pay the five-instruction form 40 cycles
  const rounded = stem && !sw && floorAtZeroPoint(fast, p.actMin, p.outputZeroPoint) ? roundRecords(records, fast) : undefined;
  const blob = withQuadRecords(halfwordQuads(halfwordPairs(rows, p.outC, k4), p.outC, k4), rounded ?? records, p.outC, k4);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const clamp = runClamp(sw ? 1 : fast, p.actMin, p.actMax, p.outputZeroPoint);
  const off = bandPixelOffset(p);
  const ldrd = bandLoads(ctx.isa, ctx.prefer) === 'ldrd';
  // a stem band's hot code (the routine, the band's packing) keeps to the STM32L4+'s 1 KB ART in turns of 2 steps on the M4
  const turn = stem && ctx.isa?.core === 'cortex-m4' ? STEM_BAND_M4_TURN_STEPS : bandTurn(ctx.isa);
  // a stem's routine runs its one field length (k4 / 2 halves, `_k<k4>`) with no entry computed per block
  const runTag = `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${rounded ? 'r' : ''}_o${off}${zpTag(sw, p.outputZeroPoint)}${turn !== bandTurn(ctx.isa) ? `_t${turn}` : ''}${stem ? `_k${k4}` : ''}`;
  const runName = `tf_dsp_band_run_${runTag}`;
  ctx.defineOnce(
    runName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_im2col_band.c.hbs', {
      asm: true,
      runName,
      runTag,
      runAsm: bandRunAsm(runName, fast, clamp, {
        off,
        turn,
        zp: sw ? p.outputZeroPoint : undefined,
        ldrd,
        round: rounded !== undefined,
        halves: stem ? k4 / 2 : undefined,
      }),
    }),
  );
  // a stem band's body, one per model, mode, offset and shape (its channels and filter rows are constants of it)
  const bodyName = stem ? `tf_dsp_im2col_stem_band_${runTag}_c${p.inC}k${p.kH}` : `tf_dsp_im2col_band_${runTag}`;
  ctx.defineOnce(
    bodyName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_im2col_band.c.hbs', {
      asm: false,
      stem,
      bodyName,
      runTag,
      off,
      stepBytes: ldrd ? BAND_LDRD_STEP_BYTES : BAND_STEP_BYTES,
      turn,
      signedWide: sw ? 1 : 0,
      inC: p.inC,
      kH: p.kH,
      chunk: STEM_BAND_PIXELS,
      round: rounded ? 1 : 0,
      ...mode,
    }),
  );
  return im2colLayerCode({
    p,
    ctx,
    k4,
    callee: bodyName,
    weights,
    comment: `/* ${summary} (Arm DSP: im2col from a ${stem ? 'stem band of int16 values' : 'band of columns'}, 2 pixels x 4 channels in one halfword (assembly run), ${REQUANT_NAMES[fast]} requantization) */`,
  });
}

/**
 * An im2col layer whose pixel pairs run in the 1x1 layers' channel-quad routine (quadIm2colTaken):
 * the weights in withQuadRecords' layout, the routine shared with the model's 1x1 quad layers (the
 * same name, turn and loads), one C body per model and mode.
 */
export function emitQuadIm2col(layer: DspRows): LayerCode {
  const { p, ctx, summary, plain, records, k4, fast } = layer;
  const blob = withQuadRecords(halfwordQuads(halfwordPairs(plain, p.outC, k4), p.outC, k4), records, p.outC, k4);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const sw = signedWide(fast, p);
  const clamp = runClamp(sw ? 1 : fast, p.actMin, p.actMax, p.outputZeroPoint);
  const turn = quadTurnSteps(ctx.isa, ctx.prefer);
  const pipelined = loadsPipeline(ctx.isa, ctx.prefer);
  if (sw && pipelined) throw new Error('emitQuadIm2col: the signed WIDE form runs the LDM loads only (the M4 takes bands)');
  const runTag = `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${zpTag(sw, p.outputZeroPoint)}`;
  // the signed WIDE form in bandRunAsm's interleaved-column instance, else the 1x1 layers' own routine
  // (the 1x1 layers' routine ends its loop on a sentinel after their columns: this one on the stop)
  const runName = sw ? `tf_dsp_q2_run_${runTag}_t${turn}` : `tf_dsp_im2col_qrun_${runTag}`;
  const quadTag = sw ? `${runTag}_t${turn}` : `im_${runTag}`;
  ctx.defineOnce(
    runName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', {
      quad: true,
      quadAsm: true,
      runName,
      runTag: quadTag,
      runAsm: sw
        ? bandRunAsm(runName, fast, clamp, { off: undefined, turn, zp: p.outputZeroPoint })
        : quadRunAsm(runName, fast, clamp, { loadForm: pipelined, turn }),
    }),
  );
  ctx.defineOnce(
    `tf_dsp_im2col_quad_${runTag}`,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_im2col_quad.c.hbs', {
      runTag,
      quadTag,
      stepBytes: QUAD_STEP_BYTES,
      turn,
      signedWide: sw ? 1 : 0,
      ...mode,
    }),
  );
  return im2colLayerCode({
    p,
    ctx,
    k4,
    callee: `tf_dsp_im2col_quad_${runTag}`,
    weights,
    comment: `/* ${summary} (Arm DSP: im2col, 2 pixels x 4 channels in one halfword (assembly run), ${REQUANT_NAMES[fast]} requantization) */`,
  });
}

/**
 * An im2col layer in the `pairs` layout whose channel pairs run in tripleRunAsm: the weights in the
 * run's split layout (withRecords), one routine per model, mode and clamp, in both schedules (the
 * header picks the Cortex-M7's where TF_DSP_DUAL_ISSUE).
 */
export function emitTripleRun(layer: DspRows): LayerCode {
  const { p, ctx, summary, plain, records, k4, fast } = layer;
  const split = splitShape(p);
  const rows = split ? splitRows(plain, p.outC, k4, split) : plain;
  const blob = withRecords(halfwordPairs(rows, p.outC, k4), records, p.outC, k4, true);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const clamp = runClamp(fast, p.actMin, p.actMax, p.outputZeroPoint);
  const turn = tripleTurn(k4, ctx.isa?.core);
  const runTag = `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${turn === 8 ? '' : `_t${turn}`}`;
  const runName = `tf_dsp_tr_run_${runTag}`;
  const fnTag = split ? `${runTag}_s${split.kh}x${split.q}${split.tail ? 't' : ''}` : runTag;
  ctx.defineOnce(
    runName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_triple.c.hbs', {
      asm: true,
      runName,
      runTag,
      runAsm: tripleRunAsm(runName, fast, clamp, { dual: false, turn }),
      // the Cortex-M7's own schedule keeps 8 steps a turn: its caches hold the layer's code
      runAsmDual: tripleRunAsm(runName, fast, clamp, { dual: true }),
    }),
  );
  ctx.defineOnce(
    `tf_dsp_im2col_triple_${fnTag}`,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_triple.c.hbs', {
      asm: false,
      runTag,
      fnTag,
      turn,
      splitKh: split?.kh ?? 0,
      splitQ: split?.q ?? 0,
      splitTail: split?.tail ?? 0,
      ...mode,
    }),
  );
  return im2colLayerCode({
    p,
    ctx,
    k4,
    callee: `tf_dsp_im2col_triple_${fnTag}`,
    weights,
    comment: `/* ${summary} (Arm DSP: im2col, 3 pixels x 2 channels in one halfword (assembly run)${split ? ', fields packed from the image' : ''}, ${REQUANT_NAMES[fast]} requantization) */`,
  });
}

/** An im2col layer's code: its requantization and geometry structs, one call of its body `callee` over the weights blob. */
export function im2colLayerCode(l: { p: Conv2DParams; ctx: LayerEmitContext; k4: number; callee: string; weights: string; comment: string }): LayerCode {
  const { p, ctx, k4 } = l;
  const f = (name: string, value: number): Field => ({ name, value: `${value}` });
  const geom: InitLine[] = [
    { fields: [f('in_h', p.inH), f('in_w', p.inW), f('in_c', p.inC)] },
    { fields: [f('out_h', p.outH), f('out_w', p.outW), f('out_c', p.outC)] },
    { fields: [f('k_h', p.kH), f('k_w', p.kW)] },
    { fields: [f('stride_h', p.strideH), f('stride_w', p.strideW), f('dilation_h', p.dilationH), f('dilation_w', p.dilationW)] },
    { fields: [f('pad_top', p.padTop), f('pad_left', p.padLeft)] },
    { fields: [f('input_offset', p.inputOffset)] },
    { fields: [f('k4', k4)] },
  ];
  const rq: StaticDecl = { ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) };
  return {
    comment: [l.comment],
    fnName: ctx.fnName,
    decls: [rq, { ctype: 'tf_conv_geom_t', name: 'geom', init: geom }],
    body: [
      {
        callee: l.callee,
        args: [ctx.input(0), `${p.batches}`, { addressOf: 'geom' }, l.weights, { addressOf: 'rq' }, ctx.output(0), `(uint32_t *)(void *)${ctx.scratch()}`],
      },
    ],
  };
}
