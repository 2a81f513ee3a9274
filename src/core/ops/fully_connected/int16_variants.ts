// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED 16x8's target variants: each batch row goes through common/int16_gemv's kernel
 * (Arm DSP: SMLAD on the int16 inputs as they are, the weights re-laid in blocks of four rows; Armv6-M
 * and RV32: a plain C loop, two rows per input load, the model's weights). Both keep int32 partial
 * sums (exact, see int16_gemv.h) and requantize as the portable kernel (tf_mbqm64). No scratch. On
 * Arm DSP targets rows of 1-3 inputs keep the portable loop (one SMLAL per product, no call).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt8 } from '../common/families/weighted.ts';
import { INT16_GEMV_FILES, type Int16GemvFamily, int16GemvSetup } from '../common/families/int16_gemv.ts';
import type { FullyConnectedInt16Params } from './fully_connected_int16.ts';

function emit(family: Int16GemvFamily, p: FullyConnectedInt16Params, ctx: LayerEmitContext): string {
  const { decls, call } = int16GemvSetup(
    family,
    {
      rows: p.outFeatures,
      depth: p.inFeatures,
      weights: constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!),
      multiplier: [p.multiplier],
      shift: [p.shift],
      actMin: p.actMin,
      actMax: p.actMax,
      bias: p.hasBias ? 'int64' : 'none',
    },
    ctx,
    p.hasBias ? ctx.input(2) : undefined,
  );
  return `/* FULLY_CONNECTED 16x8 [${p.batches},${p.inFeatures}] * [${p.outFeatures},${p.inFeatures}]^T -> [${p.batches},${p.outFeatures}], ${p.batches * p.inFeatures * p.outFeatures} MACs (${family} int16) */
static void ${ctx.fnName}(void) {
${decls}
  const int16_t *x = ${ctx.input(0)};
  int16_t *out = ${ctx.output(0)};
  for (int b = 0; b < ${p.batches}; ++b, x += ${p.inFeatures}, out += ${p.outFeatures}) ${call('x', 'out')}
}
`;
}

function variant(family: Int16GemvFamily): KernelVariant<FullyConnectedInt16Params> {
  return {
    name: `${family} int16`,
    family,
    applies: (p) => family !== 'arm-dsp' || p.inFeatures >= 4,
    emit: (p, ctx) => emit(family, p, ctx),
    cFiles: INT16_GEMV_FILES[family],
  };
}

export const fcInt16Variants: readonly KernelVariant<FullyConnectedInt16Params>[] = [variant('arm-dsp'), variant('armv6m'), variant('rv32')];
