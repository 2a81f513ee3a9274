// SPDX-License-Identifier: Apache-2.0
/**
 * What the shape and data-movement ops share: reading their constant index inputs (axes, paddings,
 * begin/end, sizes), dtype and shape checks with messages that name the tensor, and a coordinate walk
 * for the reference kernels. These ops move elements without arithmetic, so they accept every dtype
 * (int8 and int16 activations, and int32/int64 shape tensors that constant folding evaluates).
 */
import { OpError } from '../../../errors.ts';
import { DTYPE_C, type Graph, type Op, type Tensor, elementCount, isConstant } from '../../../ir/graph.ts';
import { fromBytes } from '../../../ir/buffers.ts';
import { tensorLabel } from './weighted.ts';
import { denseStrides } from './strided_copy.ts';

/** `[1,8,8,3]` */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** `1x8x8x3` for C comments (`scalar` for rank 0) */
export function shapeComment(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('x');
}

/**
 * The values of a constant integer input (axis, paddings, begin/end/strides, sizes). TFLite stores
 * them as int32 (some ops also allow int64); anything computed at run time is a dynamic shape.
 */
export function constIndexValues(op: Op, t: Tensor, role: string): number[] {
  if (!isConstant(t)) {
    throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is computed at run time (a dynamic shape); tinyforge needs it constant`);
  }
  if (t.dtype === 'int32') return Array.from(fromBytes('int32', t.data!) as Int32Array);
  if (t.dtype === 'int64') return Array.from(fromBytes('int64', t.data!) as BigInt64Array, Number);
  throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; expected int32 or int64`);
}

/** An axis in [-rank, rank) made non-negative; OpError otherwise. */
export function normalizeAxis(op: Op, axis: unknown, rank: number, role = 'axis'): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new OpError(op.index, op.kind, `${role} ${String(axis)} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Input and output of a data-movement op hold the same element type. */
export function requireSameDtype(op: Op, input: Tensor, output: Tensor): void {
  if (input.dtype !== output.dtype) {
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype} but output ${tensorLabel(output)} is ${output.dtype}`);
  }
  if (!(input.dtype in DTYPE_C)) throw new OpError(op.index, op.kind, `dtype ${input.dtype} is not supported`);
}

/**
 * `check` and `prepare` of an op whose prepare does every check (the prepared parameters thrown away
 * by check); a data-movement op's `macs` is 0.
 */
export function checkedByPrepare<P>(prepare: (graph: Graph, op: Op) => P): { check(graph: Graph, op: Op): void; prepare(graph: Graph, op: Op): P } {
  return {
    check(graph, op) {
      prepare(graph, op);
    },
    prepare,
  };
}

export function requireShape(op: Op, t: Tensor, role: string, expected: readonly number[]): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has shape ${shapeText(t.shape)}; expected ${shapeText(expected)}`);
  }
}

/** The tensors at every output position, in order. */
export function outputTensors(graph: Graph, op: Op): Tensor[] {
  return op.outputs.map((o, i) => {
    const t = o >= 0 ? graph.tensors[o] : undefined;
    if (!t) throw new OpError(op.index, op.kind, `missing output ${i}`);
    return t;
  });
}

/** The non-absent input tensors from position `from` on. */
export function inputTensors(graph: Graph, op: Op, from = 0): Tensor[] {
  return op.inputs.slice(from).map((i, k) => {
    const t = i >= 0 ? graph.tensors[i] : undefined;
    if (!t) throw new OpError(op.index, op.kind, `missing input ${from + k}`);
    return t;
  });
}

/** Calls `visit` with every coordinate of `shape` in row-major order and its flat index. */
export function forEachCoordinate(shape: readonly number[], visit: (coord: number[], flat: number) => void): void {
  const total = elementCount(shape);
  const coord = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    visit(coord, flat);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++coord[k]! < shape[k]!) break;
      coord[k] = 0;
    }
  }
}

/** The flat row-major offset of `coord` in `shape`. */
export function flatOffset(shape: readonly number[], coord: readonly number[]): number {
  let offset = 0;
  for (let k = 0; k < shape.length; k++) offset = offset * shape[k]! + coord[k]!;
  return offset;
}

/** Whether `perm` is a permutation of 0..rank-1. */
export function isPermutation(perm: readonly number[], rank: number): boolean {
  return perm.length === rank && [...perm].sort((a, b) => a - b).every((v, i) => v === i);
}

/**
 * How an op reads its data input: the tensor's own shape and strides, or, when a pass folded a
 * TRANSPOSE into the op (attribute `inputPermutation`, tinyforge-internal), the transposed view:
 * logical dimension k is the stored tensor's dimension perm[k].
 */
export interface InputView {
  shape: number[];
  /** element strides into the stored tensor, per logical dimension */
  strides: number[];
  perm?: number[];
}

export function inputView(op: Op, t: Tensor): InputView {
  const stored = t.shape;
  const dense = denseStrides(stored);
  const perm = op.attrs.inputPermutation as number[] | undefined;
  if (perm === undefined) return { shape: [...stored], strides: dense };
  if (!Array.isArray(perm) || !isPermutation(perm, stored.length)) {
    throw new OpError(op.index, op.kind, `internal attribute inputPermutation ${JSON.stringify(perm)} is not a permutation of rank ${stored.length}`);
  }
  return { shape: perm.map((p) => stored[p]!), strides: perm.map((p) => dense[p]!), perm: [...perm] };
}

/** Reads an element of a strided view: `strides` per coordinate into the flat buffer. */
export function viewOffset(strides: readonly number[], coord: readonly number[]): number {
  let offset = 0;
  for (let k = 0; k < strides.length; k++) offset += coord[k]! * strides[k]!;
  return offset;
}
