// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED with palette weights (common/codecs/palette.ts): b-bit indices and an int8 LUT per row or
 * per layer instead of the dense int8 weights, decoded in registers by palette.h. One variant per ISA
 * family (the same C, compiled for each; its cost differs), chosen when the palette is smaller than
 * dense int8 (the per-layer storage chooser weighs `cost` against the dense kernels' speed).
 */
import type { IsaFamily, KernelVariant, LayerEmitContext } from '../op.ts';
import type { FullyConnectedParams } from './contract.ts';
import { summary } from './describe.ts';
import { type TableCType, cTerm, constInt32, constInt8, foldedInitExpr, requantExprs } from '../common/families/weighted.ts';
import { paletteCost, paletteDotCall } from '../common/codecs/palette.ts';

function emitPaletteFullyConnected(p: FullyConnectedParams, ctx: LayerEmitContext, variantName: string): string {
  const e = p.palette!;
  const row = 'o';
  const addConst = (s: string, t: TableCType, v: ArrayLike<number>) => ctx.addConst(s, t, v);
  const { mult, shift } = requantExprs(p, row, addConst);
  const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
  const accInit = foldedInitExpr({
    weights: constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!),
    rows: p.outFeatures,
    rowLength: p.inFeatures,
    inputOffset: p.inputOffset,
    bias: biasTensor && constInt32(biasTensor),
    biasPointer: () => ctx.input(2),
    addConst,
    rowVar: row,
  });
  const lut = ctx.addConst('palette_lut', 'int8_t', e.lut);
  const indices = ctx.addConst('palette_indices', 'uint8_t', e.indices);
  const lutRow = e.perChannel ? `${lut} + ${row} * ${1 << e.bits}` : lut;
  return ctx.render('fully_connected_palette.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    variantName,
    summary: `${summary(p)}, palette: ${e.bits}-bit indices, ${e.perChannel ? 'LUT per channel' : 'one LUT'} (${e.bytes} bytes for ${p.outFeatures * p.inFeatures} dense)`,
    bits: e.bits,
    lutKind: e.perChannel ? `the row's ${1 << e.bits}-entry LUT` : `the layer's ${1 << e.bits}-entry LUT`,
    lut,
    indices,
    rowBytes: e.rowBytes,
    input: ctx.input(0),
    output: ctx.output(0),
    accInit,
    dot: paletteDotCall(e.bits, 'idx', lutRow, 'x', String(p.inFeatures)),
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
  });
}

function paletteVariant(family: IsaFamily, name: string): KernelVariant<FullyConnectedParams> {
  return {
    name,
    family,
    // until the chooser lands: whenever the palette is smaller than dense int8 (encodePalette's rule)
    applies: (p) => p.palette !== undefined,
    emit: (p, ctx) => emitPaletteFullyConnected(p, ctx, name),
    storage: 'palette',
    cost: (p) => paletteCost(p.palette!, family, p.batches),
    cFiles: ['common/codecs/palette.h'],
  };
}

export const fcPaletteVariants: readonly KernelVariant<FullyConnectedParams>[] = [
  paletteVariant('arm-dsp', 'arm-dsp palette'),
  paletteVariant('armv6m', 'armv6m palette'),
  paletteVariant('rv32', 'rv32 palette'),
  paletteVariant('portable', 'palette'),
];
