// SPDX-License-Identifier: Apache-2.0
/**
 * Entropy-coded CONV_2D weights (issue 14, item 3; the FULLY_CONNECTED form is
 * fully_connected/huffman.ts): each output channel's kH*kW*filterInC weights are one row of a
 * canonical Huffman stream (common/huffman.h), with bit offsets every 16 channels. The kernel loops
 * channels outermost: decode the channel's filter into scratch, then the portable conv loop over every
 * output pixel of that channel. A storage only `--prefer size` picks (encoding_choice.ts).
 */
import type { KernelIsa, KernelVariant } from '../op.ts';
import type { Conv2DParams } from './index.ts';
import { HUFFMAN_TABLE_BYTES } from '../common/huffman.ts';
import { HUFFMAN_INSTRUCTIONS, type HuffmanFc, encodeHuffmanRows, entropyCodingEnabled } from '../fully_connected/huffman.ts';
import { cTerm, constInt32, foldedInitExpr, requantExprs } from '../common/weighted.ts';
import { summary } from './describe.ts';

/** The Huffman coding of a conv filter [outC, kH, kW, filterInC] when switched on and smaller than int8. */
export function encodeHuffmanConv(weights: Int8Array, outC: number, rowLength: number): HuffmanFc | undefined {
  if (!entropyCodingEnabled()) return undefined;
  const h = encodeHuffmanRows(weights, outC, rowLength);
  return h.bytes < h.replacedBytes ? h : undefined;
}

const rowLength = (p: Conv2DParams) => p.kH * p.kW * p.filterInC;

/**
 * Flash bytes and estimated Cortex-M4 instructions: the decode as measured for FULLY_CONNECTED (per
 * symbol and coded bit), the conv loop per MAC as the portable dense row loop plus the input offset add
 * (an estimate: not measured on conv layers yet).
 */
export function huffmanConvCost(p: Conv2DParams): { flashBytes: number; instructions: number } {
  const h = p.entropy!;
  const c = HUFFMAN_INSTRUCTIONS;
  const macs = p.batches * p.outH * p.outW * p.outC * rowLength(p);
  const instructions =
    c.perSymbol * h.symbols + c.perCodedBit * h.values.bitLength + (c.perDenseMac + 1) * macs + c.perTable + c.perRow * p.outC * p.batches * p.outH * p.outW;
  return { flashBytes: h.bytes, instructions: Math.round(instructions) };
}

export const convHuffmanVariant: KernelVariant<Conv2DParams> = {
  name: 'huffman',
  family: 'portable',
  applies: (p) => p.entropy !== undefined,
  scratchBytes: (p) => HUFFMAN_TABLE_BYTES + ((rowLength(p) + 15) & ~15),
  storage: 'huffman',
  cost: (p: Conv2DParams, _isa: KernelIsa | undefined) => huffmanConvCost(p),
  cFiles: ['common/huffman.h'],
  emit(p, ctx) {
    const h = p.entropy!;
    const channel = 'oc';
    const { mult, shift } = requantExprs(p, channel, (s, t, v) => ctx.addConst(s, t, v));
    return ctx.render('conv_2d_huffman.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      summary: `${summary(p)}, huffman: ${h.bytes} bytes for ${h.replacedBytes} (~${huffmanConvCost(p).instructions} instructions on the M4)`,
      input: ctx.input(0),
      output: ctx.output(0),
      scratch: ctx.scratch(),
      bits: ctx.addConst('huff_bits', 'uint8_t', h.values.bytes),
      lengths: ctx.addConst('huff_lengths', 'uint8_t', h.values.code.lengthCounts),
      symbols: ctx.addConst('huff_symbols', 'uint8_t', h.values.code.symbols),
      grouped: p.groups > 1,
      filtersPerGroup: p.outC / p.groups,
      inImage: p.inH * p.inW * p.inC,
      inRow: p.inW * p.inC,
      filterPerOut: rowLength(p),
      filterRow: p.kW * p.filterInC,
      // the bias alone (the input offset stays in the loop, padded taps are skipped), in its narrowest C type
      accInit: foldedInitExpr(
        new Int8Array(0),
        p.outC,
        0,
        0,
        p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined,
        () => ctx.input(2),
        (s, t, v) => ctx.addConst(s, t, v),
        channel,
      ),
      inputOffsetTerm: cTerm(p.inputOffset),
      outputZeroPointTerm: cTerm(p.outputZeroPoint),
      mult,
      shift,
    });
  },
};
