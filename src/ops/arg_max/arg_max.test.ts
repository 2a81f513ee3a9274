import { expect } from 'chai';
import argMax from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type CCase, evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { count, expectCMatchesReference, expectTfliteAgrees } from '../../../test/helpers/op_checks.ts';

function graphOf(inShape: number[], axis: number, outType: DType = 'int32', inType: DType = 'int8') {
  const outShape = inShape.filter((_, i) => i !== (axis < 0 ? axis + inShape.length : axis));
  const q = inType === 'int8' ? { scale: 0.1, zeroPoint: 3 } : {};
  return singleOpGraph('ARG_MAX', [{ shape: inShape, dtype: inType, ...q }, { shape: [1], dtype: 'int32', data: Int32Array.from([axis]) }], [{ shape: outShape, dtype: outType }], { outputType: outType.toUpperCase() });
}

describe('ARG_MAX', () => {
  it('gives the first index of the largest value along the axis (hand-checked)', () => {
    const { graph, op } = graphOf([2, 3], 1);
    expect(Array.from(evaluateOp(argMax, graph, op, [Int8Array.from([1, 9, 9, -128, -128, -128])])[0] as Int32Array)).to.deep.equal([1, 0]);
    const g0 = graphOf([3, 2], 0);
    expect(Array.from(evaluateOp(argMax, g0.graph, g0.op, [Int8Array.from([1, 127, 5, 0, 5, 127])])[0] as Int32Array)).to.deep.equal([1, 0]);
    const neg = graphOf([2, 2, 2], -2, 'int64');
    expect(Array.from(evaluateOp(argMax, neg.graph, neg.op, [Int8Array.from([0, 9, 1, 8, 7, 0, 7, 1])])[0] as BigInt64Array)).to.deep.equal([1n, 0n, 0n, 1n]);
  });

  it('rejects a non-scalar axis, an axis out of range, float input, an int8 output and a wrong output shape', () => {
    const two = singleOpGraph('ARG_MAX', [{ shape: [2, 2], scale: 1, zeroPoint: 0 }, { shape: [2], dtype: 'int32', data: Int32Array.from([0, 1]) }], [{ shape: [], dtype: 'int32' }]);
    expect(() => argMax.check(two.graph, two.op)).to.throw(OpError, /has 2 values; expected one/);
    const range = graphOf([2, 2], 0);
    (range.graph.tensors[1]!.data as Uint8Array).set([5, 0, 0, 0]);
    expect(() => argMax.check(range.graph, range.op)).to.throw(OpError, /axis 5 is out of range/);
    const f = graphOf([2, 2], 0, 'int32', 'float32');
    expect(() => argMax.check(f.graph, f.op)).to.throw(OpError, /is float32; only int8, int16, int32/);
    const i8 = graphOf([2, 2], 0, 'int8');
    expect(() => argMax.check(i8.graph, i8.op)).to.throw(OpError, /outputs int32 or int64/);
    const shape = singleOpGraph('ARG_MAX', [{ shape: [2, 3], scale: 1, zeroPoint: 0 }, { shape: [1], dtype: 'int32', data: Int32Array.from([1]) }], [{ shape: [3], dtype: 'int32' }]);
    expect(() => argMax.check(shape.graph, shape.op)).to.throw(OpError, /gives \[2\]/);
  });

  it('emitted C matches the reference kernel byte for byte (axes first, middle, last; int32 and int64; int16 input)', () => {
    const rand = rng(141);
    const cases: CCase[] = ([[[1, 5, 7, 3], 3, 'int32'], [[4, 6, 5], 1, 'int64'], [[9, 4], 0, 'int32'], [[1, 10], -1, 'int64']] as [number[], number, DType][]).map(([shape, axis, out]) => {
      const { graph, op } = graphOf(shape, axis, out);
      // a narrow value range makes ties, which must keep the first index
      return { def: argMax, graph, op, inputs: [randomInt8(rand, count(shape), -3, 3)] };
    });
    const g16 = graphOf([3, 5], 1, 'int32', 'int16');
    cases.push({ def: argMax, graph: g16.graph, op: g16.op, inputs: [Int16Array.from({ length: 15 }, () => Math.floor((rand() - 0.5) * 60000))] });
    expectCMatchesReference(cases);
  });

  it('agrees with desktop TFLite (tfjs-tflite), int32 output, ties included', async () => {
    const rand = rng(142);
    await expectTfliteAgrees(argMax, ([[[1, 5, 7, 3], 3], [[4, 6, 5], 1], [[9, 4], 0]] as [number[], number][]).map(([shape, axis]) => ({
      ...graphOf(shape, axis), inputs: [randomInt8(rand, count(shape), -3, 3)],
    })));
  });
});
