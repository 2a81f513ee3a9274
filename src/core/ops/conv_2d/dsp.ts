// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP variants: one per kernel dspKernel picks (common/isa/dsp_conv/choice.ts, which
 * DEPTHWISE_CONV_2D's single-channel layers run too), and the dispatching one transpose_conv's
 * phases take. The layer's filter and bias are its own constant inputs.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import type { LayerCode } from '../layer_code.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { type DspKernel, columnBands, dspApplies, dspKernel } from '../common/isa/dsp_conv/choice.ts';
import { DSP_KERNEL_FILES, dspConvLayer } from '../common/isa/dsp_conv/layer.ts';
import { dspKernelScratchBytes, dspOverlap, dspScratchBytes } from '../common/isa/dsp_conv/scratch.ts';
import type { Conv2DParams } from './contract.ts';
import { summary } from './describe.ts';

function emitConvDsp(p: Conv2DParams, ctx: LayerEmitContext, expected?: DspKernel): LayerCode {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  return dspConvLayer({ p, ctx, summary: summary(p), filter, bias, expected });
}

/**
 * The variant of one Arm DSP kernel: it covers the layers dspKernel gives it, from the weight facts
 * CONV_2D's prepare recorded (a layer without them is the dispatching variant's, convDspVariant).
 */
export function convDspKernelVariant(kernel: DspKernel, name: string): KernelVariant<Conv2DParams> {
  return {
    name,
    family: 'arm-dsp',
    applies: (p, facts) => dspApplies(p) && p.dspWeights !== undefined && dspKernel(p, p.dspWeights, facts.isa, facts.prefer) === kernel,
    // its own body's: the weight facts prepare recorded are the ones emit reads
    scratchBytes: (p) => dspKernelScratchBytes(kernel, p, p.dspWeights!),
    overlap: dspOverlap,
    emit: (p, ctx) => emitConvDsp(p, ctx, kernel),
    cFiles: DSP_KERNEL_FILES[kernel],
    ortExact: true,
  };
}

/**
 * The convolutions of other ops' layers, whose params record no weight facts (transpose_conv's
 * phases): the kernel is dspKernel's at emit, the scratch the most any of them needs.
 */
export const convDspVariant: KernelVariant<Conv2DParams> = {
  name: 'arm-dsp',
  family: 'arm-dsp',
  applies: (p) => dspApplies(p) && p.dspWeights === undefined,
  scratchBytes: (p, facts) => dspScratchBytes(p, columnBands(facts)),
  overlap: dspOverlap,
  emit: (p, ctx) => emitConvDsp(p, ctx),
  // the kernel is known only at emit: every one's files
  cFiles: [...new Set(Object.values(DSP_KERNEL_FILES).flat())],
  ortExact: true,
};
