// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { type OpCase, broadcastArgsCase } from '../../../../test/helpers/tensor_op_cases.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { foldConstants } from '../../passes/fold_constants.ts';
import { fromBytes } from '../../ir/buffers.ts';

function cases(seed: number): OpCase[] {
  const rand = rng(seed);
  return (['int32', 'int64'] as const).flatMap((dtype) => Array.from({ length: 8 }, () => broadcastArgsCase(rand, dtype)));
}

describe('BROADCAST_ARGS', () => {
  it('broadcasts two shapes from the right (hand-checked)', () => {
    const g = singleOpGraph(
      'BROADCAST_ARGS',
      [
        { shape: [3], dtype: 'int32' },
        { shape: [2], dtype: 'int32' },
      ],
      [{ shape: [3], dtype: 'int32' }],
    );
    // [2,1,3] and [4,1] -> [2,4,3]
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int32Array.from([2, 1, 3]), Int32Array.from([4, 1])])[0] as Int32Array)).to.deep.equal([2, 4, 3]);
    const h = singleOpGraph(
      'BROADCAST_ARGS',
      [
        { shape: [1], dtype: 'int64' },
        { shape: [2], dtype: 'int64' },
      ],
      [{ shape: [2], dtype: 'int64' }],
    );
    expect(Array.from(evaluateOp(def, h.graph, h.op, [BigInt64Array.from([5n]), BigInt64Array.from([1n, 1n])])[0] as BigInt64Array)).to.deep.equal([1n, 5n]);
  });

  it('keeps the first extent where run-time extents disagree (TFLite Micro aborts), and 32 bits of an int64 extent', () => {
    const g = singleOpGraph(
      'BROADCAST_ARGS',
      [
        { shape: [2], dtype: 'int64' },
        { shape: [2], dtype: 'int64' },
      ],
      [{ shape: [2], dtype: 'int64' }],
    );
    const inputs = [BigInt64Array.from([3n, 4294967298n]), BigInt64Array.from([2n, 1n])];
    expect(Array.from(evaluateOp(def, g.graph, g.op, inputs)[0] as BigInt64Array)).to.deep.equal([3n, 2n]);
    expectCMatchesReference([{ def, ...g, inputs }]);
  });

  it('folds constant shapes into the shape a BROADCAST_TO takes', () => {
    const b = new GraphBuilder('folded_shape');
    const x = b.input({ shape: [3, 1], dtype: 'int32' });
    const [shape] = b.op('BROADCAST_ARGS', [b.ints([3, 1]), b.ints([2, 1, 4])], [{ shape: [3], dtype: 'int32' }]);
    const [y] = b.op('BROADCAST_TO', [x, shape!], [{ shape: [2, 3, 4], dtype: 'int32' }]);
    b.output(y!);
    const folded = foldConstants(b.build());
    expect(folded.ops.map((op) => op.kind)).to.deep.equal(['BROADCAST_TO']);
    expect(Array.from(fromBytes('int32', folded.tensors[shape!]!.data!) as Int32Array)).to.deep.equal([2, 3, 4]);
  });

  it('refuses constant shapes that do not broadcast, mixed types and a rank-2 shape', () => {
    const bad = singleOpGraph(
      'BROADCAST_ARGS',
      [
        { shape: [1], dtype: 'int32', data: Int32Array.from([3]) },
        { shape: [1], dtype: 'int32', data: Int32Array.from([2]) },
      ],
      [{ shape: [1], dtype: 'int32' }],
    );
    expect(() => def.check(bad.graph, bad.op)).to.throw(OpError, /do not broadcast/);
    const mixed = singleOpGraph(
      'BROADCAST_ARGS',
      [
        { shape: [1], dtype: 'int32' },
        { shape: [1], dtype: 'int64' },
      ],
      [{ shape: [1], dtype: 'int32' }],
    );
    expect(() => def.check(mixed.graph, mixed.op)).to.throw(OpError, /shape2 tensor 1 "in1" is int64 but shape1/);
    const rank2 = singleOpGraph(
      'BROADCAST_ARGS',
      [
        { shape: [1, 2], dtype: 'int32' },
        { shape: [2], dtype: 'int32' },
      ],
      [{ shape: [2], dtype: 'int32' }],
    );
    expect(() => def.check(rank2.graph, rank2.op)).to.throw(OpError, /has rank 2/);
  });

  it('emitted C matches the reference kernel (int32, int64)', () => {
    expectCMatchesReference(cases(91).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (int32, int64)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(92));
  });
});
