// SPDX-License-Identifier: Apache-2.0
/**
 * Float32 models for the end-to-end tests (test/ops/float_models.test.ts): a float CNN and a hybrid
 * int8 model with a float32 middle and a float output, weights drawn from fixed seeds.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt8, rng } from './op_harness.ts';
import { randomFloats } from './float_cases.ts';

const F = 'float32' as const;

/** A float CNN: 8x8x2 -> conv 3x3 RELU -> depthwise 3x3 /2 RELU6 -> max pool -> average pool -> FC -> +, x, -, RELU, NEG, SQUARE. */
export function floatCnn(): Graph {
  const rand = rng(501);
  const b = new GraphBuilder('float_cnn');
  const x = b.input({ shape: [1, 8, 8, 2], dtype: F, name: 'x' });
  const w1 = b.constant({ shape: [4, 3, 3, 2], dtype: F }, randomFloats(rand, 72, 1));
  const b1 = b.constant({ shape: [4], dtype: F }, randomFloats(rand, 4, 1));
  const conv = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
  const [c1] = b.op('CONV_2D', [x, w1, b1], [{ shape: [1, 8, 8, 4], dtype: F }], { ...conv, padding: 'SAME', activation: 'RELU' });
  const w2 = b.constant({ shape: [1, 3, 3, 8], dtype: F }, randomFloats(rand, 72, 1));
  const b2 = b.constant({ shape: [8], dtype: F }, randomFloats(rand, 8, 1));
  const [d1] = b.op('DEPTHWISE_CONV_2D', [c1!, w2, b2], [{ shape: [1, 4, 4, 8], dtype: F }], {
    ...conv,
    strideH: 2,
    strideW: 2,
    padding: 'SAME',
    activation: 'RELU6',
    depthMultiplier: 2,
  });
  const pool = { padding: 'VALID', strideH: 1, strideW: 1, filterH: 2, filterW: 2, activation: 'NONE' };
  const [m1] = b.op('MAX_POOL_2D', [d1!], [{ shape: [1, 3, 3, 8], dtype: F }], pool);
  const [a1] = b.op('AVERAGE_POOL_2D', [m1!], [{ shape: [1, 2, 2, 8], dtype: F }], pool);
  const [r1] = b.op('RESHAPE', [a1!], [{ shape: [1, 32], dtype: F }]);
  const w3 = b.constant({ shape: [10, 32], dtype: F }, randomFloats(rand, 320, 1));
  const [f1] = b.op('FULLY_CONNECTED', [r1!, w3], [{ shape: [1, 10], dtype: F }], { activation: 'NONE' });
  const k1 = b.constant({ shape: [10], dtype: F }, randomFloats(rand, 10, 1));
  const [s1] = b.op('ADD', [f1!, k1], [{ shape: [1, 10], dtype: F }], { activation: 'NONE' });
  const [p1] = b.op('MUL', [s1!, f1!], [{ shape: [1, 10], dtype: F }], { activation: 'RELU_N1_TO_1' });
  const [q1] = b.op('SUB', [p1!, s1!], [{ shape: [1, 10], dtype: F }], { activation: 'NONE' });
  const [u1] = b.op('RELU', [q1!], [{ shape: [1, 10], dtype: F }]);
  const [n1] = b.op('NEG', [u1!], [{ shape: [1, 10], dtype: F }]);
  const [v1] = b.op('SQUARE', [s1!], [{ shape: [1, 10], dtype: F }]);
  b.output(n1!, v1!);
  return b.build();
}

/** int8 in -> int8 FC -> DEQUANTIZE -> float FC RELU6 -> float ADD -> QUANTIZE -> int8 FC -> DEQUANTIZE (float out), and a float output. */
export function hybridMlp(): Graph {
  const rand = rng(502);
  const b = new GraphBuilder('hybrid_mlp');
  const x = b.input({ shape: [1, 12], q: { scale: 0.05, zeroPoint: -3 }, name: 'x' });
  const w1 = b.constant({ shape: [16, 12], q: { scale: 0.01, zeroPoint: 0 } }, randomInt8(rand, 192));
  const bias1 = b.constant(
    { shape: [16], dtype: 'int32' },
    Int32Array.from({ length: 16 }, () => Math.floor(rand() * 400) - 200),
  );
  const [h1] = b.op('FULLY_CONNECTED', [x, w1, bias1], [{ shape: [1, 16], q: { scale: 0.08, zeroPoint: 5 } }], { activation: 'NONE' });
  const [f1] = b.op('DEQUANTIZE', [h1!], [{ shape: [1, 16], dtype: F }]);
  const w2 = b.constant({ shape: [8, 16], dtype: F }, randomFloats(rand, 128, 0.5));
  const bias2 = b.constant({ shape: [8], dtype: F }, randomFloats(rand, 8, 1));
  const [f2] = b.op('FULLY_CONNECTED', [f1!, w2, bias2], [{ shape: [1, 8], dtype: F }], { activation: 'RELU6' });
  const k = b.constant({ shape: [8], dtype: F }, randomFloats(rand, 8, 1));
  const [f3] = b.op('ADD', [f2!, k], [{ shape: [1, 8], dtype: F }], { activation: 'NONE' });
  const [q3] = b.op('QUANTIZE', [f3!], [{ shape: [1, 8], q: { scale: 0.04, zeroPoint: -10 } }]);
  const w3 = b.constant({ shape: [4, 8], q: { scale: 0.02, zeroPoint: 0 } }, randomInt8(rand, 32));
  const [h3] = b.op('FULLY_CONNECTED', [q3!, w3], [{ shape: [1, 4], q: { scale: 0.03, zeroPoint: 2 } }], { activation: 'NONE' });
  const [y] = b.op('DEQUANTIZE', [h3!], [{ shape: [1, 4], dtype: F }]);
  b.output(y!, f3!);
  return b.build();
}
