// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's ESP32-S3 SIMD variant ('xtensa-s3'): each batch row copied into a 16-byte aligned
 * row of scratch, then per output a dot product of 16 int8 products per EE.VMULAS.S8.ACCX
 * (common/isa/s3simd.ts, xtensa_s3_dot.h) and TFLite's requantization. Dense symmetric weights (as
 * the RV32 variant; weights with a zero point run the portable C).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { S3_C_FILES, s3Columns, s3Padded, s3RowScratch } from '../common/isa/s3simd.ts';
import type { FullyConnectedParams } from './contract.ts';
import { summary } from './describe.ts';

export function fcS3Applies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0 && !p.sparse;
}

function emitFcS3(p: FullyConnectedParams, ctx: LayerEmitContext): string {
  const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const stride = s3Padded(p.inFeatures);
  const columns = s3Columns(p, [{ weights, bias }], p.outFeatures, p.inFeatures, ctx);
  const lines = [
    `static void ${ctx.fnName}(void) {`,
    `  /* ${summary(p)}`,
    `   * ESP32-S3 SIMD: each batch row copied into a 16-byte aligned row of ${stride} bytes, 16 MACs per EE.VMULAS.S8.ACCX */`,
    `  const int8_t *in = ${ctx.input(0)};`,
    `  int8_t *out = ${ctx.output(0)};`,
    `  int8_t *const row = (int8_t *)${ctx.scratch()};`,
    ...(stride > p.inFeatures ? [`  memset(row + ${p.inFeatures}, 0, ${stride - p.inFeatures});`] : []),
    `  for (int b = 0; b < ${p.batches}; ++b, in += ${p.inFeatures}, out += ${p.outFeatures}) {`,
    `    memcpy(row, in, ${p.inFeatures});`,
    ...columns.loop('row', 'out', '0').map((l) => `    ${l}`),
    '  }',
    '}',
  ];
  return lines.join('\n') + '\n';
}

export const fcS3Variant: KernelVariant<FullyConnectedParams> = {
  name: 's3simd',
  family: 'xtensa-s3',
  applies: fcS3Applies,
  scratchBytes: (p) => s3RowScratch(p.inFeatures),
  emit: emitFcS3,
  cFiles: S3_C_FILES,
};
