// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import rsqrt from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTflmAgrees, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

type Q = { scale: number; zeroPoint: number };

/** random quantizations TFLite's rsqrt handles: the output scale follows 1/sqrt of the input range */
function quants(seed: number, n: number): [Q, Q][] {
  const rand = rng(seed);
  const out: [Q, Q][] = [
    [
      { scale: 0.05, zeroPoint: -128 },
      { scale: 0.05, zeroPoint: -128 },
    ],
    [
      { scale: 0.01, zeroPoint: 0 },
      { scale: 0.1, zeroPoint: -128 },
    ],
    [
      { scale: 1, zeroPoint: 126 },
      { scale: 0.01, zeroPoint: 127 },
    ],
    // TFLM's multiplier takes sqrtf and a float product: in double it would round q = -100 (82.4995 steps) the other way
    [
      { scale: 0.000012125329180635463, zeroPoint: -115 },
      { scale: 0.8987826529236609, zeroPoint: 0 },
    ],
  ];
  for (let k = 0; k < n; k++) {
    const si = Math.exp(-9 + rand() * 10);
    // 1/sqrt(s_in) is the largest output (q = z + 1); spread the output scale around it
    const so = (1 / Math.sqrt(si) / 127) * Math.exp(-2 + rand() * 4);
    out.push([
      { scale: si, zeroPoint: Math.floor(rand() * 256) - 128 },
      { scale: so, zeroPoint: Math.floor(rand() * 256) - 128 },
    ]);
  }
  return out;
}

/** every int8 value at or above the zero point (TFLM fails on negative inputs) */
const nonNegative = (z: number) => Int8Array.from({ length: 128 - z }, (_, i) => z + i);

const int16Graph = (shape: number[], si: number, so: number) =>
  singleOpGraph('RSQRT', [{ shape, dtype: 'int16', scale: si, zeroPoint: 0 }], [{ shape, dtype: 'int16', scale: so, zeroPoint: 0 }]);

describe('RSQRT', () => {
  it('computes 1/sqrt(x) within one step (hand-checked and sampled)', () => {
    const { graph, op } = unaryGraph('RSQRT', [4], { scale: 0.01, zeroPoint: 0 }, { scale: 0.1, zeroPoint: -128 });
    // x = 0.01, 0.25, 1, 1.27 -> 10, 2, 1, 0.887 -> /0.1 - 128
    const out = evaluateOp(rsqrt, graph, op, [Int8Array.from([1, 25, 100, 127])])[0] as Int8Array;
    expect(Array.from(out)).to.deep.equal([-28, -108, -118, -119]);
  });

  it('gives the maximum at zero and below the zero point', () => {
    const { graph, op } = unaryGraph('RSQRT', [3], { scale: 0.01, zeroPoint: 5 }, { scale: 0.1, zeroPoint: -128 });
    expect(Array.from(evaluateOp(rsqrt, graph, op, [Int8Array.from([5, 4, -128])])[0] as Int8Array)).to.deep.equal([127, 127, 127]);
  });

  it("rejects scales outside the range of TFLite's shifts", () => {
    const { graph, op } = unaryGraph('RSQRT', [3], { scale: 1e-6, zeroPoint: 0 }, { scale: 1e-8, zeroPoint: 0 });
    expect(() => rsqrt.check(graph, op)).to.throw(OpError, /outside the range/);
  });

  it('emitted C matches the reference kernel byte for byte (int8 and int16)', () => {
    const rand = rng(11);
    const cases = quants(12, 3).map(([qi, qo], k) => {
      const shape = [[256], [1, 5, 5, 8], [2, 33]][k % 3]!;
      const { graph, op } = unaryGraph('RSQRT', shape, qi, qo);
      return {
        def: rsqrt,
        graph,
        op,
        inputs: [
          shape.length === 1
            ? ALL_INT8
            : randomInt8(
                rand,
                shape.reduce((a, b) => a * b, 1),
              ),
        ],
      };
    });
    for (const [si, so] of [
      [1e-4, 1e-3],
      [2 ** -10, 2 ** -8],
      [0.01, 0.05],
    ]) {
      const { graph, op } = int16Graph([4, 50], si!, so!);
      cases.push({
        def: rsqrt,
        graph,
        op,
        inputs: [Int16Array.from({ length: 200 }, (_, i) => (i < 3 ? [0, 1, 32767][i]! : Math.floor(rand() * 65536) - 32768)) as unknown as Int8Array],
      });
    }
    expectCMatchesReference(cases);
  });

  it('agrees with TFLite Micro on every non-negative int8 input, random quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(
      rsqrt,
      quants(13, 20).map(([qi, qo]) => {
        const x = nonNegative(qi.zeroPoint);
        return { ...unaryGraph('RSQRT', [x.length], qi, qo), inputs: [x] };
      }),
    );
  });

  it('agrees with TFLite Micro on int16 (non-negative inputs)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(14);
    const cases = [
      [1e-4, 1e-3],
      [2 ** -10, 2 ** -8],
      [0.01, 0.05],
      [3e-5, 0.2],
      [1e-3, 2e-4],
    ].map(([si, so]) => ({
      ...int16Graph([3, 100], si!, so!),
      inputs: [Int16Array.from({ length: 300 }, (_, i) => (i < 4 ? [0, 1, 2, 32767][i]! : i < 100 ? i : Math.floor(rand() * 32768)))],
    }));
    expectTflmAgrees(rsqrt, cases as never);
  });
});
