// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import batchMatmul from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { type Q, count, expectCMatchesReference, expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const Q1 = { scale: 1, zeroPoint: 0 };

function graphOf(lhs: number[], rhs: number[], out: number[], ql: Q, qr: Q, qo: Q, adjX = false, adjY = false, rhsValues?: Int8Array) {
  return singleOpGraph(
    'BATCH_MATMUL',
    [
      { shape: lhs, ...ql },
      { shape: rhs, ...qr, data: rhsValues },
    ],
    [{ shape: out, ...qo }],
    { adjX, adjY, asymmetricQuantizeInputs: false },
  );
}

const run = (g: ReturnType<typeof graphOf>, ...xs: number[][]) =>
  Array.from(
    evaluateOp(
      batchMatmul,
      g.graph,
      g.op,
      xs.map((x) => Int8Array.from(x)),
    )[0] as Int8Array,
  );

describe('BATCH_MATMUL', () => {
  describe('reference kernel', () => {
    it('multiplies matrices (hand-checked), also transposed operands', () => {
      const lhs = [1, 2, 3, 4, 5, 6];
      const rhs = [1, 0, 0, 1, 1, 1];
      expect(run(graphOf([2, 3], [3, 2], [2, 2], Q1, Q1, Q1), lhs, rhs)).to.deep.equal([4, 5, 10, 11]);
      // lhs given as its transpose [3, 2], rhs as its transpose [2, 3]
      expect(run(graphOf([3, 2], [2, 3], [2, 2], Q1, Q1, Q1, true, true), [1, 4, 2, 5, 3, 6], [1, 0, 1, 0, 1, 1])).to.deep.equal([4, 5, 10, 11]);
    });

    it('broadcasts batch dimensions and applies zero points and the (float32-product) multiplier', () => {
      // lhs [2,1,1,2] batches; rhs [3,2,1] shared across lhs batches and broadcast in the second dim
      const g = graphOf([2, 1, 1, 2], [3, 2, 1], [2, 3, 1, 1], { scale: 0.5, zeroPoint: -128 }, { scale: 0.5, zeroPoint: 10 }, { scale: 0.25, zeroPoint: -5 });
      // lhs reals: batch0 (1, 2), batch1 (-1, 0); rhs reals per batch: (1,1), (0,2), (-1,3)
      const out = run(
        g,
        [-126, -124, -130 + 0, -128].map((v) => Math.max(-128, v)),
        [12, 12, 10, 14, 8, 16],
      );
      // batch0: 3, 4, 5 -> 12-5, 16-5, 20-5; batch1 (lhs real (0, 0) after clamping -130 to -128): 0 -> -5
      expect(out).to.deep.equal([7, 11, 15, -5, -5, -5]);
    });
  });

  describe('check', () => {
    it('rejects mismatched depths, batches that do not broadcast, a wrong output shape and rank 6', () => {
      const depth = graphOf([2, 3], [4, 2], [2, 2], Q1, Q1, Q1);
      expect(() => batchMatmul.check(depth.graph, depth.op)).to.throw(OpError, /accumulation depth \(3 vs 4\)/);
      const batch = graphOf([2, 2, 3], [3, 3, 2], [2, 2, 2], Q1, Q1, Q1);
      expect(() => batchMatmul.check(batch.graph, batch.op)).to.throw(OpError, /batch dimensions \[2\] and \[3\] do not broadcast/);
      const out = graphOf([2, 3], [3, 2], [2, 3], Q1, Q1, Q1);
      expect(() => batchMatmul.check(out.graph, out.op)).to.throw(OpError, /expected \[2,2\]/);
      const rank = graphOf([1, 1, 1, 1, 2, 3], [3, 2], [1, 1, 1, 1, 2, 2], Q1, Q1, Q1);
      expect(() => batchMatmul.check(rank.graph, rank.op)).to.throw(OpError, /rank 6; BATCH_MATMUL takes rank 2 to 5/);
    });
  });

  const SHAPES: [number[], number[], number[], boolean, boolean][] = [
    [[4, 7], [7, 5], [4, 5], false, false],
    [[2, 4, 7], [2, 7, 5], [2, 4, 5], false, true],
    [[3, 1, 3, 6], [2, 6, 4], [3, 2, 3, 4], true, false],
    [[1, 2, 1, 3, 5], [1, 2, 5, 2], [1, 2, 2, 3, 2], true, true],
    [[5, 8], [1, 8, 3], [1, 5, 3], false, false],
  ];

  function randomCase(rand: () => number, [lhs, rhs, out, adjX, adjY]: (typeof SHAPES)[number], constantRhs: boolean): CCase {
    const lhsShape = adjX ? [...lhs.slice(0, -2), lhs[lhs.length - 1]!, lhs[lhs.length - 2]!] : lhs;
    const rhsShape = adjY ? [...rhs.slice(0, -2), rhs[rhs.length - 1]!, rhs[rhs.length - 2]!] : rhs;
    const rhsValues = randomInt8(rand, count(rhs));
    const g = graphOf(
      lhsShape,
      rhsShape,
      out,
      randomQ(rand, -5, -2),
      randomQ(rand, -5, -2),
      randomQ(rand, -4, 0),
      adjX,
      adjY,
      constantRhs ? rhsValues : undefined,
    );
    return { def: batchMatmul, ...g, inputs: constantRhs ? [randomInt8(rand, count(lhs))] : [randomInt8(rand, count(lhs)), rhsValues] };
  }

  it('emitted C matches the reference kernel byte for byte (adjoints, broadcasting, constant rhs)', () => {
    const rand = rng(161);
    expectCMatchesReference(SHAPES.flatMap((s) => [randomCase(rand, s, false), randomCase(rand, s, true)]));
  });

  /** Random ranks 2..5, batch dimensions that broadcast (1s on either side, missing leading ones), adjoints, constant rhs or not. */
  function sweepCase(rand: () => number): CCase {
    const r = (lo: number, hi: number) => randomInt(rand, lo, hi);
    const outRank = r(0, 3);
    const outBatch = Array.from({ length: outRank }, () => r(1, 3));
    const side = () => {
      const drop = r(0, outRank);
      return outBatch.slice(drop).map((d) => (rand() < 0.3 ? 1 : d));
    };
    const lb = side();
    const rb = side();
    // the output has the broadcast batch of the two (both may have dropped or squeezed dimensions)
    const rank = Math.max(lb.length, rb.length);
    const pad = (x: number[]) => [...new Array<number>(rank - x.length).fill(1), ...x];
    const ob = pad(lb).map((d, i) => Math.max(d, pad(rb)[i]!));
    const m = r(1, 6);
    const k = r(1, 9);
    const n = r(1, 6);
    const adjX = rand() < 0.5;
    const adjY = rand() < 0.5;
    const lhs = [...lb, ...(adjX ? [k, m] : [m, k])];
    const rhs = [...rb, ...(adjY ? [n, k] : [k, n])];
    const constantRhs = rand() < 0.3;
    const rhsValues = randomInt8(rand, count(rhs));
    const g = graphOf(
      lhs,
      rhs,
      [...ob, m, n],
      randomQ(rand, -6, 0),
      randomQ(rand, -6, 0),
      randomQ(rand, -5, 1),
      adjX,
      adjY,
      constantRhs ? rhsValues : undefined,
    );
    return { def: batchMatmul, ...g, inputs: constantRhs ? [randomInt8(rand, count(lhs))] : [randomInt8(rand, count(lhs)), rhsValues] };
  }

  it('agrees with TFLite Micro byte for byte (random ranks, broadcasting, adjoints, quantizations)', function () {
    // TFLite Micro: int32 sums of (q + offset) products, MultiplyByQuantizedMultiplier with the
    // float32-rounded scale product, clamped to int8. (Desktop TFLite's optimized GEMM rounds a few
    // elements one step apart; bit-exactness is with TFLite Micro.)
    if (!tflmRefAvailable(this)) return;
    const rand = rng(162);
    expectTflmAgrees(batchMatmul, [
      ...SHAPES.flatMap((s) => [randomCase(rand, s, false), randomCase(rand, s, true)]),
      ...Array.from({ length: 60 }, () => sweepCase(rand)),
    ]);
  });

  it('emitted C matches the reference kernel on the random sweep', () => {
    const rand = rng(163);
    expectCMatchesReference(Array.from({ length: 40 }, () => sweepCase(rand)));
  });
});
