// SPDX-License-Identifier: Apache-2.0
/** Tensor types and operator codes between the flatbuffer's enums and the IR's names. */
import * as tfl from './generated/schema_generated.ts';
import { DType } from '../../ir/graph.ts';

const DTYPE_OF_TENSOR_TYPE: Partial<Record<tfl.TensorType, DType>> = {
  [tfl.TensorType.INT8]: 'int8',
  [tfl.TensorType.UINT8]: 'uint8',
  [tfl.TensorType.INT16]: 'int16',
  [tfl.TensorType.INT32]: 'int32',
  [tfl.TensorType.UINT32]: 'uint32',
  [tfl.TensorType.INT64]: 'int64',
  [tfl.TensorType.UINT64]: 'uint64',
  [tfl.TensorType.FLOAT32]: 'float32',
  [tfl.TensorType.BOOL]: 'bool',
};

const TENSOR_TYPE_OF_DTYPE: Record<DType, tfl.TensorType> = {
  int8: tfl.TensorType.INT8,
  uint8: tfl.TensorType.UINT8,
  int16: tfl.TensorType.INT16,
  int32: tfl.TensorType.INT32,
  uint32: tfl.TensorType.UINT32,
  int64: tfl.TensorType.INT64,
  uint64: tfl.TensorType.UINT64,
  float32: tfl.TensorType.FLOAT32,
  bool: tfl.TensorType.BOOL,
};

/** The IR dtype of a flatbuffer tensor type, or undefined for types the IR has no name for. */
export function dtypeOf(type: number): DType | undefined {
  return DTYPE_OF_TENSOR_TYPE[type as tfl.TensorType];
}

export function tensorTypeName(type: number): string {
  return tfl.TensorType[type] ?? String(type);
}

export function tensorTypeOf(dtype: DType): tfl.TensorType {
  return TENSOR_TYPE_OF_DTYPE[dtype];
}

/** Prefix of op kinds for builtin codes newer than our schema (kept so such a model still reads). */
const UNKNOWN_BUILTIN = 'BUILTIN_';
export const CUSTOM_PREFIX = 'CUSTOM:';

/** The op kind of an operator code: the BuiltinOperator name, or CUSTOM:<custom_code>. */
export function opKindOf(builtinCode: number, customCode: string | null): string {
  if (builtinCode === tfl.BuiltinOperator.CUSTOM) return `${CUSTOM_PREFIX}${customCode ?? ''}`;
  return tfl.BuiltinOperator[builtinCode] ?? `${UNKNOWN_BUILTIN}${builtinCode}`;
}

/** The builtin code and custom code of an op kind, or undefined if the kind names no operator. */
export function operatorCodeOf(kind: string): { builtin: number; custom?: string } | undefined {
  if (kind.startsWith(CUSTOM_PREFIX)) return { builtin: tfl.BuiltinOperator.CUSTOM, custom: kind.slice(CUSTOM_PREFIX.length) };
  if (kind.startsWith(UNKNOWN_BUILTIN)) {
    const code = Number(kind.slice(UNKNOWN_BUILTIN.length));
    return Number.isInteger(code) && code >= 0 && code <= 0x7fffffff ? { builtin: code } : undefined;
  }
  const code = (tfl.BuiltinOperator as unknown as Record<string, number>)[kind];
  return typeof code === 'number' && kind !== 'CUSTOM' ? { builtin: code } : undefined;
}
