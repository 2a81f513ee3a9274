// SPDX-License-Identifier: Apache-2.0
/** Random UNIDIRECTIONAL_SEQUENCE_LSTM layers for the LSTM tests (unidirectional_sequence_lstm.test.ts, sparse.test.ts). */
import { type Graph, type Op, elementCount } from '../../src/core/ir/graph.ts';
import { type TensorBuffer, allocBuffer } from '../../src/core/ir/buffers.ts';
import { type TensorSpec, randomInt, randomInt8, rng, singleOpGraph } from './op_harness.ts';

export interface LstmSpec {
  batches: number;
  steps: number;
  inputSize: number;
  units: number;
  timeMajor?: boolean;
  inScale?: number;
  inZp?: number;
  /** the hidden state's and the output's quantization */
  hScale?: number;
  hZp?: number;
  /** log2 of the cell state scale */
  cellPower?: number;
  cellClip?: number;
  /** weight scales: 4 input-to-gate then 4 recurrent-to-gate */
  wScales?: number[];
  weights?: Int8Array[];
  biases?: Int32Array[];
  seed?: number;
}

/** A one-op graph in TFLite's 24-input layout; the hidden and cell states are variable tensors. */
export function lstmGraph(s: LstmSpec): { graph: Graph; op: Op } {
  const rand = rng(s.seed ?? 1);
  const [d0, d1] = s.timeMajor ? [s.steps, s.batches] : [s.batches, s.steps];
  const hq = { scale: s.hScale ?? 1 / 128, zeroPoint: s.hZp ?? 0 };
  const wScales = s.wScales ?? Array.from({ length: 8 }, () => 0.002 + rand() * 0.01);
  const weight = (k: number, cols: number): TensorSpec => ({
    shape: [s.units, cols],
    scale: wScales[k]!,
    data: s.weights?.[k] ?? randomInt8(rand, s.units * cols, -127, 127),
  });
  const bias = (k: number): TensorSpec => ({
    shape: [s.units],
    dtype: 'int32',
    scale: (s.inScale ?? 0.02) * wScales[k]!,
    data: s.biases?.[k] ?? Int32Array.from({ length: s.units }, () => randomInt(rand, -3000, 3000)),
  });
  const inputs: (TensorSpec | null)[] = [
    { shape: [d0, d1, s.inputSize], scale: s.inScale ?? 0.02, zeroPoint: s.inZp ?? 0 },
    weight(0, s.inputSize),
    weight(1, s.inputSize),
    weight(2, s.inputSize),
    weight(3, s.inputSize),
    weight(4, s.units),
    weight(5, s.units),
    weight(6, s.units),
    weight(7, s.units),
    null,
    null,
    null,
    bias(0),
    bias(1),
    bias(2),
    bias(3),
    null,
    null,
    { shape: [s.batches, s.units], ...hq, name: 'hidden_state' },
    { shape: [s.batches, s.units], dtype: 'int16', scale: 2 ** (s.cellPower ?? -11), zeroPoint: 0, name: 'cell_state' },
    null,
    null,
    null,
    null,
  ];
  const { graph, op } = singleOpGraph('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [{ shape: [d0, d1, s.units], ...hq }], {
    activation: 'TANH',
    cellClip: s.cellClip ?? 0,
    projClip: 0,
    timeMajor: s.timeMajor ?? false,
    asymmetricQuantizeInputs: false,
  });
  for (const i of [op.inputs[18]!, op.inputs[19]!]) graph.tensors[i]!.isVariable = true;
  graph.inputs = [op.inputs[0]!];
  return { graph, op };
}

/** The states as TFLite Micro resets them: an int8 variable tensor to its zero point, others to 0. */
export const zeroState = (graph: Graph, op: Op): TensorBuffer[] =>
  [op.inputs[18]!, op.inputs[19]!].map((i) => {
    const t = graph.tensors[i]!;
    const buffer = allocBuffer(t.dtype, elementCount(t.shape));
    if (t.dtype === 'int8') (buffer as Int8Array).fill(t.quant?.zeroPoint[0] ?? 0);
    return buffer;
  });

export interface FloatLstmSpec {
  batches: number;
  steps: number;
  inputSize: number;
  units: number;
  timeMajor?: boolean;
  cellClip?: number;
  /** weights and biases drawn uniformly from [-spread, spread) (default 0.6) */
  spread?: number;
  /** the gate weights (4 input-to-gate, then 4 recurrent-to-gate) and biases, instead of random ones */
  weights?: Float32Array[];
  biases?: Float32Array[];
  seed?: number;
}

/** A float32 LSTM in TFLite's 24-input layout: float32 weights, biases and variable states. */
export function floatLstmGraph(s: FloatLstmSpec): { graph: Graph; op: Op } {
  const rand = rng(s.seed ?? 1);
  const spread = s.spread ?? 0.6;
  const uniform = (n: number) => Float32Array.from({ length: n }, () => Math.fround((2 * rand() - 1) * spread));
  const [d0, d1] = s.timeMajor ? [s.steps, s.batches] : [s.batches, s.steps];
  const f32 = (shape: number[], data?: Float32Array, name?: string): TensorSpec => ({
    shape,
    dtype: 'float32',
    ...(data ? { data } : {}),
    ...(name ? { name } : {}),
  });
  const weight = (k: number, cols: number) => f32([s.units, cols], s.weights?.[k] ?? uniform(s.units * cols));
  const bias = (k: number) => f32([s.units], s.biases?.[k] ?? uniform(s.units));
  const inputs: (TensorSpec | null)[] = [
    f32([d0, d1, s.inputSize]),
    ...[0, 1, 2, 3].map((k) => weight(k, s.inputSize)),
    ...[4, 5, 6, 7].map((k) => weight(k, s.units)),
    null,
    null,
    null,
    ...[0, 1, 2, 3].map(bias),
    null,
    null,
    f32([s.batches, s.units], undefined, 'hidden_state'),
    f32([s.batches, s.units], undefined, 'cell_state'),
    null,
    null,
    null,
    null,
  ];
  const { graph, op } = singleOpGraph('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [f32([d0, d1, s.units])], {
    activation: 'TANH',
    cellClip: s.cellClip ?? 0,
    projClip: 0,
    timeMajor: s.timeMajor ?? false,
    asymmetricQuantizeInputs: false,
  });
  for (const i of [op.inputs[18]!, op.inputs[19]!]) graph.tensors[i]!.isVariable = true;
  graph.inputs = [op.inputs[0]!];
  return { graph, op };
}
