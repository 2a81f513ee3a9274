// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED with int4 weights: symmetric weights that all lie in [-8, 7] are stored
 * packed (common/codecs/int4.ts, half the flash of int8) and decoded in registers (common/codecs/int4_dot.h):
 * SXTB16 + SMLAD on Arm DSP, shifts + multiply elsewhere. One variant per family; the Armv6-M, RV32
 * and portable ones share the C loop. Bit-exact with the int8 kernels (integer sums).
 */
import type { IsaFamily, KernelIsa, KernelVariant } from '../op.ts';
import { isaFamily } from '../op.ts';
import type { FullyConnectedParams } from './contract.ts';
import { summary } from './describe.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { int4RowsBytes, int4RowsInstructions } from '../common/codecs/int4.ts';
import { int4RowsC } from '../common/codecs/int4_rows.ts';

export function fcInt4Bytes(p: FullyConnectedParams): number {
  return int4RowsBytes(p.outFeatures, p.inFeatures);
}

function fcInt4Variant(family: IsaFamily): KernelVariant<FullyConnectedParams> {
  return {
    name: `${family} int4`,
    family,
    applies: (p) => p.int4Weights === true,
    storage: 'int4',
    cost: (p: FullyConnectedParams, isa: KernelIsa | undefined) => ({
      flashBytes: fcInt4Bytes(p),
      instructions: int4RowsInstructions(isaFamily(isa), p.batches * p.inFeatures * p.outFeatures, p.batches * p.outFeatures),
    }),
    cFiles: ['common/codecs/int4_dot.h'],
    emit(p, ctx) {
      const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
      const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
      const body = int4RowsC({
        ctx,
        layer: p,
        weights: filter,
        rows: p.outFeatures,
        rowLength: p.inFeatures,
        bias: biasTensor && constInt32(biasTensor),
        family,
        x: 'x',
        out: 'out',
      });
      const rows = body.rows;
      return `/* ${summary(p)}, int4 weights (${fcInt4Bytes(p)} bytes for ${p.outFeatures * p.inFeatures} int8), ${family} */
static void ${ctx.fnName}(void) {
${body.prologue}
  const int8_t *x = ${ctx.input(0)};
  int8_t *out = ${ctx.output(0)};
  for (int b = 0; b < ${p.batches}; ++b, x += ${p.inFeatures}, out += ${p.outFeatures}) ${rows}
}
`;
    },
  };
}

export const fcInt4DspVariant = fcInt4Variant('arm-dsp');
export const fcInt4M0plusVariant = fcInt4Variant('armv6m');
export const fcInt4Rv32Variant = fcInt4Variant('rv32');
export const fcInt4PortableVariant = fcInt4Variant('portable');
export const fcInt4Variants = [fcInt4DspVariant, fcInt4M0plusVariant, fcInt4Rv32Variant, fcInt4PortableVariant];
