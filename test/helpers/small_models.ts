// SPDX-License-Identifier: Apache-2.0
/**
 * Three small, deterministic models for the tests of the generated C's shape (API, file names,
 * snapshots): a conv net, a fully connected net and an elementwise/pool mix. Small on purpose, so the
 * committed snapshots of their C stay short. Their tensors carry TFLite-style long fused names.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

/** A name as TFLite's converter writes a fused layer's output: several `;`-joined paths. */
function fusedName(path: string): string {
  return [`${path}/Conv2D`, `${path}/Relu`, `${path}/BiasAdd`].join(';');
}

/** 8x8x1 -> CONV_2D 3x3 (4 channels, per-channel) -> DEPTHWISE_CONV_2D 3x3 stride 2 -> [1,4,4,4]. */
export function smallConvNet(name = 'small_conv'): Graph {
  const rand = rng(101);
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [1, 8, 8, 1], q: { scale: 0.05, zeroPoint: -3 }, name: 'serving_default_image:0' });
  const scales = [0.004, 0.006, 0.005, 0.007];
  const filter = b.constant(
    { shape: [4, 3, 3, 1], quant: { scale: scales, zeroPoint: [0, 0, 0, 0], axis: 0 }, name: 'conv/kernel' },
    randomInt8(rand, 36, -127, 127),
  );
  const bias = b.constant(
    { shape: [4], dtype: 'int32', name: 'conv/bias' },
    Int32Array.from({ length: 4 }, () => randomInt(rand, -500, 500)),
  );
  const conv = { dilationH: 1, dilationW: 1, activation: 'RELU' as const };
  const [y1] = b.op('CONV_2D', [x, filter, bias], [{ shape: [1, 8, 8, 4], q: { scale: 0.03, zeroPoint: -128 }, name: fusedName('model/sequential/conv2d') }], {
    ...conv,
    padding: 'SAME',
    strideH: 1,
    strideW: 1,
  });
  const dwFilter = b.constant(
    { shape: [1, 3, 3, 4], quant: { scale: scales.map((s) => s * 1.5), zeroPoint: [0, 0, 0, 0], axis: 3 }, name: 'dw/kernel' },
    randomInt8(rand, 36, -127, 127),
  );
  const dwBias = b.constant(
    { shape: [4], dtype: 'int32', name: 'dw/bias' },
    Int32Array.from({ length: 4 }, () => randomInt(rand, -300, 300)),
  );
  const [y2] = b.op(
    'DEPTHWISE_CONV_2D',
    [y1!, dwFilter, dwBias],
    [{ shape: [1, 4, 4, 4], q: { scale: 0.02, zeroPoint: -128 }, name: fusedName('model/sequential/depthwise_conv2d') }],
    { ...conv, padding: 'SAME', strideH: 2, strideW: 2, depthMultiplier: 1 },
  );
  b.output(y2!);
  return b.build();
}

/** [1,12] -> FULLY_CONNECTED 8 (RELU) -> FULLY_CONNECTED 3 -> SOFTMAX. */
export function smallFcNet(name = 'small_fc'): Graph {
  const rand = rng(202);
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [1, 12], q: { scale: 0.04, zeroPoint: 5 }, name: 'serving_default_features:0' });
  const w1 = b.constant({ shape: [8, 12], q: { scale: 0.01, zeroPoint: 0 }, name: 'dense/kernel' }, randomInt8(rand, 96, -127, 127));
  const b1 = b.constant(
    { shape: [8], dtype: 'int32', name: 'dense/bias' },
    Int32Array.from({ length: 8 }, () => randomInt(rand, -400, 400)),
  );
  const [h] = b.op('FULLY_CONNECTED', [x, w1, b1], [{ shape: [1, 8], q: { scale: 0.05, zeroPoint: -128 }, name: fusedName('model/sequential/dense') }], {
    activation: 'RELU',
    keepNumDims: false,
  });
  const w2 = b.constant({ shape: [3, 8], q: { scale: 0.02, zeroPoint: 0 }, name: 'dense_1/kernel' }, randomInt8(rand, 24, -127, 127));
  const [logits] = b.op('FULLY_CONNECTED', [h!, w2, -1], [{ shape: [1, 3], q: { scale: 0.1, zeroPoint: 4 }, name: fusedName('model/sequential/dense_1') }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  const [probs] = b.op('SOFTMAX', [logits!], [{ shape: [1, 3], q: { scale: 1 / 256, zeroPoint: -128 }, name: 'StatefulPartitionedCall:0' }], { beta: 1 });
  b.output(probs!);
  return b.build();
}

/** Two [1,6,6,2] inputs -> ADD -> MAX_POOL_2D 2x2 -> AVERAGE_POOL_2D 3x3 -> [1,1,1,2]. */
export function smallMixNet(name = 'small_mix'): Graph {
  const b = new GraphBuilder(name);
  const a = b.input({ shape: [1, 6, 6, 2], q: { scale: 0.05, zeroPoint: 0 }, name: 'serving_default_left:0' });
  const c = b.input({ shape: [1, 6, 6, 2], q: { scale: 0.08, zeroPoint: -10 }, name: 'serving_default_right:0' });
  const [sum] = b.op('ADD', [a, c], [{ shape: [1, 6, 6, 2], q: { scale: 0.1, zeroPoint: -5 }, name: 'model/add/add;model/add/relu' }], { activation: 'RELU' });
  const pool = { padding: 'VALID' as const, activation: 'NONE' as const };
  const [big] = b.op('MAX_POOL_2D', [sum!], [{ shape: [1, 3, 3, 2], q: { scale: 0.1, zeroPoint: -5 }, name: 'model/max_pooling2d/MaxPool' }], {
    ...pool,
    strideH: 2,
    strideW: 2,
    filterH: 2,
    filterW: 2,
  });
  const [avg] = b.op('AVERAGE_POOL_2D', [big!], [{ shape: [1, 1, 1, 2], q: { scale: 0.1, zeroPoint: -5 }, name: 'StatefulPartitionedCall:0' }], {
    ...pool,
    strideH: 3,
    strideW: 3,
    filterH: 3,
    filterW: 3,
  });
  b.output(avg!);
  return b.build();
}

export const SMALL_MODELS: { name: string; build: () => Graph }[] = [
  { name: 'small_conv', build: () => smallConvNet() },
  { name: 'small_fc', build: () => smallFcNet() },
  { name: 'small_mix', build: () => smallMixNet() },
];
