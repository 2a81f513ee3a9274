// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's RV32IMC variant (the ESP32-C3 class): the register-blocked matrix product of
 * common/rv32_matmul.ts over the batches, the input offset folded into per-row start values. Dense
 * symmetric weights only (a weight zero point keeps both offsets in the loop: the portable kernel).
 */
import type { KernelVariant } from '../op.ts';
import { constInt32, constInt8 } from '../common/weighted.ts';
import { emitRv32Matmul } from '../common/rv32_matmul.ts';
import type { FullyConnectedParams } from './index.ts';
import { summary } from './describe.ts';

export function fcRv32Applies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0 && !p.sparse;
}

export const fcRv32Variant: KernelVariant<FullyConnectedParams> = {
  name: 'rv32',
  family: 'rv32',
  applies: fcRv32Applies,
  emit(p, ctx) {
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    return emitRv32Matmul({ ...p, rows: p.batches, depth: p.inFeatures, columns: p.outFeatures }, weights, bias, ctx, {
      input: ctx.input(0),
      output: ctx.output(0),
      summary: summary(p),
    });
  },
};
