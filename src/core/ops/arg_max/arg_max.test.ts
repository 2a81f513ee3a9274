// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import argMax from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type CCase, evaluateOp, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randInt, randomShape } from '../../../../test/helpers/random_cases.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function graphOf(inShape: number[], axis: number, outType: DType = 'int32', inType: DType = 'int8') {
  const outShape = inShape.filter((_, i) => i !== (axis < 0 ? axis + inShape.length : axis));
  const q = inType === 'int8' ? { scale: 0.1, zeroPoint: 3 } : {};
  return singleOpGraph(
    'ARG_MAX',
    [
      { shape: inShape, dtype: inType, ...q },
      { shape: [1], dtype: 'int32', data: Int32Array.from([axis]) },
    ],
    [{ shape: outShape, dtype: outType }],
    { outputType: outType.toUpperCase() },
  );
}

/**
 * Random int8 -> int32 ARG_MAXes (what TFLite Micro supports): any axis (negative a third of the
 * time), ranks 1..5; narrow value bands or constant inputs make ties, which keep the first index.
 */
function randomCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const shape = randomShape(rand);
    const axis = randInt(rand, 0, shape.length - 1) - (rand() < 0.33 ? shape.length : 0);
    const { graph, op } = graphOf(shape, axis);
    const q = extremeQ(rand);
    graph.tensors[0]!.quant = { scale: [q.scale], zeroPoint: [q.zeroPoint], axis: 0 };
    return { graph, op, inputs: [rand() < 0.3 ? randomInt8(rand, count(shape), -2, 2) : extremeInt8(rand, count(shape), q.zeroPoint)] };
  });
}

describe('ARG_MAX', () => {
  it('gives the first index of the largest value along the axis (hand-checked)', function () {
    const { graph, op } = graphOf([2, 3], 1);
    const x = Int8Array.from([1, 9, 9, -128, -128, -128]);
    expect(Array.from(evaluateOp(argMax, graph, op, [x])[0] as Int32Array)).to.deep.equal([1, 0]);
    const g0 = graphOf([3, 2], 0);
    const x0 = Int8Array.from([1, 127, 5, 0, 5, 127]);
    expect(Array.from(evaluateOp(argMax, g0.graph, g0.op, [x0])[0] as Int32Array)).to.deep.equal([1, 0]);
    if (tflmRefAvailable(this))
      expectTflmAgrees(argMax, [
        { graph, op, inputs: [x] },
        { ...g0, inputs: [x0] },
      ]);
    const neg = graphOf([2, 2, 2], -2, 'int64');
    expect(Array.from(evaluateOp(argMax, neg.graph, neg.op, [Int8Array.from([0, 9, 1, 8, 7, 0, 7, 1])])[0] as BigInt64Array)).to.deep.equal([1n, 0n, 0n, 1n]);
  });

  it('rejects a non-scalar axis, an axis out of range, int64 input, an int8 output and a wrong output shape', () => {
    const two = singleOpGraph(
      'ARG_MAX',
      [
        { shape: [2, 2], scale: 1, zeroPoint: 0 },
        { shape: [2], dtype: 'int32', data: Int32Array.from([0, 1]) },
      ],
      [{ shape: [], dtype: 'int32' }],
    );
    expect(() => argMax.check(two.graph, two.op)).to.throw(OpError, /has 2 values; expected one/);
    const range = graphOf([2, 2], 0);
    (range.graph.tensors[1]!.data as Uint8Array).set([5, 0, 0, 0]);
    expect(() => argMax.check(range.graph, range.op)).to.throw(OpError, /axis 5 is out of range/);
    const f = graphOf([2, 2], 0, 'int32', 'int64');
    expect(() => argMax.check(f.graph, f.op)).to.throw(OpError, /is int64; only int8, int16, int32, float32/);
    const i8 = graphOf([2, 2], 0, 'int8');
    expect(() => argMax.check(i8.graph, i8.op)).to.throw(OpError, /outputs int32 or int64/);
    const shape = singleOpGraph(
      'ARG_MAX',
      [
        { shape: [2, 3], scale: 1, zeroPoint: 0 },
        { shape: [1], dtype: 'int32', data: Int32Array.from([1]) },
      ],
      [{ shape: [3], dtype: 'int32' }],
    );
    expect(() => argMax.check(shape.graph, shape.op)).to.throw(OpError, /gives \[2\]/);
  });

  it('emitted C matches the reference kernel byte for byte (axes first, middle, last; int32 and int64; int16 input)', () => {
    const rand = rng(141);
    const cases: CCase[] = (
      [
        [[1, 5, 7, 3], 3, 'int32'],
        [[4, 6, 5], 1, 'int64'],
        [[9, 4], 0, 'int32'],
        [[1, 10], -1, 'int64'],
      ] as [number[], number, DType][]
    ).map(([shape, axis, out]) => {
      const { graph, op } = graphOf(shape, axis, out);
      // a narrow value range makes ties, which must keep the first index
      return { def: argMax, graph, op, inputs: [randomInt8(rand, count(shape), -3, 3)] };
    });
    const g16 = graphOf([3, 5], 1, 'int32', 'int16');
    cases.push({ def: argMax, graph: g16.graph, op: g16.op, inputs: [Int16Array.from({ length: 15 }, () => Math.floor((rand() - 0.5) * 60000))] });
    expectCMatchesReference(cases);
  });

  it('TFLite Micro (tflm-ref) agrees on 150 random int8 -> int32 cases, ties included', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(argMax, randomCases(142, 150));
  });

  it('emitted C matches the reference kernel byte for byte on 40 random int8 -> int32 cases', () => {
    expectCMatchesReference(randomCases(143, 40).map((c) => ({ def: argMax, ...c })));
  });

  it('int64 output is beyond TFLite Micro (tflm-ref refuses it): it follows desktop TFLite, the same first-index rule', function () {
    if (!tflmRefAvailable(this)) return;
    const g = graphOf([4, 6, 5], 1, 'int64');
    expect(() => tflmOutputs(g.graph, [new Uint8Array(120)])).to.throw(/only int32_t are supported/i);
  });
});
