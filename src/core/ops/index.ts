// SPDX-License-Identifier: Apache-2.0
import type { OpDef } from './op.ts';
import conv2d from './conv_2d/index.ts';
import depthwiseConv2d from './depthwise_conv_2d/index.ts';
import fullyConnected from './fully_connected/index.ts';
import averagePool2d from './average_pool_2d/index.ts';
import maxPool2d from './max_pool_2d/index.ts';
import add from './add/index.ts';
import reshape from './reshape/index.ts';
import softmax from './softmax/index.ts';
import quantize from './quantize/index.ts';
import dequantize from './dequantize/index.ts';
import unidirectionalSequenceLstm from './unidirectional_sequence_lstm/index.ts';
import svdf from './svdf/index.ts';

// shape and data movement
import pad from './pad/index.ts';
import padv2 from './padv2/index.ts';
import concatenation from './concatenation/index.ts';
import transpose from './transpose/index.ts';
import stridedSlice from './strided_slice/index.ts';
import slice from './slice/index.ts';
import split from './split/index.ts';
import splitV from './split_v/index.ts';
import pack from './pack/index.ts';
import unpack from './unpack/index.ts';
import squeeze from './squeeze/index.ts';
import expandDims from './expand_dims/index.ts';
import resizeNearestNeighbor from './resize_nearest_neighbor/index.ts';
import resizeBilinear from './resize_bilinear/index.ts';
import spaceToDepth from './space_to_depth/index.ts';
import depthToSpace from './depth_to_space/index.ts';
import tile from './tile/index.ts';

const SHAPE_OPS: OpDef[] = [
  pad,
  padv2,
  concatenation,
  transpose,
  stridedSlice,
  slice,
  split,
  splitV,
  pack,
  unpack,
  squeeze,
  expandDims,
  resizeNearestNeighbor,
  resizeBilinear,
  spaceToDepth,
  depthToSpace,
  tile,
];

// elementwise, activations, reductions and others
import mul from './mul/index.ts';
import sub from './sub/index.ts';
import maximum from './maximum/index.ts';
import minimum from './minimum/index.ts';
import squaredDifference from './squared_difference/index.ts';
import relu from './relu/index.ts';
import relu6 from './relu6/index.ts';
import reluN1To1 from './relu_n1_to_1/index.ts';
import leakyRelu from './leaky_relu/index.ts';
import prelu from './prelu/index.ts';
import hardSwish from './hard_swish/index.ts';
import logistic from './logistic/index.ts';
import tanh from './tanh/index.ts';
import mean from './mean/index.ts';
import sum from './sum/index.ts';
import reduceMax from './reduce_max/index.ts';
import argMax from './arg_max/index.ts';
import transposeConv from './transpose_conv/index.ts';
import batchMatmul from './batch_matmul/index.ts';
import l2Normalization from './l2_normalization/index.ts';
// comparisons, selection, casts, scans and resource variables
import equal from './equal/index.ts';
import notEqual from './not_equal/index.ts';
import less from './less/index.ts';
import lessEqual from './less_equal/index.ts';
import greater from './greater/index.ts';
import greaterEqual from './greater_equal/index.ts';
import spaceToBatchNd from './space_to_batch_nd/index.ts';
import batchToSpaceNd from './batch_to_space_nd/index.ts';
import gather from './gather/index.ts';
import readVariable from './read_variable/index.ts';
import assignVariable from './assign_variable/index.ts';
import cast from './cast/index.ts';
import zerosLike from './zeros_like/index.ts';
import cumsum from './cumsum/index.ts';
import selectV2 from './select_v2/index.ts';
import select from './select/index.ts';
import mirrorPad from './mirror_pad/index.ts';
import broadcastTo from './broadcast_to/index.ts';
import argMin from './arg_min/index.ts';
import reduceMin from './reduce_min/index.ts';

const LOGIC_OPS: OpDef[] = [
  equal,
  notEqual,
  less,
  lessEqual,
  greater,
  greaterEqual,
  spaceToBatchNd,
  batchToSpaceNd,
  gather,
  readVariable,
  assignVariable,
  cast,
  zerosLike,
  cumsum,
  selectV2,
  select,
  mirrorPad,
  broadcastTo,
  argMin,
  reduceMin,
];

const ARITHMETIC_OPS: OpDef[] = [
  mul,
  sub,
  maximum,
  minimum,
  squaredDifference,
  relu,
  relu6,
  reluN1To1,
  leakyRelu,
  prelu,
  hardSwish,
  logistic,
  tanh,
  mean,
  sum,
  reduceMax,
  argMax,
  transposeConv,
  batchMatmul,
  l2Normalization,
];

// elementwise math (TFLite Micro's int8/int16 kernels; float32 where TFLM has only float)
import abs from './abs/index.ts';
import rsqrt from './rsqrt/index.ts';
import elu from './elu/index.ts';
import div from './div/index.ts';
import gelu from './gelu/index.ts';
import logSoftmax from './log_softmax/index.ts';
import neg from './neg/index.ts';
import square from './square/index.ts';
import floor from './floor/index.ts';
import sqrt from './sqrt/index.ts';
import exp from './exp/index.ts';
import log from './log/index.ts';
// ADD_N's folder is shared with the logic-ops work (its kernel, this C template); registered once here
import addNOp from './add_n/index.ts';

const MATH_OPS: OpDef[] = [abs, rsqrt, elu, div, gelu, logSoftmax, neg, square, floor, sqrt, exp, log, addNOp];

// TFLite Micro's signal library: custom ops of audio and sensor front-ends (CUSTOM:Signal<Name>)
import signalDelay from './signal_delay/index.ts';
import signalEnergy from './signal_energy/index.ts';
import signalFftAutoScale from './signal_fft_auto_scale/index.ts';
import signalFilterBank from './signal_filter_bank/index.ts';
import signalFilterBankLog from './signal_filter_bank_log/index.ts';
import signalFilterBankSpectralSubtraction from './signal_filter_bank_spectral_subtraction/index.ts';
import signalFilterBankSquareRoot from './signal_filter_bank_square_root/index.ts';
import signalFramer from './signal_framer/index.ts';
import signalIrfft from './signal_irfft/index.ts';
import signalOverlapAdd from './signal_overlap_add/index.ts';
import signalPcan from './signal_pcan/index.ts';
import signalRfft from './signal_rfft/index.ts';
import signalStacker from './signal_stacker/index.ts';
import signalWindow from './signal_window/index.ts';

const SIGNAL_OPS: OpDef[] = [
  signalDelay,
  signalEnergy,
  signalFftAutoScale,
  signalFilterBank,
  signalFilterBankLog,
  signalFilterBankSpectralSubtraction,
  signalFilterBankSquareRoot,
  signalFramer,
  signalIrfft,
  signalOverlapAdd,
  signalPcan,
  signalRfft,
  signalStacker,
  signalWindow,
];

// logical ops and boolean reductions
import logicalAnd from './logical_and/index.ts';
import logicalOr from './logical_or/index.ts';
import logicalNot from './logical_not/index.ts';
import reduceAll from './reduce_all/index.ts';
// control flow: subgraphs compiled into the calling layer
import ifOp from './if/index.ts';
import whileOp from './while/index.ts';
import shapeOp from './shape/index.ts';

const LOGICAL_OPS: OpDef[] = [logicalAnd, logicalOr, logicalNot, reduceAll, ifOp, whileOp, shapeOp];

// float32-only math TFLite Micro has float kernels for: rounding, floor division and remainder, L2 pooling, sine, cosine
import ceil from './ceil/index.ts';
import round from './round/index.ts';
import floorDiv from './floor_div/index.ts';
import floorMod from './floor_mod/index.ts';
import l2Pool2d from './l2_pool_2d/index.ts';
import sin from './sin/index.ts';
import cos from './cos/index.ts';
import detectionPostProcess from './detection_postprocess/index.ts';

const FLOAT_MATH_OPS: OpDef[] = [ceil, round, floorDiv, floorMod, l2Pool2d, sin, cos, detectionPostProcess];

// lookups, index-driven updates and shape tensors (TFLite Micro's float32 and integer kernels)
import embeddingLookup from './embedding_lookup/index.ts';
import gatherNd from './gather_nd/index.ts';
import reverseV2 from './reverse_v2/index.ts';
import dynamicUpdateSlice from './dynamic_update_slice/index.ts';
import broadcastArgs from './broadcast_args/index.ts';
import fill from './fill/index.ts';

const TENSOR_OPS: OpDef[] = [embeddingLookup, gatherNd, reverseV2, dynamicUpdateSlice, broadcastArgs, fill];

/** Every op tinyforge compiles, by TFLite builtin name (custom ops as CUSTOM:<custom code>). */
export const OPS: ReadonlyMap<string, OpDef> = new Map(
  [
    conv2d,
    depthwiseConv2d,
    fullyConnected,
    averagePool2d,
    maxPool2d,
    add,
    reshape,
    softmax,
    quantize,
    dequantize,
    unidirectionalSequenceLstm,
    svdf,
    ...SHAPE_OPS,
    ...ARITHMETIC_OPS,
    ...LOGIC_OPS,
    ...MATH_OPS,
    ...SIGNAL_OPS,
    ...LOGICAL_OPS,
    ...FLOAT_MATH_OPS,
    ...TENSOR_OPS,
  ].map((d) => [d.kind, d]),
);

export function opDef(kind: string): OpDef | undefined {
  return OPS.get(kind);
}
