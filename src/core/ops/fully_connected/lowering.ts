// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's entry for an op that lowers a layer to it (CONV_2D's full-window layers,
 * conv_2d/as_fc.ts): per family the plain dense kernel, whether it takes the FC view of the layer and
 * its C under the caller's summary, with the templates read from this folder. The caller imports this
 * file and contract.ts only, so FC's variant files stay FC's to change.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { renderOpTemplate } from '../common/render.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { emitRv32Matmul } from '../common/isa/rv32_matmul.ts';
import type { FullyConnectedParams } from './contract.ts';
import { dspApplies, emitFullyConnectedDsp, fcDspVariant } from './dsp.ts';
import { emitFullyConnectedM0plus, fcM0plusVariant, m0plusApplies } from './m0plus.ts';
import { fcRv32Applies, fcRv32Variant } from './rv32.ts';

/** One family's FC kernel as another op runs it: the layer's weights and bias are its inputs 1 and 2. */
export interface FcLowering {
  applies(p: FullyConnectedParams): boolean;
  emit(p: FullyConnectedParams, ctx: LayerEmitContext, summary: string): string;
  cFiles: KernelVariant<FullyConnectedParams>['cFiles'];
}

/** The caller's context with templates read from this folder, where the FC emitters' live. */
function inFcFolder(ctx: LayerEmitContext): LayerEmitContext {
  const dir = import.meta.dirname;
  return Object.assign(Object.create(ctx) as LayerEmitContext, { render: (file: string, view: object) => renderOpTemplate(dir, file, view) });
}

function emitRv32(p: FullyConnectedParams, ctx: LayerEmitContext, summary: string): string {
  const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  return emitRv32Matmul({ ...p, rows: p.batches, depth: p.inFeatures, columns: p.outFeatures }, weights, bias, inFcFolder(ctx), {
    input: ctx.input(0),
    output: ctx.output(0),
    summary,
  });
}

/** The families whose FC kernel another op may run: the streaming DSP blocks, the Armv6-M int8 blocks, the RV32 matmul. */
export const fcLowering = {
  'arm-dsp': { applies: dspApplies, emit: (p, ctx, summary) => emitFullyConnectedDsp(p, inFcFolder(ctx), summary), cFiles: fcDspVariant.cFiles },
  armv6m: { applies: m0plusApplies, emit: (p, ctx, summary) => emitFullyConnectedM0plus(p, inFcFolder(ctx), summary), cFiles: fcM0plusVariant.cFiles },
  rv32: { applies: fcRv32Applies, emit: emitRv32, cFiles: fcRv32Variant.cFiles },
} satisfies Record<string, FcLowering>;
