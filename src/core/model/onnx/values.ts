// SPDX-License-Identifier: Apache-2.0
/**
 * What an ONNX value name stands for while a graph is lowered. ONNX computes on float tensors with
 * QuantizeLinear / DequantizeLinear around them (QDQ); the IR computes on quantized tensors. So a
 * value is either a constant (kept as numbers until an op decides its layout and type), a quantized
 * constant (DequantizeLinear of an initializer: weights, biases), or an IR activation tensor, which
 * for a DequantizeLinear output is the quantized tensor itself, read as its real values.
 */
import type { DType } from '../../ir/graph.ts';

/** A constant (an initializer, a Constant node's value), its elements as numbers in row-major order. */
export interface ConstValue {
  kind: 'const';
  dtype: DType;
  dims: number[];
  values: number[];
}

/** DequantizeLinear of a constant: integer values with their scale and zero point. */
export interface QuantConstValue {
  kind: 'qconst';
  /** int8, uint8 or int32, as stored in the file */
  dtype: DType;
  dims: number[];
  values: number[];
  scale: number[];
  zeroPoint: number[];
  /** the ONNX axis of per-channel parameters (0 when per-tensor) */
  axis: number;
}

/**
 * An IR activation. `perm` relates the two layouts: IR axis i holds ONNX axis perm[i] (an NCHW value
 * kept NHWC has perm [0, 2, 3, 1]). `dequantized` marks a DequantizeLinear output: the float values
 * ONNX computes on are this quantized tensor's real values.
 */
export interface ActivationValue {
  kind: 'tensor';
  index: number;
  perm: number[];
  dequantized?: boolean;
}

export type Value = ConstValue | QuantConstValue | ActivationValue;

export const identityPerm = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);

/** Channels-last for a channels-first ONNX layout of `rank` (N, C, spatial...) -> (N, spatial..., C). */
export function channelsLastPerm(rank: number): number[] {
  if (rank < 3) return identityPerm(rank);
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** The ONNX shape of an IR shape stored under `perm`. */
export function onnxShapeOf(irShape: readonly number[], perm: readonly number[]): number[] {
  const shape = new Array<number>(irShape.length);
  perm.forEach((onnxAxis, irAxis) => (shape[onnxAxis] = irShape[irAxis]!));
  return shape;
}

/** The IR shape of an ONNX shape stored under `perm`. */
export function irShapeOf(onnxShape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((onnxAxis) => onnxShape[onnxAxis]!);
}

export function samePerm(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * dims[i + 1]!;
  return strides;
}

/** Transposes row-major `values` of shape `dims`: output axis i is input axis perm[i]. */
export function transposeValues(values: readonly number[], dims: readonly number[], perm: readonly number[]): number[] {
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = stridesOf(dims);
  const count = values.length;
  const out = new Array<number>(count);
  const coord = new Array<number>(outDims.length).fill(0);
  for (let k = 0; k < count; k++) {
    let src = 0;
    for (let i = 0; i < outDims.length; i++) src += coord[i]! * inStrides[perm[i]!]!;
    out[k] = values[src]!;
    for (let i = outDims.length - 1; i >= 0; i--) {
      if (++coord[i]! < outDims[i]!) break;
      coord[i] = 0;
    }
  }
  return out;
}

/** Whether two quantizations are the same (scales compared exactly, as float32). */
export function sameQuantization(a: { scale: number[]; zeroPoint: number[] }, b: { scale: number[]; zeroPoint: number[] }): boolean {
  return (
    a.scale.length === b.scale.length &&
    a.scale.every((s, i) => Math.fround(s) === Math.fround(b.scale[i]!)) &&
    a.zeroPoint.every((z, i) => z === b.zeroPoint[i])
  );
}
