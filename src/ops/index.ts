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

const SHAPE_OPS: OpDef[] = [
  pad, padv2, concatenation, transpose, stridedSlice, slice, split, splitV, pack, unpack, squeeze, expandDims,
  resizeNearestNeighbor, resizeBilinear, spaceToDepth, depthToSpace,
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

const ARITHMETIC_OPS: OpDef[] = [
  mul, sub, maximum, minimum, squaredDifference, relu, relu6, reluN1To1, leakyRelu, prelu, hardSwish, logistic, tanh,
  mean, sum, reduceMax, argMax, transposeConv, batchMatmul, l2Normalization,
];

/** Every builtin op tinyforge compiles, by TFLite builtin name. */
export const OPS: ReadonlyMap<string, OpDef> = new Map(
  [conv2d, depthwiseConv2d, fullyConnected, averagePool2d, maxPool2d, add, reshape, softmax, quantize, dequantize, unidirectionalSequenceLstm, svdf, ...SHAPE_OPS, ...ARITHMETIC_OPS].map((d) => [d.kind, d]),
);

export function opDef(kind: string): OpDef | undefined {
  return OPS.get(kind);
}
