// SPDX-License-Identifier: Apache-2.0
/**
 * SignalFilterBank (TFLite Micro's signal/micro/kernels/filter_bank.cc): mel-style triangular filters
 * over a uint32 energy spectrum, accumulated in uint64. Channel iteration i (0..num_channels) sums,
 * over its `width` bins from `frequency start`, weight * x into one accumulator and unweight * x into
 * another; output i - 1 is iteration i's weighted sum plus iteration i - 1's unweighted sum (the
 * falling half of the previous triangle). Products and sums wrap modulo 2^64 as TFLite Micro's do
 * (a negative int16 weight becomes a uint64 by sign extension).
 *
 * Inputs: x (uint32), weights, unweights (int16), channel frequency starts, channel weight starts,
 * channel widths (int16, num_channels + 1 each). The tables must be constants: the C runs a table of
 * (bin, weight, unweight) entries prepared here without the all-zero padding entries, and picks the
 * accumulation form from the weights' bounds (see `FilterBankForm`).
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import type { KernelIsa, OpDef } from '../op.ts';
import { elements, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

/**
 * How the C accumulates:
 * - `wide`: uint64 sums of 64-bit products (any weights; with non-negative weights one UMLAL a
 *   product on Armv7E-M);
 * - `split`: every x is split into 16-bit halves whose weighted sums stay in uint32, joined once per
 *   channel. Exact when the weights are non-negative and each channel's weights (and unweights) sum
 *   to at most 65537, since then sum(w * 0xFFFF) < 2^32. Cores without a 32x32->64 multiply
 *   (Armv6-M) or with a costly 64-bit carry (RV32) then multiply only in 32 bits.
 */
export type FilterBankForm = 'wide' | 'split';

export interface SignalFilterBankParams {
  channels: number;
  inputSize: number;
  frequencyStarts: number[];
  weightStarts: number[];
  widths: number[];
  weights: number[];
  unweights: number[];
  /** the C's entries: per iteration 0..channels, `counts[i]` entries of (bin, weight, unweight) */
  counts: number[];
  bins: number[];
  entryWeights: number[];
  entryUnweights: number[];
  nonNegative: boolean;
  /** whether `split` is exact for these weights */
  splitExact: boolean;
}

/** The largest sum of one channel's weights that keeps sum(w * 0xFFFF) below 2^32. */
export const SPLIT_WEIGHT_SUM_LIMIT = 65537;

function constantTable(graph: Graph, op: Op, position: number, role: string, length?: number): { t: Tensor; values: number[] } {
  const t = signalInput(graph, op, position, role, 'int16');
  if (!t.data) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} must be a constant`);
  if (t.shape.length !== 1) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} must have one dimension`);
  const values = Array.from(fromBytes('int16', t.data) as Int16Array);
  if (length !== undefined && values.length < length)
    throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has ${values.length} entries; num_channels + 1 = ${length} needed`);
  return { t, values };
}

function prepareFilterBank(graph: Graph, op: Op): SignalFilterBankParams {
  requireArity(op, 6, 1);
  const input = signalInput(graph, op, 0, 'input', 'uint32');
  const output = signalOutput(graph, op, 0, 'output', 'uint64');
  if (input.shape.length !== 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must have one dimension`);
  if (output.shape.length !== 1) throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have one dimension`);
  const channels = intOption(op, signalOptions(op), 'num_channels', 1, 32767);
  const inputSize = elements(input);
  if (inputSize > 65536) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} has ${inputSize} bins; at most 65536 supported`);
  if (elements(output) !== channels) throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have num_channels = ${channels} elements`);
  const weights = constantTable(graph, op, 1, 'weights').values;
  const unweights = constantTable(graph, op, 2, 'unweights').values;
  if (weights.length !== unweights.length) throw new OpError(op.index, op.kind, `weights and unweights must have the same length`);
  const frequencyStarts = constantTable(graph, op, 3, 'channel frequency starts', channels + 1).values;
  const weightStarts = constantTable(graph, op, 4, 'channel weight starts', channels + 1).values;
  const widths = constantTable(graph, op, 5, 'channel widths', channels + 1).values;
  const counts: number[] = [];
  const bins: number[] = [];
  const entryWeights: number[] = [];
  const entryUnweights: number[] = [];
  let nonNegative = true;
  let splitExact = true;
  for (let i = 0; i <= channels; i++) {
    const [f, s, n] = [frequencyStarts[i]!, weightStarts[i]!, widths[i]!];
    if (n < 0 || f < 0 || s < 0 || f + n > inputSize || s + n > weights.length)
      throw new OpError(op.index, op.kind, `channel ${i} (start ${f}, weights from ${s}, width ${n}) reaches outside the input or the weights`);
    let count = 0;
    let weightSum = 0;
    let unweightSum = 0;
    for (let j = 0; j < n; j++) {
      // iteration 0's weighted sum and the last iteration's unweighted sum are never output: the C skips them
      const w = i > 0 ? weights[s + j]! : 0;
      const u = i < channels ? unweights[s + j]! : 0;
      if (w < 0 || u < 0) nonNegative = false;
      weightSum += w;
      unweightSum += u;
      // an entry weighing nothing in either sum changes neither
      if (w === 0 && u === 0) continue;
      bins.push(f + j);
      entryWeights.push(w);
      entryUnweights.push(u);
      count++;
    }
    if (weightSum > SPLIT_WEIGHT_SUM_LIMIT || unweightSum > SPLIT_WEIGHT_SUM_LIMIT) splitExact = false;
    counts.push(count);
  }
  return {
    channels,
    inputSize,
    frequencyStarts,
    weightStarts,
    widths,
    weights,
    unweights,
    counts,
    bins,
    entryWeights,
    entryUnweights,
    nonNegative,
    splitExact: splitExact && nonNegative,
  };
}

const MASK64 = (1n << 64n) - 1n;

/** TFLite Micro's accumulation over the file's tables, modulo 2^64. */
export function filterBank(p: SignalFilterBankParams, x: Uint32Array, y: BigUint64Array): void {
  let weighted = 0n;
  let unweighted = 0n;
  for (let i = 0; i <= p.channels; i++) {
    const [f, s, n] = [p.frequencyStarts[i]!, p.weightStarts[i]!, p.widths[i]!];
    for (let j = 0; j < n; j++) {
      const v = BigInt(x[f + j]!);
      weighted = (weighted + BigInt(p.weights[s + j]!) * v) & MASK64;
      unweighted = (unweighted + BigInt(p.unweights[s + j]!) * v) & MASK64;
    }
    if (i > 0) y[i - 1] = weighted;
    weighted = unweighted;
    unweighted = 0n;
  }
}

/** The accumulation form the C uses on a target (see FilterBankForm). */
export function filterBankForm(p: SignalFilterBankParams, isa: KernelIsa | undefined): FilterBankForm {
  if (!p.splitExact) return 'wide';
  // Armv7E-M multiplies-accumulates 32x32->64 in one instruction (UMLAL)
  if (isa?.dsp) return 'wide';
  return isa?.armv6m || isa?.rv32 ? 'split' : 'wide';
}

const signalFilterBank: OpDef<SignalFilterBankParams> = {
  kind: signalKind('SignalFilterBank'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareFilterBank(graph, op),
  prepare: prepareFilterBank,
  macs: (graph, op) => 2 * prepareFilterBank(graph, op).bins.length,
  evaluate(p, inputs, outputs) {
    filterBank(p, inputs[0] as Uint32Array, outputs[0] as BigUint64Array);
  },
  emitC(p, ctx) {
    // the bins go in the same array as the weights: an int16 one holds bins past 32767 as their uint16 bits
    const entryType = p.nonNegative ? 'uint16_t' : 'int16_t';
    const entries: number[] = [];
    p.bins.forEach((bin, k) => entries.push(p.nonNegative ? bin : (bin << 16) >> 16, p.entryWeights[k]!, p.entryUnweights[k]!));
    return ctx.render('signal_filter_bank.c.hbs', {
      fnName: ctx.fnName,
      channels: p.channels,
      entries: p.bins.length,
      split: filterBankForm(p, ctx.isa) === 'split',
      entryType,
      input: ctx.input(0),
      output: ctx.output(0),
      counts: ctx.addConst('counts', 'uint16_t', p.counts),
      entryTable: ctx.addConst('entries', entryType, entries.length ? entries : [0, 0, 0]),
    });
  },
};

export default signalFilterBank;
