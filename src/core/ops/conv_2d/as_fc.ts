// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D layers that are FULLY_CONNECTED layers: one output pixel whose window covers the whole
 * input without padding (a 1x1 conv on a 1x1 image, a VALID k x k conv on a k x k image). Each output
 * channel then multiplies the whole input image, and the filter [out_c][kh][kw][in_c] is FC's
 * [out][in] weight matrix with in = kh * kw * in_c, in the same byte order; the input
 * [batches][h][w][in_c] is FC's [batches][in]. These variants hand the layer to each family's FC
 * kernel (whose per-row multipliers carry the per-channel requantization), which streams one input
 * vector past all the rows: the CONV_2D kernels pair pixels, and a lone pixel wastes half their work.
 */
import { join } from 'node:path';
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { renderOpTemplate } from '../common/render.ts';
import type { FullyConnectedParams } from '../fully_connected/index.ts';
import { dspApplies as fcDspApplies, emitFullyConnectedDsp, fcDspVariant } from '../fully_connected/dsp.ts';
import { emitFullyConnectedM0plus, fcM0plusVariant, m0plusApplies as fcM0plusApplies } from '../fully_connected/m0plus.ts';
import { fcRv32Applies, fcRv32Variant } from '../fully_connected/rv32.ts';
import { emitRv32Matmul } from '../common/isa/rv32_matmul.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import type { Conv2DParams } from './contract.ts';
import { summary } from './describe.ts';

/** One output pixel, the window exactly the input (no padding, no dilation that could skip a row), one group. */
export function isFullWindow(p: Conv2DParams): boolean {
  return (
    p.outH === 1 &&
    p.outW === 1 &&
    p.kH === p.inH &&
    p.kW === p.inW &&
    p.padTop === 0 &&
    p.padLeft === 0 &&
    (p.dilationH === 1 || p.kH === 1) &&
    (p.dilationW === 1 || p.kW === 1) &&
    p.groups === 1
  );
}

/** The layer as FC's parameters (weights symmetric: CONV_2D's are, per channel or per tensor). */
export function asFullyConnected(p: Conv2DParams): FullyConnectedParams {
  return {
    batches: p.batches,
    inFeatures: p.kH * p.kW * p.inC,
    outFeatures: p.outC,
    inputOffset: p.inputOffset,
    filterOffset: 0,
    outputZeroPoint: p.outputZeroPoint,
    actMin: p.actMin,
    actMax: p.actMax,
    perChannel: p.multiplier.some((m, i) => m !== p.multiplier[0] || p.shift[i] !== p.shift[0]),
    hasBias: p.hasBias,
    multiplier: p.multiplier,
    shift: p.shift,
    ortScale: p.ortScale,
  };
}

/** The layer's context with templates read from FULLY_CONNECTED's folder, where the FC emitters' live. */
function inFcFolder(ctx: LayerEmitContext): LayerEmitContext {
  const dir = join(import.meta.dirname, '..', 'fully_connected');
  return Object.assign(Object.create(ctx) as LayerEmitContext, { render: (file: string, view: object) => renderOpTemplate(dir, file, view) });
}

const note = (p: Conv2DParams) => `${summary(p)} (one pixel, the window the whole input: FULLY_CONNECTED's kernel)`;

export const convAsFcDspVariant: KernelVariant<Conv2DParams> = {
  name: 'arm-dsp fc',
  family: 'arm-dsp',
  // FC's rows go in blocks of 4: fewer output channels run its plain C rows, slower than CONV_2D's
  // pair loop (person_detect's 256->2 logits: +4,440 instructions on the M4)
  applies: (p) => isFullWindow(p) && p.outC >= 4 && fcDspApplies(asFullyConnected(p)),
  emit: (p, ctx) => emitFullyConnectedDsp(asFullyConnected(p), inFcFolder(ctx), note(p)),
  cFiles: fcDspVariant.cFiles,
  ortExact: true,
};

export const convAsFcM0plusVariant: KernelVariant<Conv2DParams> = {
  name: 'armv6m fc',
  family: 'armv6m',
  // blocks of 8 rows (then 4); with fewer the C rows lose to CONV_2D's loop (256->2: +6,257 cycles)
  applies: (p) => isFullWindow(p) && p.outC >= 8 && fcM0plusApplies(asFullyConnected(p)),
  emit: (p, ctx) => emitFullyConnectedM0plus(asFullyConnected(p), inFcFolder(ctx), note(p)),
  cFiles: fcM0plusVariant.cFiles,
};

export const convAsFcRv32Variant: KernelVariant<Conv2DParams> = {
  name: 'rv32 fc',
  family: 'rv32',
  applies: (p) => isFullWindow(p) && fcRv32Applies(asFullyConnected(p)),
  emit(p, ctx) {
    const fc = asFullyConnected(p);
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    return emitRv32Matmul({ ...fc, rows: fc.batches, depth: fc.inFeatures, columns: fc.outFeatures }, weights, bias, inFcFolder(ctx), {
      input: ctx.input(0),
      output: ctx.output(0),
      summary: note(p),
    });
  },
  cFiles: fcRv32Variant.cFiles,
  ortExact: true,
};
