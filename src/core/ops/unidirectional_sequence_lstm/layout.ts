// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's layout in a TFLite file, shared by the integer and the float kernels: TFLite's input
 * indices (lstm_shared.h), the standard-LSTM checks TFLite Micro makes of both, and the shapes of
 * the state, output, gate weights and biases. What differs by type (quantization, dtypes) is each
 * kernel's own, passed in as hooks.
 */
import { OpError } from '../../errors.ts';
import { type Graph, type Op, type Tensor, elementCount, isConstant } from '../../ir/graph.ts';
import { requireConstant, requireInput, requireRank, tensorLabel } from '../common/families/weighted.ts';

export const INPUT = 0;
export const INPUT_WEIGHTS = [1, 2, 3, 4] as const; // input, forget, cell, output gate
export const RECURRENT_WEIGHTS = [5, 6, 7, 8] as const;
export const PEEPHOLE = [9, 10, 11] as const;
export const BIASES = [12, 13, 14, 15] as const;
export const PROJECTION = [16, 17] as const;
export const HIDDEN_STATE = 18;
export const CELL_STATE = 19;
export const LAYER_NORM = [20, 21, 22, 23] as const;
export const GATE_NAMES = ['input', 'forget', 'cell', 'output'] as const;

export interface LstmAttrs {
  activation?: string;
  cellClip?: number;
  projClip?: number;
  timeMajor?: boolean;
  asymmetricQuantizeInputs?: boolean;
}

export function present(op: Op, position: number): boolean {
  const i = op.inputs[position];
  return i !== undefined && i >= 0;
}

/** Batches, time steps and input size of the rank-3 input, by its major axis. */
export function lstmSizes(input: Tensor, timeMajor: boolean): { batches: number; steps: number; inputSize: number } {
  const [d0, d1, inputSize] = input.shape as [number, number, number];
  return timeMajor ? { batches: d1, steps: d0, inputSize } : { batches: d0, steps: d1, inputSize };
}

/** The 24-input layout with none of what TFLite Micro's LSTM leaves out: peephole, projection, layer norm, CIFG. */
export function requireStandardLstm(op: Op): void {
  if (op.inputs.length !== 24) throw new OpError(op.index, op.kind, `expected 24 inputs (TFLite's LSTM layout), got ${op.inputs.length}`);
  for (const [list, what] of [
    [PEEPHOLE, 'peephole weights'],
    [PROJECTION, 'projection'],
    [LAYER_NORM, 'layer norm coefficients'],
  ] as const) {
    const found = list.find((i) => present(op, i));
    if (found !== undefined)
      throw new OpError(
        op.index,
        op.kind,
        `${what} (input ${found}) are not supported: TFLite Micro's LSTM runs the standard LSTM only (no peephole, projection or layer norm)`,
      );
  }
  if (!present(op, INPUT_WEIGHTS[0]))
    throw new OpError(op.index, op.kind, 'input-to-input weights are absent (CIFG LSTM), which TFLite Micro does not support');
}

/** Hidden and cell state live in variable tensors, read and updated in place. */
export function requireStateVariables(op: Op, hidden: Tensor, cell: Tensor): void {
  for (const [t, role] of [
    [hidden, 'hidden state'],
    [cell, 'cell state'],
  ] as const) {
    if (!t.isVariable || isConstant(t))
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is not a variable tensor; the LSTM keeps its state in variable tensors`);
  }
}

export interface LstmTensors {
  input: Tensor;
  output: Tensor;
  hidden: Tensor;
  cell: Tensor;
  timeMajor: boolean;
}

/**
 * The units the hidden state implies, and every shape that must agree with them: the cell state,
 * the output, each gate's [units, inputs] and [units, units] weights and its bias. `weight` and
 * `bias` check what a kernel needs of their types, after the shape (weights) and before the length (biases).
 */
export function requireLstmShapes(
  graph: Graph,
  op: Op,
  t: LstmTensors,
  weight: (w: Tensor, role: string, units: number) => void = () => {},
  bias: (b: Tensor, role: string) => void = () => {},
): number {
  const { input, output, hidden, cell } = t;
  const { batches, inputSize } = lstmSizes(input, t.timeMajor);
  const units = elementCount(hidden.shape) / Math.max(batches, 1);
  if (!Number.isInteger(units) || units < 1)
    throw new OpError(
      op.index,
      op.kind,
      `hidden state ${tensorLabel(hidden)} has ${elementCount(hidden.shape)} elements, not a multiple of the ${batches} batch(es)`,
    );
  if (elementCount(cell.shape) !== batches * units)
    throw new OpError(op.index, op.kind, `cell state ${tensorLabel(cell)} has ${elementCount(cell.shape)} elements; expected ${batches * units}`);
  const expectedOut = [input.shape[0]!, input.shape[1]!, units];
  if (output.shape.join(',') !== expectedOut.join(','))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected [${expectedOut.join(',')}]`);
  for (let g = 0; g < 4; g++) {
    const name = GATE_NAMES[g]!;
    for (const [position, cols, role] of [
      [INPUT_WEIGHTS[g]!, inputSize, `input-to-${name} weights`],
      [RECURRENT_WEIGHTS[g]!, units, `recurrent-to-${name} weights`],
    ] as const) {
      const w = requireInput(graph, op, position, role);
      requireRank(op, w, role, 2);
      if (w.shape[0] !== units || w.shape[1] !== cols)
        throw new OpError(op.index, op.kind, `${role} ${tensorLabel(w)} have shape [${w.shape.join(',')}]; expected [${units},${cols}]`);
      weight(w, role, units);
      requireConstant(op, w, role);
    }
    const role = `${name} gate bias`;
    const b = requireInput(graph, op, BIASES[g]!, role);
    bias(b, role);
    if (elementCount(b.shape) !== units)
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(b)} has ${elementCount(b.shape)} elements; expected ${units}`);
    requireConstant(op, b, role);
  }
  return units;
}
