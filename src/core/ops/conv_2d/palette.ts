// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D with palette weights (common/codecs/palette.ts): each filter's [kh][kw][in] weights as one row of
 * b-bit indices plus an int8 LUT per filter or per layer, decoded in registers by palette.h. 1x1 layers
 * at stride 1 run as a matrix product (as FULLY_CONNECTED's palette kernel); other shapes decode each
 * filter row's in-image run of taps from its bit offset. One variant per ISA family (the same C).
 */
import type { IsaFamily, KernelVariant, LayerEmitContext } from '../op.ts';
import type { Conv2DParams } from './contract.ts';
import { isPointwise, summary } from './describe.ts';
import { type TableCType, cTerm, constInt32, constInt8, foldedInitExpr, requantExprs } from '../common/families/weighted.ts';
import { paletteCost, paletteDotCall } from '../common/codecs/palette.ts';

function emitPaletteConv(p: Conv2DParams, ctx: LayerEmitContext, variantName: string): string {
  const e = p.palette!;
  const channel = 'oc';
  const addConst = (s: string, t: TableCType, v: ArrayLike<number>) => ctx.addConst(s, t, v);
  const { mult, shift } = requantExprs(p, channel, addConst);
  const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
  const rowLength = p.kH * p.kW * p.filterInC;
  // every layer folds the input offset over all taps (padded taps subtract their share at run time)
  const accInit = foldedInitExpr({
    weights: constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!),
    rows: p.outC,
    rowLength,
    inputOffset: p.inputOffset,
    bias: biasTensor && constInt32(biasTensor),
    biasPointer: () => ctx.input(2),
    addConst,
    rowVar: channel,
  });
  const lut = ctx.addConst('palette_lut', 'int8_t', e.lut);
  const indices = ctx.addConst('palette_indices', 'uint8_t', e.indices);
  const lutRow = e.perChannel ? `${lut} + ${channel} * ${1 << e.bits}` : lut;
  const pointwise = isPointwise(p);
  return ctx.render('conv_2d_palette.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    variantName,
    summary: `${summary(p)}, palette: ${e.bits}-bit indices, ${e.perChannel ? 'LUT per filter' : 'one LUT'} (${e.bytes} bytes for ${p.outC * rowLength} dense)`,
    bits: e.bits,
    lutKind: e.perChannel ? `the filter's ${1 << e.bits}-entry LUT` : `the layer's ${1 << e.bits}-entry LUT`,
    lut,
    lutRow,
    indices,
    rowBytes: e.rowBytes,
    input: ctx.input(0),
    output: ctx.output(0),
    pointwise,
    pointwiseDot: paletteDotCall(e.bits, 'idx', lutRow, 'px', String(p.inC)),
    pixels: p.batches * p.outH * p.outW,
    grouped: p.groups > 1,
    filtersPerGroup: p.outC / p.groups,
    contiguousTaps: p.dilationW === 1 && p.groups === 1,
    // every tap's indices start on a byte boundary: the grouped decoders of palette.h
    tapBytes: (p.filterInC * e.bits) % 8 === 0 ? (p.filterInC * e.bits) / 8 : undefined,
    inImage: p.inH * p.inW * p.inC,
    inRow: p.inW * p.inC,
    filterRow: p.kW * p.filterInC,
    inputOffset: p.inputOffset === 0 ? undefined : p.inputOffset,
    accInit,
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
  });
}

function paletteVariant(family: IsaFamily, name: string): KernelVariant<Conv2DParams> {
  return {
    name,
    family,
    // until the chooser lands: whenever the palette is smaller than dense int8 (encodePalette's rule)
    applies: (p) => p.palette !== undefined,
    emit: (p, ctx) => emitPaletteConv(p, ctx, name),
    storage: 'palette',
    cost: (p) => paletteCost(p.palette!, family, p.batches * p.outH * p.outW, true),
    cFiles: ['common/codecs/palette.h'],
  };
}

export const convPaletteVariants: readonly KernelVariant<Conv2DParams>[] = [
  paletteVariant('arm-dsp', 'arm-dsp palette'),
  paletteVariant('armv6m', 'armv6m palette'),
  paletteVariant('rv32', 'rv32 palette'),
  paletteVariant('portable', 'palette'),
];
