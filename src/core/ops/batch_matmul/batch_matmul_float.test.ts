// SPDX-License-Identifier: Apache-2.0
/**
 * BATCH_MATMUL float32 (batch_matmul_float.ts): TFLite Micro's sum order, checked byte for byte
 * against tflm-ref on a sweep of shapes (broadcast batches, adj_x / adj_y, constant and run-time
 * rhs), and the emitted C (host gcc, ASan + UBSan) gives the same bytes. The emulated targets run it
 * in the float fuzzer (test/fuzz/float.test.ts).
 */
import { expect } from 'chai';
import batchMatmul from './index.ts';
import { OpError } from '../../errors.ts';
import { broadcastShape } from '../common/families/broadcast.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { randomFloats } from '../../../../test/helpers/float_cases.ts';

const F = 'float32' as const;

function matmulCase(rand: () => number, lhsShape: number[], rhsShape: number[], adjX: boolean, adjY: boolean, rhsConstant: boolean): CCase {
  const m = adjX ? lhsShape[lhsShape.length - 1]! : lhsShape[lhsShape.length - 2]!;
  const n = adjY ? rhsShape[rhsShape.length - 2]! : rhsShape[rhsShape.length - 1]!;
  const outShape = [...broadcastShape(lhsShape.slice(0, -2), rhsShape.slice(0, -2))!, m, n];
  const rhsData = rhsConstant ? randomFloats(rand, count(rhsShape), 2) : undefined;
  const { graph, op } = singleOpGraph(
    'BATCH_MATMUL',
    [
      { shape: lhsShape, dtype: F },
      { shape: rhsShape, dtype: F, data: rhsData },
    ],
    [{ shape: outShape, dtype: F }],
    { adjX, adjY, asymmetricQuantizeInputs: false },
  );
  const inputs = [randomFloats(rand, count(lhsShape))];
  if (!rhsConstant) inputs.push(randomFloats(rand, count(rhsShape), 2));
  return { def: batchMatmul, graph, op, inputs };
}

function sweep(seed: number, n: number): CCase[] {
  const rand = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  return Array.from({ length: n }, (_, c) => {
    const outBatch = Array.from({ length: c % 4 }, () => int(1, 3));
    const batchOf = () => outBatch.slice(int(0, outBatch.length)).map((d) => (rand() < 0.3 ? 1 : d));
    const [m, k, nn] = [int(1, 7), int(1, 40), int(1, 7)];
    const adjX = rand() < 0.5;
    const adjY = rand() < 0.5;
    const lhs = [...batchOf(), ...(adjX ? [k, m] : [m, k])];
    const rhs = [...batchOf(), ...(adjY ? [nn, k] : [k, nn])];
    return matmulCase(rand, lhs, rhs, adjX, adjY, c % 3 === 0);
  });
}

describe('BATCH_MATMUL float32', () => {
  it('sums in order of k from 0.0f (hand-checked)', () => {
    // row 0: 1e8 + 1 - 1e8 in order loses the 1 (0); row 1: -0 * 1 + -0 * 1 from 0.0f is +0
    const c = matmulCase(rng(1), [2, 3], [3, 1], false, false, false);
    const out = evaluateOp(c.def, c.graph, c.op, [Float32Array.from([1e8, 1, -1e8, -0, -0, -0]), Float32Array.from([1, 1, 1])])[0] as Float32Array;
    expect(Array.from(out)).to.deep.equal([0, 0]);
    expect(Object.is(out[1], 0)).to.equal(true);
  });

  it('TFLite Micro (tflm-ref) gives the same bytes on 40 random layers: broadcast batches, adj_x, adj_y', () => {
    expectTflmAgrees(batchMatmul, sweep(211, 40));
  });

  it('the emitted C gives the reference bytes', () => {
    expectCMatchesReference(sweep(211, 40));
  });

  it('refuses a float lhs with an int8 rhs, naming the tensor', () => {
    const { graph, op } = singleOpGraph(
      'BATCH_MATMUL',
      [
        { shape: [2, 2], dtype: F },
        { shape: [2, 2], scale: 0.1, zeroPoint: 0 },
      ],
      [{ shape: [2, 2], dtype: F }],
    );
    expect(() => batchMatmul.check(graph, op)).to.throw(OpError, /rhs .* is int8; a float32 layer of BATCH_MATMUL takes float32 inputs only/);
  });
});
