/**
 * FULLY_CONNECTED's Arm DSP variant: the batches are the pixels of CONV_2D's pointwise kernel
 * (kernels_dsp.h), on symmetric weights over input features that are a multiple of 4.
 */
import type { LayerEmitContext } from '../op.ts';
import { renderOpTemplate } from '../common/render.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/weighted.ts';
import { accumulatorBounds, fastRequantHolds, interleavedPairs, kernelMode, requantRecords, rqInit } from '../common/dsp.ts';
import type { FullyConnectedParams } from './index.ts';

const CONV_DIR = new URL('../conv_2d/', import.meta.url).pathname;

export function dspApplies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0 && p.inFeatures % 4 === 0;
}

export function dspScratchBytes(p: FullyConnectedParams): number {
  return p.inFeatures * 4;
}

export function emitFullyConnectedDsp(p: FullyConnectedParams, ctx: LayerEmitContext, summary: string): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const fast = fastRequantHolds(accumulatorBounds(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias), p, p.outputZeroPoint);
  const start = foldedAccumulatorInit(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias);
  return renderOpTemplate(CONV_DIR, 'conv_2d_dsp.c.hbs', {
    summary,
    how: `matrix product, 2 rows x 2 outputs, ${fast ? 'SMMULR' : 'exact 64-bit'} requantization`,
    fnName: ctx.fnName,
    pointwise: true,
    input: ctx.input(0),
    output: ctx.output(0),
    scratch: ctx.scratch(),
    pixels: p.batches,
    k4: p.inFeatures,
    outC: p.outFeatures,
    weights: ctx.addConst('w_dsp', 'int8_t', interleavedPairs(filter, p.outFeatures, p.inFeatures)),
    records: ctx.addConst('rq', 'int32_t', requantRecords(start, p, p.outFeatures, p.outputZeroPoint, fast)),
    rq: rqInit(p.outputZeroPoint, p.actMin, p.actMax),
    ...kernelMode(fast, p.actMin, p.actMax),
  });
}
