// SPDX-License-Identifier: Apache-2.0
/**
 * Builtin operator options <-> IR attributes.
 *
 * Reading: the options table is unpacked with the generated object API, its camelCase fields are
 * copied into a plain object, enum fields become their names ('SAME', 'RELU6', 'INT32', ...) and a few
 * fields are renamed to the IR's names (fused_activation_function -> activation, dilation_h_factor
 * -> dilationH, filter_height -> filterH). The ops the IR types (src/core/ir/graph.ts) keep exactly the
 * fields of their attribute interface; every other op keeps all fields, so later ops can read them.
 * Writing is the inverse: start from the table's defaults and take every field the attrs carry.
 */
import * as tfl from './generated/schema_generated.ts';
import { OpAttrs } from '../../ir/graph.ts';

/** The BuiltinOptions member each builtin op carries (by TFLite's converter); absent: no options. */
const OPTIONS_OF_OP: Record<string, keyof typeof tfl.BuiltinOptions> = {
  ADD: 'AddOptions',
  AVERAGE_POOL_2D: 'Pool2DOptions',
  MAX_POOL_2D: 'Pool2DOptions',
  L2_POOL_2D: 'Pool2DOptions',
  CONCATENATION: 'ConcatenationOptions',
  CONV_2D: 'Conv2DOptions',
  DEPTHWISE_CONV_2D: 'DepthwiseConv2DOptions',
  DEPTH_TO_SPACE: 'DepthToSpaceOptions',
  DEQUANTIZE: 'DequantizeOptions',
  FULLY_CONNECTED: 'FullyConnectedOptions',
  L2_NORMALIZATION: 'L2NormOptions',
  LOCAL_RESPONSE_NORMALIZATION: 'LocalResponseNormalizationOptions',
  LSH_PROJECTION: 'LSHProjectionOptions',
  LSTM: 'LSTMOptions',
  MUL: 'MulOptions',
  RESHAPE: 'ReshapeOptions',
  RESIZE_BILINEAR: 'ResizeBilinearOptions',
  RNN: 'RNNOptions',
  SOFTMAX: 'SoftmaxOptions',
  SPACE_TO_DEPTH: 'SpaceToDepthOptions',
  SVDF: 'SVDFOptions',
  CONCAT_EMBEDDINGS: 'ConcatEmbeddingsOptions',
  SKIP_GRAM: 'SkipGramOptions',
  CALL: 'CallOptions',
  EMBEDDING_LOOKUP_SPARSE: 'EmbeddingLookupSparseOptions',
  PAD: 'PadOptions',
  UNIDIRECTIONAL_SEQUENCE_RNN: 'SequenceRNNOptions',
  GATHER: 'GatherOptions',
  BATCH_TO_SPACE_ND: 'BatchToSpaceNDOptions',
  SPACE_TO_BATCH_ND: 'SpaceToBatchNDOptions',
  TRANSPOSE: 'TransposeOptions',
  MEAN: 'ReducerOptions',
  SUM: 'ReducerOptions',
  REDUCE_PROD: 'ReducerOptions',
  REDUCE_MAX: 'ReducerOptions',
  REDUCE_MIN: 'ReducerOptions',
  REDUCE_ANY: 'ReducerOptions',
  REDUCE_ALL: 'ReducerOptions',
  SUB: 'SubOptions',
  DIV: 'DivOptions',
  SQUEEZE: 'SqueezeOptions',
  UNIDIRECTIONAL_SEQUENCE_LSTM: 'UnidirectionalSequenceLSTMOptions',
  STRIDED_SLICE: 'StridedSliceOptions',
  BIDIRECTIONAL_SEQUENCE_RNN: 'BidirectionalSequenceRNNOptions',
  EXP: 'ExpOptions',
  TOPK_V2: 'TopKV2Options',
  SPLIT: 'SplitOptions',
  LOG_SOFTMAX: 'LogSoftmaxOptions',
  BIDIRECTIONAL_SEQUENCE_LSTM: 'BidirectionalSequenceLSTMOptions',
  CAST: 'CastOptions',
  MAXIMUM: 'MaximumMinimumOptions',
  MINIMUM: 'MaximumMinimumOptions',
  ARG_MAX: 'ArgMaxOptions',
  ARG_MIN: 'ArgMinOptions',
  LESS: 'LessOptions',
  NEG: 'NegOptions',
  PADV2: 'PadV2Options',
  GREATER: 'GreaterOptions',
  GREATER_EQUAL: 'GreaterEqualOptions',
  LESS_EQUAL: 'LessEqualOptions',
  SELECT: 'SelectOptions',
  SLICE: 'SliceOptions',
  TRANSPOSE_CONV: 'TransposeConvOptions',
  SPARSE_TO_DENSE: 'SparseToDenseOptions',
  TILE: 'TileOptions',
  EXPAND_DIMS: 'ExpandDimsOptions',
  EQUAL: 'EqualOptions',
  NOT_EQUAL: 'NotEqualOptions',
  SHAPE: 'ShapeOptions',
  POW: 'PowOptions',
  FAKE_QUANT: 'FakeQuantOptions',
  PACK: 'PackOptions',
  LOGICAL_OR: 'LogicalOrOptions',
  ONE_HOT: 'OneHotOptions',
  LOGICAL_AND: 'LogicalAndOptions',
  LOGICAL_NOT: 'LogicalNotOptions',
  UNPACK: 'UnpackOptions',
  FLOOR_DIV: 'FloorDivOptions',
  SQUARE: 'SquareOptions',
  ZEROS_LIKE: 'ZerosLikeOptions',
  FILL: 'FillOptions',
  FLOOR_MOD: 'FloorModOptions',
  RANGE: 'RangeOptions',
  RESIZE_NEAREST_NEIGHBOR: 'ResizeNearestNeighborOptions',
  LEAKY_RELU: 'LeakyReluOptions',
  SQUARED_DIFFERENCE: 'SquaredDifferenceOptions',
  MIRROR_PAD: 'MirrorPadOptions',
  ABS: 'AbsOptions',
  SPLIT_V: 'SplitVOptions',
  UNIQUE: 'UniqueOptions',
  REVERSE_V2: 'ReverseV2Options',
  ADD_N: 'AddNOptions',
  GATHER_ND: 'GatherNdOptions',
  COS: 'CosOptions',
  WHERE: 'WhereOptions',
  RANK: 'RankOptions',
  REVERSE_SEQUENCE: 'ReverseSequenceOptions',
  MATRIX_DIAG: 'MatrixDiagOptions',
  QUANTIZE: 'QuantizeOptions',
  MATRIX_SET_DIAG: 'MatrixSetDiagOptions',
  HARD_SWISH: 'HardSwishOptions',
  IF: 'IfOptions',
  WHILE: 'WhileOptions',
  NON_MAX_SUPPRESSION_V4: 'NonMaxSuppressionV4Options',
  NON_MAX_SUPPRESSION_V5: 'NonMaxSuppressionV5Options',
  SCATTER_ND: 'ScatterNdOptions',
  SELECT_V2: 'SelectV2Options',
  DENSIFY: 'DensifyOptions',
  SEGMENT_SUM: 'SegmentSumOptions',
  BATCH_MATMUL: 'BatchMatMulOptions',
  CUMSUM: 'CumsumOptions',
  CALL_ONCE: 'CallOnceOptions',
  BROADCAST_TO: 'BroadcastToOptions',
  RFFT2D: 'Rfft2dOptions',
  CONV_3D: 'Conv3DOptions',
  CONV_3D_TRANSPOSE: 'Conv3DOptions',
  HASHTABLE: 'HashtableOptions',
  HASHTABLE_FIND: 'HashtableFindOptions',
  HASHTABLE_IMPORT: 'HashtableImportOptions',
  HASHTABLE_SIZE: 'HashtableSizeOptions',
  VAR_HANDLE: 'VarHandleOptions',
  READ_VARIABLE: 'ReadVariableOptions',
  ASSIGN_VARIABLE: 'AssignVariableOptions',
  RANDOM_STANDARD_NORMAL: 'RandomOptions',
  RANDOM_UNIFORM: 'RandomOptions',
  MULTINOMIAL: 'RandomOptions',
  BUCKETIZE: 'BucketizeOptions',
  GELU: 'GeluOptions',
  DYNAMIC_UPDATE_SLICE: 'DynamicUpdateSliceOptions',
  UNSORTED_SEGMENT_PROD: 'UnsortedSegmentProdOptions',
  UNSORTED_SEGMENT_MAX: 'UnsortedSegmentMaxOptions',
  UNSORTED_SEGMENT_MIN: 'UnsortedSegmentMinOptions',
  UNSORTED_SEGMENT_SUM: 'UnsortedSegmentSumOptions',
  ATAN2: 'ATan2Options',
  SIGN: 'SignOptions',
  BITCAST: 'BitcastOptions',
  BITWISE_XOR: 'BitwiseXorOptions',
  RIGHT_SHIFT: 'RightShiftOptions',
};

/** The same for the second options union (the StableHLO ops, read and written through only). */
const OPTIONS2_OF_OP: Record<string, keyof typeof tfl.BuiltinOptions2> = {
  STABLEHLO_CONCATENATE: 'StablehloConcatenateOptions',
  STABLEHLO_BROADCAST_IN_DIM: 'StablehloBroadcastInDimOptions',
  STABLEHLO_SLICE: 'StablehloSliceOptions',
  STABLEHLO_CONVOLUTION: 'StablehloConvolutionOptions',
  STABLEHLO_CUSTOM_CALL: 'StablehloCustomCallOptions',
  STABLEHLO_REDUCE: 'StablehloReduceOptions',
  STABLEHLO_SCATTER: 'StablehloScatterOptions',
  STABLEHLO_COMPARE: 'StablehloCompareOptions',
  STABLEHLO_DYNAMIC_SLICE: 'StablehloDynamicSliceOptions',
  STABLEHLO_PAD: 'StablehloPadOptions',
  STABLEHLO_IOTA: 'StablehloIotaOptions',
  STABLEHLO_DOT_GENERAL: 'StablehloDotGeneralOptions',
  STABLEHLO_REDUCE_WINDOW: 'StablehloReduceWindowOptions',
  STABLEHLO_SORT: 'StablehloSortOptions',
  STABLEHLO_WHILE: 'StablehloWhileOptions',
  STABLEHLO_GATHER: 'StablehloGatherOptions',
  STABLEHLO_TRANSPOSE: 'StablehloTransposeOptions',
  DILATE: 'DilateOptions',
  STABLEHLO_RNG_BIT_GENERATOR: 'StablehloRngBitGeneratorOptions',
  REDUCE_WINDOW: 'ReduceWindowOptions',
};

/** Which options union and member an op kind uses, or undefined if it has none. */
export interface OptionsSlot {
  union: 1 | 2;
  /** the union type tag (1-based member index) */
  tag: number;
  table: string;
}

export function optionsSlotOf(kind: string): OptionsSlot | undefined {
  const table = OPTIONS_OF_OP[kind];
  if (table) return { union: 1, tag: tfl.BuiltinOptions[table], table };
  const table2 = OPTIONS2_OF_OP[kind];
  if (table2) return { union: 2, tag: tfl.BuiltinOptions2[table2], table: table2 };
  return undefined;
}

/** Every op kind that carries builtin options. */
export function kindsWithOptions(): string[] {
  return [...Object.keys(OPTIONS_OF_OP), ...Object.keys(OPTIONS2_OF_OP)];
}

/** Field renames from the flatbuffer's camelCase names to the IR's attribute names. */
const RENAMED: Record<string, string> = {
  fusedActivationFunction: 'activation',
  dilationHFactor: 'dilationH',
  dilationWFactor: 'dilationW',
  filterHeight: 'filterH',
  filterWidth: 'filterW',
};

type EnumObject = Record<string, string | number>;

/** Enum-typed option fields (by flatbuffer field name), exposed in attrs by member name. */
const ENUM_FIELDS: Record<string, EnumObject> = {
  fusedActivationFunction: tfl.ActivationFunctionType,
  padding: tfl.Padding,
  quantizedBiasType: tfl.TensorType,
  inDataType: tfl.TensorType,
  outDataType: tfl.TensorType,
  outputType: tfl.TensorType,
  outType: tfl.TensorType,
  idxOutType: tfl.TensorType,
  keyDtype: tfl.TensorType,
  valueDtype: tfl.TensorType,
  weightsFormat: tfl.FullyConnectedOptionsWeightsFormat,
  kernelType: tfl.LSTMKernelType,
  combiner: tfl.CombinerType,
  mode: tfl.MirrorPadMode,
};

/** Attribute fields kept for the ops whose attributes the IR types; everything else keeps all. */
const TYPED_ATTRS: Record<string, readonly string[]> = {
  CONV_2D: ['padding', 'strideH', 'strideW', 'dilationH', 'dilationW', 'activation'],
  DEPTHWISE_CONV_2D: ['padding', 'strideH', 'strideW', 'dilationH', 'dilationW', 'activation', 'depthMultiplier'],
  AVERAGE_POOL_2D: ['padding', 'strideH', 'strideW', 'filterH', 'filterW', 'activation'],
  MAX_POOL_2D: ['padding', 'strideH', 'strideW', 'filterH', 'filterW', 'activation'],
  L2_POOL_2D: ['padding', 'strideH', 'strideW', 'filterH', 'filterW', 'activation'],
  FULLY_CONNECTED: ['activation', 'keepNumDims'],
  ADD: ['activation'],
  SUB: ['activation'],
  MUL: ['activation'],
  DIV: ['activation'],
  RESHAPE: ['newShape'],
  SOFTMAX: ['beta'],
};

/** A problem with one op's options; the reader/writer adds the file and op to the message. */
export class OptionsError extends Error {}

function enumName(field: string, enumObject: EnumObject, value: number): string {
  const name = enumObject[value];
  if (typeof name !== 'string') throw new OptionsError(`unknown ${field} value ${value}`);
  return name;
}

function enumValue(field: string, enumObject: EnumObject, name: unknown): number {
  const value = typeof name === 'string' ? enumObject[name] : undefined;
  if (typeof value !== 'number')
    throw new OptionsError(
      `${field} ${JSON.stringify(name)} is not one of ${Object.keys(enumObject)
        .filter((k) => isNaN(Number(k)))
        .join(', ')}`,
    );
  return value;
}

/** Converts an unpacked options object (generated `...OptionsT`) into the op's IR attributes. */
export function optionsToAttrs(kind: string, unpacked: object): OpAttrs {
  const all: OpAttrs = {};
  for (const [field, value] of Object.entries(unpacked)) {
    const name = RENAMED[field] ?? field;
    const enumObject = ENUM_FIELDS[field];
    all[name] = enumObject && typeof value === 'number' ? enumName(name, enumObject, value) : Array.isArray(value) ? [...value] : value;
  }

  if (kind === 'FULLY_CONNECTED' && all.weightsFormat !== 'DEFAULT') {
    throw new OptionsError(`weights format ${String(all.weightsFormat)} is not supported (only DEFAULT)`);
  }
  const kept = TYPED_ATTRS[kind];
  if (!kept) return all;
  const attrs: OpAttrs = {};
  for (const name of kept) attrs[name] = all[name];
  if (kind === 'RESHAPE' && (all.newShape as number[]).length === 0) delete attrs.newShape;
  // int16 ADD/SUB without power-of-two scales computes differently; the default (true) is implied
  if ((kind === 'ADD' || kind === 'SUB') && all.potScaleInt16 === false) attrs.potScaleInt16 = false;
  return attrs;
}

/** A generated object-API options instance: fields plus pack(). */
export interface PackableOptions {
  pack(builder: import('flatbuffers').Builder): number;
}

/** Builds the generated options object for `slot` from IR attributes (unset fields keep defaults). */
export function attrsToOptions(slot: OptionsSlot, attrs: OpAttrs): PackableOptions {
  const classes = tfl as unknown as Record<string, new () => PackableOptions & Record<string, unknown>>;
  const options = new classes[`${slot.table}T`]!();
  for (const field of Object.keys(options)) {
    const name = RENAMED[field] ?? field;
    if (!(name in attrs) || attrs[name] === undefined) continue;
    const value = attrs[name];
    const enumObject = ENUM_FIELDS[field];
    if (enumObject && typeof options[field] === 'number') {
      options[field] = enumValue(name, enumObject, value);
    } else if ((typeof options[field] !== typeof value && options[field] !== null) || Array.isArray(options[field]) !== Array.isArray(value)) {
      throw new OptionsError(`attribute ${name} is ${describe(value)}, expected ${describe(options[field])}`);
    } else {
      options[field] = value;
    }
  }
  return options;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
