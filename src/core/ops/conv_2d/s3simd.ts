// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's ESP32-S3 SIMD variant ('xtensa-s3'): one output pixel at a time, its input row in aligned
 * scratch, then per output channel a dot product of 16 int8 products per EE.VMULAS.S8.ACCX
 * (common/isa/s3simd.ts, xtensa_s3_dot.h) and TFLite's requantization; the kernel itself is
 * common/isa/s3simd_conv.ts's, which the depthwise layers of one input channel run too.
 *
 * - 1x1 at stride 1 without padding: the pixel's channels are copied into the row.
 * - Every other shape (k x k, strided, dilated, padded, grouped): the pixel's receptive field is
 *   gathered into the row (common/families/im2col_gather.ts, padded taps as the input zero point), one row per group.
 *
 * Covers every int8 CONV_2D the op accepts.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { S3_C_FILES } from '../common/isa/s3simd.ts';
import { convS3ScratchBytes, emitConvS3With } from '../common/isa/s3simd_conv.ts';
import type { Conv2DParams } from './contract.ts';
import { summary } from './describe.ts';

function emitConvS3(p: Conv2DParams, ctx: LayerEmitContext): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  return emitConvS3With(p, ctx, filter, bias, summary(p));
}

export const convS3Variant: KernelVariant<Conv2DParams> = {
  name: 's3simd',
  family: 'xtensa-s3',
  applies: () => true,
  scratchBytes: convS3ScratchBytes,
  emit: emitConvS3,
  cFiles: S3_C_FILES,
};
