// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm MVE variant (Cortex-M55, Cortex-M85): the VMLADAVA matrix product of
 * common/isa/mve_matmul.ts over the batches (a lone row 8 outputs per pass, two or more rows 2 x 4),
 * the input offset folded into the per-output starts. Dense symmetric weights, as the Arm DSP
 * variant, and through weight_offset.ts those with a zero point (per-batch starts in scratch).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { withWeightOffset } from './weight_offset.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { emitMveMatmul } from '../common/isa/mve_matmul.ts';
import type { FullyConnectedParams } from './contract.ts';
import { summary } from './describe.ts';

export function fcMveApplies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0;
}

/** `starts`: the start table to read instead of a const one (weight_offset.ts's per-batch starts) */
export function emitFcMve(p: FullyConnectedParams, ctx: LayerEmitContext, starts?: string, note = summary(p)): string {
  const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  return emitMveMatmul({ ...p, rows: p.batches, depth: p.inFeatures, columns: p.outFeatures }, weights, bias, ctx, {
    input: ctx.input(0),
    output: ctx.output(0),
    summary: note,
    starts,
  });
}

export const fcMveVariant: KernelVariant<FullyConnectedParams> = withWeightOffset(
  { name: 'arm-mve', family: 'arm-mve', applies: fcMveApplies, emit: (p, ctx) => emitFcMve(p, ctx) },
  (p, ctx, starts) => emitFcMve(p, ctx, starts),
);
