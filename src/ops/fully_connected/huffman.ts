// SPDX-License-Identifier: Apache-2.0
/**
 * Entropy-coded FULLY_CONNECTED weights, for when flash is the limit (issue 14, item 3): the weights
 * are stored as canonical Huffman streams (common/huffman.ts) and each row is decoded into a small
 * scratch buffer just before the row's dot products, so RAM holds one row, never the layer.
 *
 * Two forms, the smaller is kept:
 * - dense: one stream of the row's weight bytes (pays when few distinct values dominate: 4-bit-valued
 *   or clustered weights, or moderately pruned layers where the zero gets a 1-2 bit code);
 * - sparse: sparse.ts's row encoding (nonzero values and column gaps, counts per row) with the values
 *   and the gaps each coded as its own stream (the two have very different distributions);
 * - sparse in row groups: G consecutive rows (G = 2, 4 or 8) share one list of columns, the union of
 *   their nonzero columns, its gaps stored once for the group and each row's values at those columns
 *   (zeros where a row has none). The gaps are most of a pruned layer's bytes (LeNet-300-100's fc1 at
 *   98.5%: 5.8 bits a stored weight for the gap, 2.3 for the value), so a layer pruned in row blocks
 *   (prune.ts's `groupRows`) pays them once per group instead of once per row; on an unstructured
 *   layer the union's zeros cost more than the gaps saved and the plain rows stay smaller.
 * The kernel decodes the rows in order, each stream read from its start to its end, so the streams keep
 * no block index (nor do CONV_2D's: it decodes its output channels in order). The per-row (per-group) entry counts of the sparse form are stored as uint8_t when every row holds at most 255.
 *
 * Only symmetric weights (folded input offset, as sparse.ts) are coded. The decode costs instructions
 * (see HUFFMAN_INSTRUCTIONS), so this storage never wins under the default `--prefer speed`: the
 * chooser (encoding_choice.ts) weighs its `cost` and only `--prefer size` picks it.
 */
import type { KernelIsa, KernelVariant } from '../op.ts';
import type { FullyConnectedParams } from './index.ts';
import { type SparseRows, gapRows } from './sparse.ts';
import { HUFFMAN_TABLE_BYTES, type HuffmanStream, encodeHuffmanStream, huffmanStreamBytes } from '../common/huffman.ts';
import { type TableCType, cTerm, constInt32, constInt8, foldedAccumulatorInit, foldedInitExpr, narrowestIntType, requantExprs } from '../common/weighted.ts';

const TYPE_BYTES: Record<TableCType, number> = { int8_t: 1, int16_t: 2, int32_t: 4 };

/**
 * Instructions on the Cortex-M4 (qemu-mps2-an386's counter, -O2), fitted to `npx tsx bench/huffman_cost.ts`
 * on generated 784x300 and 300x100 layers (docs/kernels.md, "Huffman-coded weights"). A symbol costs a
 * fixed part (table lookup, window shift, store: 11 instructions when its code fits the 8-bit table)
 * plus a part growing with its code length (a 7-instruction two-byte refill per 16 bits, and the
 * canonical walk for codes over 8 bits): 8.7 + 1.25 per coded bit fits dense int8 (5.4 bits/symbol,
 * 15.5 measured) and 4-bit-valued (3.1 bits, 12.6) streams. Row loops per MAC: sparse 8.8 (its gap
 * load included), dense portable 5.8, dense SMLAD 2.3 (9 instructions per 4 weights); then per code
 * table built and per row (seek, requantize, store).
 */
export const HUFFMAN_INSTRUCTIONS = {
  perSymbol: 8.7,
  perCodedBit: 1.25,
  perDenseMac: 5.8,
  perDenseMacDsp: 2.3,
  perSparseMac: 8.8,
  perTable: 1100,
  perRow: 30,
};

/**
 * Layers are Huffman-coded (a storage the chooser weighs: only `--prefer size` picks it, it is the
 * slowest) unless `TINYFORGE_ENTROPY=off`.
 */
export function entropyCodingEnabled(): boolean {
  return process.env.TINYFORGE_ENTROPY !== 'off';
}

export interface HuffmanFc {
  kind: 'dense' | 'sparse';
  /** dense: the weight bytes; sparse: the nonzero values */
  values: HuffmanStream;
  /** sparse: the column gaps */
  deltas?: HuffmanStream;
  /** sparse: entries per row (per group of `groupRows` rows: the group's shared columns) */
  counts?: Int32Array;
  /** sparse: rows sharing one list of columns (1: every row its own); the last group may be shorter */
  groupRows?: number;
  /** sparse: the products the row loops compute, every row's entries (the union's zeros included) */
  entries?: number;
  /** sparse: the C type `counts` is stored as (uint8_t when every row holds at most 255 entries) */
  countsType?: 'uint8_t' | 'uint16_t';
  /** symbols of the longest row (the scratch row's length) */
  rowSymbols: number;
  /** symbols decoded per inference (all streams) */
  symbols: number;
  /** bytes in flash: streams, code tables, block offsets, row counts */
  bytes: number;
  /** bytes of the storage it replaces (dense int8 or sparse.ts's encoding) */
  replacedBytes: number;
}

/** One stream of the rows' weight bytes (also CONV_2D's, a row per output channel). */
export function encodeHuffmanRows(weights: Int8Array, rows: number, columns: number): HuffmanFc {
  return denseCoding(weights, rows, columns);
}

function denseCoding(weights: Int8Array, rows: number, columns: number): HuffmanFc {
  const values = encodeHuffmanStream(new Uint8Array(weights.buffer, weights.byteOffset, weights.length), []);
  return { kind: 'dense', values, rowSymbols: columns, symbols: rows * columns, bytes: huffmanStreamBytes(values), replacedBytes: rows * columns };
}

function sparseCoding(sparse: SparseRows): HuffmanFc | undefined {
  if (sparse.values.length === 0) return undefined;
  return sparseStreams(sparse.values, sparse.deltas, sparse.counts, 1, sparse.values.length);
}

/** Row-group sizes tried for the shared-columns form (the smallest coding is kept). */
export const HUFFMAN_GROUP_ROWS = [2, 4, 8] as const;

/**
 * The shared-columns form with groups of `group` rows: per group the gaps of the union of its rows'
 * nonzero columns (gapRows' fillers over 255 included), then each row's weights at those columns.
 */
export function groupedGapRows(
  weights: Int8Array,
  rows: number,
  columns: number,
  group: number,
): { values: Int8Array; deltas: Uint8Array; counts: Int32Array } {
  const groups = Math.ceil(rows / group);
  const union = new Int8Array(groups * columns);
  for (let r = 0; r < rows; r++) {
    const g = Math.floor(r / group);
    for (let c = 0; c < columns; c++) if (weights[r * columns + c] !== 0) union[g * columns + c] = 1;
  }
  // the union's gaps (the marks' own values are ignored: only their columns are used)
  const shared = gapRows(union, groups, columns);
  const values = new Int8Array(sumGroupEntries(shared.counts, rows, group));
  let entry = 0;
  let written = 0;
  for (let g = 0; g < groups; g++) {
    const n = shared.counts[g]!;
    const first = g * group;
    for (let r = first; r < Math.min(rows, first + group); r++) {
      let column = 0;
      for (let k = 0; k < n; k++) {
        column += shared.deltas[entry + k]!;
        // a filler's column is in no row's nonzeros: its weight is 0 in every row
        values[written++] = weights[r * columns + column]!;
      }
    }
    entry += n;
  }
  return { values, deltas: shared.deltas, counts: shared.counts };
}

function sumGroupEntries(counts: Int32Array, rows: number, group: number): number {
  let total = 0;
  counts.forEach((n, g) => (total += n * (Math.min(rows, (g + 1) * group) - g * group)));
  return total;
}

function groupedCoding(weights: Int8Array, rows: number, columns: number, group: number): HuffmanFc | undefined {
  if (rows <= group / 2) return undefined;
  const { values, deltas, counts } = groupedGapRows(weights, rows, columns, group);
  if (values.length === 0) return undefined;
  return sparseStreams(values, deltas, counts, group, values.length);
}

function sparseStreams(values: Int8Array, deltasData: Uint8Array, counts: Int32Array, groupRows: number, entries: number): HuffmanFc {
  const valuesStream = encodeHuffmanStream(new Uint8Array(values.buffer, values.byteOffset, values.length), []);
  const deltas = encodeHuffmanStream(deltasData, []);
  const rowSymbols = Math.max(1, ...counts);
  const countsType = rowSymbols <= 255 ? 'uint8_t' : 'uint16_t';
  return {
    kind: 'sparse',
    values: valuesStream,
    deltas,
    counts,
    countsType,
    groupRows,
    entries,
    rowSymbols,
    symbols: values.length + deltasData.length,
    bytes: huffmanStreamBytes(valuesStream) + huffmanStreamBytes(deltas) + (countsType === 'uint8_t' ? 1 : 2) * counts.length,
    replacedBytes: 0,
  };
}

/**
 * The smaller Huffman coding of a layer's symmetric weights [rows, columns] (dense, or over `sparse`
 * when the layer has a sparse encoding), or undefined when it is not smaller than what it replaces.
 */
export function encodeHuffmanFc(weights: Int8Array, rows: number, columns: number, sparse: SparseRows | undefined): HuffmanFc | undefined {
  const candidates = [
    denseCoding(weights, rows, columns),
    ...(sparse ? [sparseCoding(sparse), ...HUFFMAN_GROUP_ROWS.map((g) => groupedCoding(weights, rows, columns, g))] : []),
  ].filter((c): c is HuffmanFc => c !== undefined);
  const best = candidates.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const replaced = sparse ? sparse.bytes : rows * columns;
  return best.bytes < replaced ? { ...best, replacedBytes: replaced } : undefined;
}

function scratchLayout(h: HuffmanFc): { tables: number; rowBytes: number; total: number } {
  const tables = (h.kind === 'sparse' ? 2 : 1) * HUFFMAN_TABLE_BYTES;
  const rowBytes = (h.rowSymbols + 15) & ~15;
  return { tables, rowBytes, total: tables + (h.kind === 'sparse' ? 2 : 1) * rowBytes };
}

/** Flash bytes and estimated Cortex-M4 instructions per inference (HUFFMAN_INSTRUCTIONS). */
export function huffmanFcCost(p: FullyConnectedParams, dsp = false): { flashBytes: number; instructions: number } {
  const h = p.entropy!;
  const c = HUFFMAN_INSTRUCTIONS;
  const macs = h.kind === 'sparse' ? p.batches * h.entries! : p.batches * p.inFeatures * p.outFeatures;
  const tables = h.kind === 'sparse' ? 2 : 1;
  const instructions =
    c.perSymbol * h.symbols +
    c.perCodedBit * (h.values.bitLength + (h.deltas?.bitLength ?? 0)) +
    (h.kind === 'sparse' ? c.perSparseMac : dsp ? c.perDenseMacDsp : c.perDenseMac) * macs +
    c.perTable * tables +
    c.perRow * p.outFeatures * p.batches;
  return { flashBytes: h.bytes, instructions: Math.round(instructions) };
}

/**
 * Huffman-coded weights (FullyConnectedParams.entropy), portable C on every target: per block of rows
 * seek each stream, per row decode into scratch, then the dense (or sparse) row loop per batch.
 */
export const fcHuffmanVariant: KernelVariant<FullyConnectedParams> = huffmanVariant(false);

/** The same on Arm DSP targets, with the dense-coded rows' dot products four weights a step (SMLAD). */
export const fcHuffmanDspVariant: KernelVariant<FullyConnectedParams> = huffmanVariant(true);

function huffmanVariant(dsp: boolean): KernelVariant<FullyConnectedParams> {
  return {
    name: dsp ? 'arm-dsp huffman' : 'huffman',
    family: dsp ? 'arm-dsp' : 'portable',
    applies: (p) => p.entropy !== undefined,
    scratchBytes: (p) => scratchLayout(p.entropy!).total,
    storage: 'huffman',
    // sparse rows multiply only their stored entries (as sparse.ts's kernel)
    macs: (p: FullyConnectedParams) => p.batches * (p.entropy!.kind === 'sparse' ? p.entropy!.entries! : p.outFeatures * p.inFeatures),
    cost: (p: FullyConnectedParams, isa: KernelIsa | undefined) => huffmanFcCost(p, dsp && isa?.dsp === true),
    cFiles: dsp ? ['common/huffman.h', 'common/dsp.h'] : ['common/huffman.h'],
    emit(p, ctx) {
      const h = p.entropy!;
      const row = 'o';
      const addConst = (s: string, t: TableCType, v: ArrayLike<number>) => ctx.addConst(s, t, v);
      const { mult, shift } = requantExprs(p, row, addConst);
      const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
      const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
      const bias = biasTensor && constInt32(biasTensor);
      // A sparse row adds the input offset to each input it reads (one add per stored weight) when the
      // bias alone is stored in a narrower type than the folded start values off·Σw + b (LeNet-300-100's
      // fc2: int8 biases, int16 start values; 100 B)
      const offsetInLoop =
        h.kind === 'sparse' &&
        p.inputOffset !== 0 &&
        bias !== undefined &&
        TYPE_BYTES[narrowestIntType(bias)] < TYPE_BYTES[narrowestIntType(foldedAccumulatorInit(weights, p.outFeatures, p.inFeatures, p.inputOffset, bias))];
      const accInit = foldedInitExpr(weights, p.outFeatures, p.inFeatures, offsetInLoop ? 0 : p.inputOffset, bias, () => ctx.input(2), addConst, row);
      const stream = (name: string, s: HuffmanStream) => ({
        bits: ctx.addConst(`huff_${name}_bits`, 'uint8_t', s.bytes),
        lengths: ctx.addConst(`huff_${name}_lengths`, 'uint8_t', s.code.lengthCounts),
        symbols: ctx.addConst(`huff_${name}_symbols`, 'uint8_t', s.code.symbols),
      });
      const layout = scratchLayout(h);
      const cost = huffmanFcCost(p);
      return ctx.render('fully_connected_huffman.c.hbs', {
        ...p,
        fnName: ctx.fnName,
        summary:
          `FULLY_CONNECTED [${p.batches},${p.inFeatures}] * [${p.outFeatures},${p.inFeatures}]^T -> [${p.batches},${p.outFeatures}], ` +
          `huffman (${h.kind}${(h.groupRows ?? 1) > 1 ? `, columns shared by groups of ${h.groupRows} rows` : ''}): ${h.bytes} bytes for ${h.replacedBytes} ` +
          `(${h.symbols} symbols decoded, ~${cost.instructions} instructions on the M4)`,
        sparse: h.kind === 'sparse',
        groupRows: (h.groupRows ?? 1) > 1 ? h.groupRows : undefined,
        dsp,
        input: ctx.input(0),
        output: ctx.output(0),
        scratch: ctx.scratch(),
        values: stream('values', h.values),
        deltas: h.deltas && stream('deltas', h.deltas),
        counts: h.counts && ctx.addConst('huff_counts', h.countsType!, h.counts),
        rowBytes: layout.rowBytes,
        tableBytes: layout.tables,
        accInit,
        loopOffsetTerm: offsetInLoop ? ` ${cTerm(p.inputOffset)}` : '',
        outputZeroPointTerm: cTerm(p.outputZeroPoint),
        mult,
        shift,
      });
    },
  };
}
