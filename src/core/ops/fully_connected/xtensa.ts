// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Xtensa variant (the ESP32, the ESP32-S3): common/isa/xtensa_matmul.ts's product,
 * each batch's inputs widened once to int16 with the input offset, one MAC16 dot product per output.
 * Dense symmetric weights (a weight zero point, sparse or packed storages: their own kernels).
 */
import type { KernelVariant } from '../op.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { emitXtensaMatmul, xtensaRowBytes } from '../common/isa/xtensa_matmul.ts';
import type { FullyConnectedParams } from './contract.ts';
import { summary } from './describe.ts';

export function fcXtensaApplies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0 && !p.sparse;
}

export const fcXtensaVariant: KernelVariant<FullyConnectedParams> = {
  name: 'xtensa',
  family: 'xtensa',
  applies: fcXtensaApplies,
  scratchBytes: (p) => xtensaRowBytes(p.inFeatures),
  emit(p, ctx) {
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    return emitXtensaMatmul({ ...p, rows: p.batches, depth: p.inFeatures, columns: p.outFeatures }, weights, bias, ctx, { summary: summary(p) });
  },
};
