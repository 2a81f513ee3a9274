// SPDX-License-Identifier: Apache-2.0
/**
 * Entropy-coded CONV_2D weights (the FULLY_CONNECTED form is
 * fully_connected/huffman.ts): each output channel's kH*kW*filterInC weights are one row of a
 * canonical Huffman stream (common/codecs/huffman.h), with bit offsets every 16 channels. The kernel loops
 * channels outermost: decode the channel's filter into scratch, list its nonzero taps with their input
 * offsets from the window's corner (also in scratch, a whole filter row's room: scratchLayout), then every output pixel of that channel: over the listed taps alone where the whole
 * window is in the image, over every tap of the decoded filter at the padded borders. A pruned filter
 * thus costs its nonzeros, not its size. A storage only `--prefer size` picks (encoding_choice.ts).
 */
import { type KernelChoices, type KernelIsa, type KernelVariant, isaFamily } from '../op.ts';
import { portableFromM4 } from '../kernel_cost.ts';
import type { Conv2DParams } from './contract.ts';
import { HUFFMAN_TABLE_BYTES } from '../common/codecs/huffman.ts';
import { HUFFMAN_INSTRUCTIONS, type HuffmanRows, encodeHuffmanRows, entropyCodingEnabled } from '../common/codecs/huffman_rows.ts';
import { cTerm, constInt32, foldedInitExpr, requantExprs } from '../common/families/weighted.ts';
import { summary } from './describe.ts';
import { insidePixels } from '../common/families/conv_geometry.ts';

/** The Huffman coding of a conv filter [outC, kH, kW, filterInC] when switched on and smaller than int8. */
export function encodeHuffmanConv(weights: Int8Array, outC: number, rowLength: number, kernels: KernelChoices = {}): HuffmanRows | undefined {
  if (!entropyCodingEnabled(kernels)) return undefined;
  const h = encodeHuffmanRows(weights, outC, rowLength);
  return h.bytes < h.replacedBytes ? h : undefined;
}

const rowLength = (p: Conv2DParams) => p.kH * p.kW * p.filterInC;
/** instructions a filter weight to list a channel's nonzero taps (load, test, two stores and the offset: an estimate) */
const TAP_LIST_INSTRUCTIONS = 6;

/** The nonzero weights of the fullest of `outC` filters (rows of `weights`), and of all of them. */
export function channelNonzeros(weights: Int8Array, outC: number): { max: number; total: number } {
  const perChannel = weights.length / outC;
  let max = 0;
  let total = 0;
  for (let oc = 0; oc < outC; oc++) {
    let n = 0;
    for (let i = oc * perChannel; i < (oc + 1) * perChannel; i++) if (weights[i] !== 0) n++;
    max = Math.max(max, n);
    total += n;
  }
  return { max, total };
}

/** A tap's input offset from its window's corner is fy * tapStepH + fx * tapStepW + ic. */
function tapSteps(p: Conv2DParams): { tapStepH: number; tapStepW: number } {
  return { tapStepH: p.dilationH * p.inW * p.inC, tapStepW: p.dilationW * p.inC };
}

/** The largest input offset of a tap from its window's corner: uint16_t offsets when it fits. */
function tapOffsetType(p: Conv2DParams): 'uint16_t' | 'int32_t' {
  const { tapStepH, tapStepW } = tapSteps(p);
  const largest = (p.kH - 1) * tapStepH + (p.kW - 1) * tapStepW + p.filterInC - 1;
  return largest <= 0xffff ? 'uint16_t' : 'int32_t';
}

const align16 = (n: number) => (n + 15) & ~15;

/**
 * Scratch after the code table: the decoded filter, then the tap list's offsets and weights, each
 * 16-byte aligned. The tap lists take a whole filter row, not the fullest channel's nonzeros: the
 * list is filled in a loop over the row, and GCC's -Warray-bounds (an error under -Werror) flags
 * its last writes when the lists end at the arena's end (conv 5x5 s2 56x56x3->16 on the RP2040).
 */
function scratchLayout(p: Conv2DParams): { filterBytes: number; offsetBytes: number; weightBytes: number } {
  const taps = rowLength(p);
  return {
    filterBytes: align16(rowLength(p)),
    offsetBytes: align16(taps * (tapOffsetType(p) === 'uint16_t' ? 2 : 4)),
    weightBytes: align16(taps),
  };
}

/**
 * Flash bytes and estimated Cortex-M4 instructions: the decode as measured for FULLY_CONNECTED (per
 * symbol and coded bit), the tap lists (a few instructions a filter weight), the conv loop per tap as
 * the portable dense row loop plus the input offset add: the nonzero taps at pixels whose window is
 * inside the image, every tap in the image at the padded border (counted as the whole filter row).
 * A 3x3 SAME layer on a 12x12 map has 44 border pixels of 144: counting them as interior priced it
 * at a third of what it ran (0.67 M against 2.1 M instructions at 90 % zeros), under the dense kernel.
 */
export function huffmanConvCost(p: Conv2DParams): { flashBytes: number; instructions: number } {
  const h = p.entropy!;
  const c = HUFFMAN_INSTRUCTIONS;
  const taps = p.entropyNonzeros?.total ?? p.outC * rowLength(p);
  const { inside, border } = insidePixels(p);
  const macs = p.batches * (inside * taps + border * p.outC * rowLength(p));
  const instructions =
    c.perSymbol * h.symbols +
    c.perCodedBit * h.values.bitLength +
    TAP_LIST_INSTRUCTIONS * p.outC * rowLength(p) +
    (c.perDenseMac + 1) * macs +
    c.perTable +
    c.perRow * p.outC * p.batches * p.outH * p.outW;
  return { flashBytes: h.bytes, instructions: Math.round(instructions) };
}

export const convHuffmanVariant: KernelVariant<Conv2DParams> = {
  name: 'huffman',
  family: 'portable',
  applies: (p) => p.entropy !== undefined,
  scratchBytes: (p) => {
    const l = scratchLayout(p);
    return HUFFMAN_TABLE_BYTES + l.filterBytes + l.offsetBytes + l.weightBytes;
  },
  storage: 'huffman',
  // the M4 estimate in the target's unit: on the RP2040 the decoder and loop are C costing ~3.5x their M4 instructions in cycles
  cost: (p: Conv2DParams, isa: KernelIsa | undefined) => {
    const m4 = huffmanConvCost(p);
    return { ...m4, instructions: Math.round(m4.instructions * portableFromM4('CONV_2D', isaFamily(isa))) };
  },
  cFiles: ['common/codecs/huffman.h'],
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
      ...scratchLayout(p),
      offsetType: tapOffsetType(p),
      ...tapSteps(p),
      filterRow: p.kW * p.filterInC,
      // the bias alone (the input offset stays in the loop, padded taps are skipped), in its narrowest C type
      accInit: foldedInitExpr({
        weights: new Int8Array(0),
        rows: p.outC,
        rowLength: 0,
        inputOffset: 0,
        bias: p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined,
        biasPointer: () => ctx.input(2),
        addConst: (s, t, v) => ctx.addConst(s, t, v),
        rowVar: channel,
      }),
      inputOffsetTerm: cTerm(p.inputOffset),
      outputZeroPointTerm: cTerm(p.outputZeroPoint),
      mult,
      shift,
    });
  },
};
