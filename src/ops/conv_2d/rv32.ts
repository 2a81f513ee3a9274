// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's RV32IMC variant (the ESP32-C3 class) for 1x1 convolutions at stride 1: the layer is a
 * matrix product over the pixels, run by the register-blocked kernel of common/rv32_matmul.ts
 * (4 pixels x 4 output channels per pass, each loaded byte shared by 4 multiply-accumulates, the
 * input offset folded into per-channel start values, weights re-laid in read order).
 */
import type { KernelVariant } from '../op.ts';
import { constInt32, constInt8 } from '../common/weighted.ts';
import { emitRv32Matmul } from '../common/rv32_matmul.ts';
import type { Conv2DParams } from './index.ts';
import { isPointwise, summary } from './describe.ts';

export function convRv32Applies(p: Conv2DParams): boolean {
  return isPointwise(p);
}

export const convRv32Variant: KernelVariant<Conv2DParams> = {
  name: 'rv32',
  family: 'rv32',
  applies: convRv32Applies,
  emit(p, ctx) {
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    return emitRv32Matmul({ ...p, rows: p.batches * p.outH * p.outW, depth: p.inC, columns: p.outC }, weights, bias, ctx, {
      input: ctx.input(0),
      output: ctx.output(0),
      summary: summary(p),
    });
  },
};
