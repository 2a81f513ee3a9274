// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's RV32IMC variant (the ESP32-C3 class): the register-blocked matrix product of
 * common/isa/rv32_matmul.ts over the batches, the input offset folded into per-row start values. Dense
 * symmetric weights, and through weight_offset.ts those with a zero point.
 */
import { ortMultipliersFit } from '../common/numerics/requant_f32.ts';
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { withWeightOffset } from './weight_offset.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { emitRv32Matmul } from '../common/isa/rv32_matmul.ts';
import type { FullyConnectedParams } from './contract.ts';
import { summary } from './describe.ts';

export function fcRv32Applies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0 && !p.sparse && ortMultipliersFit(p.ortScale);
}

/** `records`: the start table to read instead of a const one (weight_offset.ts's per-batch starts) */
function emitFcRv32(p: FullyConnectedParams, ctx: LayerEmitContext, records?: string): string {
  const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  return emitRv32Matmul({ ...p, rows: p.batches, depth: p.inFeatures, columns: p.outFeatures }, weights, bias, ctx, {
    input: ctx.input(0),
    output: ctx.output(0),
    summary: summary(p),
    records,
  });
}

export const fcRv32Variant: KernelVariant<FullyConnectedParams> = withWeightOffset(
  { name: 'rv32', family: 'rv32', applies: fcRv32Applies, emit: (p, ctx) => emitFcRv32(p, ctx), ortExact: true },
  (p, ctx, starts) => emitFcRv32(p, ctx, starts),
);
