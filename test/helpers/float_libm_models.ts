// SPDX-License-Identifier: Apache-2.0
/** Models whose float32 layers call libm (LOGISTIC, TANH, ELU, EXP, LOG, SOFTMAX, LOG_SOFTMAX). */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt8, rng } from './op_harness.ts';

const F = 'float32' as const;

/** int8 CONV_2D 3x3 -> DEQUANTIZE -> LOGISTIC (float32) -> output: the conv's range crosses both of LOGISTIC's cutoffs. */
export function hybridLogistic(): Graph {
  const rand = rng(611);
  const b = new GraphBuilder('hybrid_logistic');
  const x = b.input({ shape: [1, 6, 6, 2], q: { scale: 0.05, zeroPoint: -3 }, name: 'x' });
  const w = b.constant({ shape: [4, 3, 3, 2], q: { scale: 0.02, zeroPoint: 0 } }, randomInt8(rand, 72, -127, 127));
  const bias = b.constant(
    { shape: [4], dtype: 'int32' },
    Int32Array.from({ length: 4 }, () => Math.floor(rand() * 400) - 200),
  );
  const [c] = b.op('CONV_2D', [x, w, bias], [{ shape: [1, 6, 6, 4], q: { scale: 0.15, zeroPoint: 0 } }], {
    padding: 'SAME',
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    activation: 'NONE',
  });
  const [f] = b.op('DEQUANTIZE', [c!], [{ shape: [1, 6, 6, 4], dtype: F }]);
  const [y] = b.op('LOGISTIC', [f!], [{ shape: [1, 6, 6, 4], dtype: F }]);
  b.output(y!);
  return b.build();
}
