// SPDX-License-Identifier: Apache-2.0
/**
 * Entropy-coded FULLY_CONNECTED weights, for when flash is the limit: the weights
 * are stored as canonical Huffman streams (common/codecs/huffman.ts) and each row is decoded into a small
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
import { type KernelIsa, type KernelVariant, isaFamily } from '../op.ts';
import { portableFromM4 } from '../kernel_cost.ts';
import type { FullyConnectedParams } from './contract.ts';
import { type SparseRows, gapRows } from '../common/codecs/sparse_rows.ts';
import { HUFFMAN_MAX_BITS, HUFFMAN_TABLE_BYTES, type HuffmanStream, encodeHuffmanStream, huffmanStreamBytes } from '../common/codecs/huffman.ts';
import { HUFFMAN_INSTRUCTIONS, type HuffmanRows, encodeHuffmanRows } from '../common/codecs/huffman_rows.ts';
import {
  type TableCType,
  cTerm,
  constInt32,
  constInt8,
  foldedAccumulatorInit,
  foldedInitExpr,
  narrowestIntType,
  requantExprs,
} from '../common/families/weighted.ts';

const TYPE_BYTES: Record<TableCType, number> = { int8_t: 1, int16_t: 2, int32_t: 4 };

function sparseCoding(sparse: SparseRows): HuffmanRows | undefined {
  if (sparse.values.length === 0) return undefined;
  return sparseStreams(sparse.values, sparse.deltas, sparse.counts, 1, sparse.values.length);
}

/** Row-group sizes tried for the shared-columns form (the smallest coding is kept). */
export const HUFFMAN_GROUP_ROWS = [2, 4, 8] as const;
/** The most rows a group of the searched form (groupSizesSearch) holds. */
export const HUFFMAN_MAX_GROUP_ROWS = 8;
/** Layers up to this many weights also try the searched group sizes (its cost grows with the union sizes). */
const GROUP_SEARCH_MAX_WEIGHTS = 1 << 20;

/** Groups of `group` rows, the last one shorter when `group` does not divide `rows`. */
export function fixedGroupSizes(rows: number, group: number): number[] {
  return Array.from({ length: Math.ceil(rows / group) }, (_, g) => Math.min(group, rows - g * group));
}

/**
 * The shared-columns form over consecutive groups of rows (`sizes`, summing to `rows`): per group the
 * gaps of the union of its rows' nonzero columns (gapRows' fillers over 255 included), then each row's
 * weights at those columns.
 */
export function groupedGapRows(
  weights: Int8Array,
  rows: number,
  columns: number,
  sizes: readonly number[],
): { values: Int8Array; deltas: Uint8Array; counts: Int32Array } {
  const groups = sizes.length;
  const union = new Int8Array(groups * columns);
  let first = 0;
  sizes.forEach((size, g) => {
    for (let r = first; r < first + size; r++) for (let c = 0; c < columns; c++) if (weights[r * columns + c] !== 0) union[g * columns + c] = 1;
    first += size;
  });
  if (first !== rows) throw new Error(`huffman: groups of ${first} rows for a layer of ${rows}`);
  // the union's gaps (the marks' own values are ignored: only their columns are used)
  const shared = gapRows(union, groups, columns);
  let total = 0;
  sizes.forEach((size, g) => (total += size * shared.counts[g]!));
  const values = new Int8Array(total);
  let entry = 0;
  let written = 0;
  first = 0;
  sizes.forEach((size, g) => {
    const n = shared.counts[g]!;
    for (let r = first; r < first + size; r++) {
      let column = 0;
      for (let k = 0; k < n; k++) {
        column += shared.deltas[entry + k]!;
        // a filler's column is in no row's nonzeros: its weight is 0 in every row
        values[written++] = weights[r * columns + column]!;
      }
    }
    entry += n;
    first += size;
  });
  return { values, deltas: shared.deltas, counts: shared.counts };
}

/**
 * Group sizes (1..HUFFMAN_MAX_GROUP_ROWS rows, consecutive) that minimise the estimated bits: a group
 * costs its union's gaps (`gapBits` each), every row's weight at every union column (`valueBits` of
 * the value, the union's zeros included) and two table bytes; dynamic programming over the rows.
 * Rows pruned in blocks whose boundaries have moved (the dead-neuron pass removes single rows) are
 * grouped where their columns still coincide, which fixed sizes would miss.
 */
export function groupSizesSearch(weights: Int8Array, rows: number, columns: number, gapBits: number, valueBits: (w: number) => number): number[] {
  const nonzero: number[][] = Array.from({ length: rows }, (_, r) => {
    const list: number[] = [];
    for (let c = 0; c < columns; c++) if (weights[r * columns + c] !== 0) list.push(c);
    return list;
  });
  const best = new Float64Array(rows + 1).fill(Infinity);
  const from = new Int32Array(rows + 1);
  best[0] = 0;
  const inUnion = new Uint8Array(columns);
  for (let start = 0; start < rows; start++) {
    const union: number[] = [];
    let bits = 16;
    for (let end = start; end < Math.min(rows, start + HUFFMAN_MAX_GROUP_ROWS); end++) {
      // the new row at the union's old columns, then the columns it adds, at every row of the group so far
      for (const c of union) bits += valueBits(weights[end * columns + c]!);
      for (const c of nonzero[end]!) {
        if (inUnion[c]) continue;
        inUnion[c] = 1;
        union.push(c);
        bits += gapBits;
        for (let r = start; r <= end; r++) bits += valueBits(weights[r * columns + c]!);
      }
      if (best[start]! + bits < best[end + 1]!) {
        best[end + 1] = best[start]! + bits;
        from[end + 1] = start;
      }
    }
    for (const c of union) inUnion[c] = 0;
  }
  const sizes: number[] = [];
  for (let end = rows; end > 0; end = from[end]!) sizes.push(end - from[end]!);
  return sizes.reverse();
}

function groupedCoding(weights: Int8Array, rows: number, columns: number, sizes: readonly number[], variable: boolean): HuffmanRows | undefined {
  const { values, deltas, counts } = groupedGapRows(weights, rows, columns, sizes);
  if (values.length === 0) return undefined;
  const coding = sparseStreams(values, deltas, counts, variable ? 0 : sizes[0]!, values.length);
  if (!variable) return coding;
  const groupSizes = Uint8Array.from(sizes);
  return { ...coding, groupSizes, bytes: coding.bytes + groupSizes.length };
}

/** The shared-columns codings: fixed group sizes, and where the layer is small enough, searched ones. */
function groupedCodings(weights: Int8Array, rows: number, columns: number, perRow: HuffmanRows | undefined): (HuffmanRows | undefined)[] {
  const fixed = HUFFMAN_GROUP_ROWS.filter((g) => rows > g / 2).map((g) => groupedCoding(weights, rows, columns, fixedGroupSizes(rows, g), false));
  if (!perRow || rows * columns > GROUP_SEARCH_MAX_WEIGHTS) return fixed;
  // bits a symbol, from the per-row coding's codes: the gaps' mean, each value's own code (a zero,
  // which the per-row coding never stores, at the mean value's)
  const gapBits = perRow.deltas!.bitLength / Math.max(1, perRow.symbols / 2);
  const meanValueBits = perRow.values.bitLength / Math.max(1, perRow.symbols / 2);
  const lengths = perRow.values.code.lengths;
  const valueBits = (w: number) => (w === 0 ? meanValueBits : lengths[w & 255] || HUFFMAN_MAX_BITS);
  const sizes = groupSizesSearch(weights, rows, columns, gapBits, valueBits);
  if (sizes.every((n) => n === 1)) return fixed;
  return [...fixed, groupedCoding(weights, rows, columns, sizes, true)];
}

function sparseStreams(values: Int8Array, deltasData: Uint8Array, counts: Int32Array, groupRows: number, entries: number): HuffmanRows {
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
export function encodeHuffmanFc(weights: Int8Array, rows: number, columns: number, sparse: SparseRows | undefined): HuffmanRows | undefined {
  const perRow = sparse ? sparseCoding(sparse) : undefined;
  const candidates = [encodeHuffmanRows(weights, rows, columns), ...(sparse ? [perRow, ...groupedCodings(weights, rows, columns, perRow)] : [])].filter(
    (c): c is HuffmanRows => c !== undefined,
  );
  const best = candidates.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const replaced = sparse ? sparse.bytes : rows * columns;
  return best.bytes < replaced ? { ...best, replacedBytes: replaced } : undefined;
}

function groupsSummary(h: HuffmanRows): string {
  if (h.groupSizes) return `, columns shared by ${h.groupSizes.length} groups of 1 to ${Math.max(...h.groupSizes)} rows`;
  return (h.groupRows ?? 1) > 1 ? `, columns shared by groups of ${h.groupRows} rows` : '';
}

function scratchLayout(h: HuffmanRows): { tables: number; rowBytes: number; total: number } {
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
    // the M4 estimate in the target's unit (RP2040: cycles), as the dense kernel it is weighed against
    cost: (p: FullyConnectedParams, isa: KernelIsa | undefined) => {
      const m4 = huffmanFcCost(p, dsp && isa?.dsp === true);
      return { ...m4, instructions: Math.round(m4.instructions * portableFromM4('FULLY_CONNECTED', isaFamily(isa))) };
    },
    cFiles: dsp ? ['common/codecs/huffman.h', 'common/isa/arm_dsp.h'] : ['common/codecs/huffman.h'],
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
      const accInit = foldedInitExpr({
        weights,
        rows: p.outFeatures,
        rowLength: p.inFeatures,
        inputOffset: offsetInLoop ? 0 : p.inputOffset,
        bias,
        biasPointer: () => ctx.input(2),
        addConst,
        rowVar: row,
      });
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
          `huffman (${h.kind}${groupsSummary(h)}): ${h.bytes} bytes for ${h.replacedBytes} ` +
          `(${h.symbols} symbols decoded, ~${cost.instructions} instructions on the M4)`,
        sparse: h.kind === 'sparse',
        groupRows: (h.groupRows ?? 1) > 1 ? h.groupRows : undefined,
        groupSizes: h.groupSizes && ctx.addConst('huff_group_rows', 'uint8_t', h.groupSizes),
        grouped: (h.groupRows ?? 1) !== 1,
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
