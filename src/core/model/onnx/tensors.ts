// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX TensorProto and ValueInfoProto contents: element types, static shapes and the numbers an
 * initializer holds (raw_data little-endian, or the typed repeated fields).
 */
import type { DType } from '../../ir/graph.ts';
import { OnnxDataType, type OnnxTensorProto, type OnnxValueInfoProto } from './schema.ts';

/** The IR dtype of each ONNX element type tinyforge reads. */
const DTYPE_OF: Partial<Record<number, DType>> = {
  [OnnxDataType.FLOAT]: 'float32',
  [OnnxDataType.UINT8]: 'uint8',
  [OnnxDataType.INT8]: 'int8',
  [OnnxDataType.INT16]: 'int16',
  [OnnxDataType.INT32]: 'int32',
  [OnnxDataType.INT64]: 'int64',
  [OnnxDataType.BOOL]: 'bool',
  // a double constant (a scale written by a careless exporter) is read as its float value
  [OnnxDataType.DOUBLE]: 'float32',
};

export function onnxTypeName(code: number | undefined): string {
  const entry = Object.entries(OnnxDataType).find(([, v]) => v === code);
  return entry ? entry[0] : `type ${code ?? 'unset'}`;
}

export function dtypeOfOnnx(code: number | undefined): DType | undefined {
  return code === undefined ? undefined : DTYPE_OF[code];
}

/** A problem found in one tensor; the caller names the file and the tensor. */
export class TensorContentError extends Error {}

/** The elements of an initializer or Constant value as numbers, row-major; throws TensorContentError. */
export function tensorValues(t: OnnxTensorProto): { dtype: DType; dims: number[]; values: number[] } {
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length > 0))
    throw new TensorContentError('its data is stored outside the model file (external data); save the model with its weights inside');
  const dtype = dtypeOfOnnx(t.dataType);
  if (!dtype) throw new TensorContentError(`element type ${onnxTypeName(t.dataType)} is not supported`);
  const dims = (t.dims ?? []).map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new TensorContentError(`invalid dims [${dims.join(',')}]`);
  const count = dims.reduce((n, d) => n * d, 1);
  const raw = t.rawData;
  let values: number[];
  if (raw && raw.length > 0) {
    const width = t.dataType === OnnxDataType.DOUBLE || dtype === 'int64' ? 8 : dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'int16' ? 2 : 1;
    if (raw.length !== count * width) throw new TensorContentError(`raw_data holds ${raw.length} bytes, its ${count} elements need ${count * width}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    values = new Array<number>(count);
    for (let k = 0; k < count; k++) {
      const at = k * width;
      if (t.dataType === OnnxDataType.DOUBLE) values[k] = view.getFloat64(at, true);
      else if (dtype === 'float32') values[k] = view.getFloat32(at, true);
      else if (dtype === 'int64') values[k] = Number(view.getBigInt64(at, true));
      else if (dtype === 'int32') values[k] = view.getInt32(at, true);
      else if (dtype === 'int16') values[k] = view.getInt16(at, true);
      else if (dtype === 'int8') values[k] = view.getInt8(at);
      else values[k] = view.getUint8(at);
    }
  } else {
    const typed = t.dataType === OnnxDataType.DOUBLE ? t.doubleData : dtype === 'float32' ? t.floatData : dtype === 'int64' ? t.int64Data : t.int32Data;
    values = (typed ?? []).map(Number);
    if (values.length !== count) throw new TensorContentError(`holds ${values.length} elements, its dims [${dims.join(',')}] need ${count}`);
    if (dtype === 'int8') values = values.map((v) => (v << 24) >> 24);
    if (dtype === 'uint8' || dtype === 'bool') values = values.map((v) => v & 0xff);
  }
  return { dtype, dims, values };
}

/** A value's declared element type and shape, if it has them. */
export interface DeclaredType {
  elemType?: number;
  /** dims as declared: a number, or the name of a symbolic dimension */
  dims?: (number | string)[];
}

export function declaredType(info: OnnxValueInfoProto | undefined): DeclaredType {
  const tensorType = info?.type?.tensorType;
  if (!tensorType) return {};
  const result: DeclaredType = {};
  if (tensorType.elemType !== undefined) result.elemType = tensorType.elemType;
  if (tensorType.shape) result.dims = (tensorType.shape.dim ?? []).map((d) => (d.dimValue !== undefined ? Number(d.dimValue) : (d.dimParam ?? '?')));
  return result;
}
