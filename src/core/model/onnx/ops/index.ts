// SPDX-License-Identifier: Apache-2.0
/**
 * The ONNX ops tinyforge lowers, by op_type (default domain) or `domain:op_type`. Adding one is a
 * file in this folder and a line here (docs/onnx.md, "Adding an ONNX op").
 */
import type { OnnxOpLowering } from './registry.ts';
import { add } from './add.ts';
import { clip } from './clip.ts';
import { concat } from './concat.ts';
import { constant } from './constant.ts';
import { conv } from './conv.ts';
import { convTranspose } from './conv_transpose.ts';
import { dequantizeLinear } from './dequantize_linear.ts';
import { flatten } from './flatten.ts';
import { gemm } from './gemm.ts';
import { globalAveragePool } from './global_average_pool.ts';
import { hardSwish } from './hard_swish.ts';
import { identity } from './identity.ts';
import { leakyRelu } from './leaky_relu.ts';
import { matmul } from './matmul.ts';
import { mul } from './mul.ts';
import { pad } from './pad.ts';
import { averagePool, maxPool } from './pool.ts';
import { quantizeLinear } from './quantize_linear.ts';
import { relu } from './relu.ts';
import { reshape } from './reshape.ts';
import { resize } from './resize.ts';
import { sigmoid } from './sigmoid.ts';
import { softmax } from './softmax.ts';
import { squeeze } from './squeeze.ts';
import { transpose } from './transpose.ts';
import { unsqueeze } from './unsqueeze.ts';

export type { OnnxOpLowering } from './registry.ts';

export const ONNX_OPS: Readonly<Record<string, OnnxOpLowering>> = {
  Add: add,
  AveragePool: averagePool,
  Clip: clip,
  Concat: concat,
  Constant: constant,
  Conv: conv,
  ConvTranspose: convTranspose,
  DequantizeLinear: dequantizeLinear,
  Flatten: flatten,
  Gemm: gemm,
  GlobalAveragePool: globalAveragePool,
  HardSwish: hardSwish,
  Identity: identity,
  LeakyRelu: leakyRelu,
  MatMul: matmul,
  MaxPool: maxPool,
  Mul: mul,
  Pad: pad,
  QuantizeLinear: quantizeLinear,
  Relu: relu,
  Reshape: reshape,
  Resize: resize,
  Sigmoid: sigmoid,
  Softmax: softmax,
  Squeeze: squeeze,
  Transpose: transpose,
  Unsqueeze: unsqueeze,
  // ONNX Runtime's quantizer writes these for types the default domain lacked; int8 / uint8 read the same
  'com.microsoft:QuantizeLinear': quantizeLinear,
  'com.microsoft:DequantizeLinear': dequantizeLinear,
};

/** The lowering of a node's op, or undefined. */
export function onnxOpLowering(domain: string, opType: string): OnnxOpLowering | undefined {
  const key = domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
  return Object.hasOwn(ONNX_OPS, key) ? ONNX_OPS[key] : undefined;
}
