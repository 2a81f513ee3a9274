// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import maximum from './index.ts';
import minimum from '../minimum/index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { allocBuffer } from '../../ir/buffers.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { binaryGraph, count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomBroadcast } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const typed = (dtype: DType, values: number[]) => {
  const b = allocBuffer(dtype, values.length) as Int8Array | Int16Array | Int32Array;
  b.set(values);
  return b;
};

function graphOf(kind: string, a: number[], b: number[], out: number[], dtype: DType = 'int8') {
  const q = dtype === 'int32' ? {} : { scale: 0.1, zeroPoint: dtype === 'int8' ? -3 : 0 };
  return singleOpGraph(
    kind,
    [
      { shape: a, dtype, ...q },
      { shape: b, dtype, ...q },
    ],
    [{ shape: out, dtype, ...q }],
  );
}

/**
 * Random int8 MAXIMUMs and MINIMUMs: broadcasting of every kind; the quantizations usually shared,
 * sometimes not (TFLite Micro compares the stored values whatever the scales say).
 */
function randomCases(seed: number, n: number): CCase[] {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, k) => {
    const def = k % 2 ? minimum : maximum;
    const { a, b, out } = randomBroadcast(rand);
    const q = extremeQ(rand);
    const other = () => (rand() < 0.7 ? q : extremeQ(rand));
    const { graph, op } = binaryGraph(def.kind, a, b, out, q, other(), other());
    return { def, graph, op, inputs: [extremeInt8(rand, count(a), q.zeroPoint), extremeInt8(rand, count(b), q.zeroPoint)] };
  });
}

describe('MAXIMUM and MINIMUM', () => {
  it('pick the larger/smaller raw value, with broadcasting (hand-checked)', function () {
    const x = Int8Array.from([-128, 0, 127, 5, -5, 1]);
    const y = Int8Array.from([0, -1, 3]);
    const { graph, op } = graphOf('MAXIMUM', [2, 3], [3], [2, 3]);
    expect(Array.from(evaluateOp(maximum, graph, op, [x, y])[0] as Int8Array)).to.deep.equal([0, 0, 127, 5, -1, 3]);
    const g = graphOf('MINIMUM', [2, 3], [3], [2, 3]);
    expect(Array.from(evaluateOp(minimum, g.graph, g.op, [x, y])[0] as Int8Array)).to.deep.equal([-128, -1, 3, 0, -5, 1]);
    if (tflmRefAvailable(this)) {
      expectTflmAgrees(maximum, [{ graph, op, inputs: [x, y] }]);
      expectTflmAgrees(minimum, [{ graph: g.graph, op: g.op, inputs: [x, y] }]);
    }
  });

  it('work on int16 and int32 tensors too', () => {
    const g16 = graphOf('MAXIMUM', [3], [1], [3], 'int16');
    expect(Array.from(evaluateOp(maximum, g16.graph, g16.op, [typed('int16', [-32768, 300, 32767]), typed('int16', [299])])[0] as Int16Array)).to.deep.equal([
      299, 300, 32767,
    ]);
    const g32 = graphOf('MINIMUM', [2], [2], [2], 'int32');
    expect(
      Array.from(evaluateOp(minimum, g32.graph, g32.op, [typed('int32', [-2147483648, 100000]), typed('int32', [0, 99999])])[0] as Int32Array),
    ).to.deep.equal([-2147483648, 99999]);
  });

  it('reject mixed dtypes and int64', () => {
    const mixed = singleOpGraph(
      'MAXIMUM',
      [
        { shape: [2], scale: 1, zeroPoint: 0 },
        { shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 },
      ],
      [{ shape: [2], scale: 1, zeroPoint: 0 }],
    );
    expect(() => maximum.check(mixed.graph, mixed.op)).to.throw(OpError, /input 2 .* is int16; the output is int8/);
    const f = graphOf('MINIMUM', [2], [2], [2], 'int64');
    expect(() => minimum.check(f.graph, f.op)).to.throw(OpError, /is int64; only int8, int16, int32, float32/);
  });

  it('TFLite Micro (tflm-ref) agrees on 200 random int8 cases: broadcasting, shared and differing quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    for (const c of randomCases(91, 200)) expectTflmAgrees(c.def, [c]);
  });

  it('TFLite Micro (tflm-ref) agrees on int16 and int32 tensors, with broadcasting', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(94);
    for (const dtype of ['int16', 'int32'] as const) {
      for (const def of [maximum, minimum]) {
        const { graph, op } = graphOf(def.kind, [2, 3, 4], [3, 1], [2, 3, 4], dtype);
        const big = (n: number) =>
          typed(
            dtype,
            Array.from({ length: n }, () => Math.floor((rand() - 0.5) * (dtype === 'int16' ? 65535 : 4e9))),
          );
        expectTflmAgrees(def, [{ graph, op, inputs: [big(24), big(3)] }]);
      }
    }
  });

  it('emitted C matches the reference kernel byte for byte (60 random int8 cases, int16, int32)', () => {
    const rand = rng(92);
    const cases = randomCases(93, 60);
    for (const dtype of ['int16', 'int32'] as const) {
      const { graph, op } = graphOf('MAXIMUM', [2, 3, 4], [3, 1], [2, 3, 4], dtype);
      const big = (n: number) =>
        typed(
          dtype,
          Array.from({ length: n }, () => Math.floor((rand() - 0.5) * (dtype === 'int16' ? 65535 : 4e9))),
        );
      cases.push({ def: maximum, graph, op, inputs: [big(24), big(3)] });
    }
    expectCMatchesReference(cases);
  });
});
