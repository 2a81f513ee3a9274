// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import abs from './index.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTflmAgrees, randomQ, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const SHAPES = [[256], [1, 4, 4, 16], [2, 128], [1, 16, 16]];

/** int8 quantizations: random, plus the zero point extremes and equal scales (no rescale). */
function int8Quants(seed: number, n: number) {
  const rand = rng(seed);
  const out: [{ scale: number; zeroPoint: number }, { scale: number; zeroPoint: number }][] = [
    [
      { scale: 0.05, zeroPoint: -128 },
      { scale: 0.05, zeroPoint: -128 },
    ],
    [
      { scale: 0.05, zeroPoint: 127 },
      { scale: 0.05, zeroPoint: -128 },
    ],
    [
      { scale: 0.02, zeroPoint: 0 },
      { scale: 0.02, zeroPoint: 100 },
    ],
    [
      { scale: 1e-3, zeroPoint: -5 },
      { scale: 0.5, zeroPoint: -128 },
    ],
    // s_in/s_out divided in double would give another multiplier and a different output at q = -69: TFLM divides in float
    [
      { scale: 0.010309536010026932, zeroPoint: 0 },
      { scale: 0.0031131641007959843, zeroPoint: -128 },
    ],
  ];
  for (let k = 0; k < n; k++) out.push([randomQ(rand, -8, 1), randomQ(rand, -8, 1)]);
  return out;
}

const int16Graph = (shape: number[], si: number, so: number) =>
  singleOpGraph('ABS', [{ shape, dtype: 'int16', scale: si, zeroPoint: 0 }], [{ shape, dtype: 'int16', scale: so, zeroPoint: 0 }]);
const randomInt16 = (rand: () => number, n: number) =>
  Int16Array.from({ length: n }, (_, i) => (i === 0 ? -32768 : i === 1 ? 32767 : Math.floor(rand() * 65536) - 32768));

describe('ABS', () => {
  it('computes |x| (hand-checked)', () => {
    const { graph, op } = unaryGraph('ABS', [5], { scale: 0.1, zeroPoint: 10 }, { scale: 0.2, zeroPoint: -128 });
    // x = (q - 10)·0.1: -13.8, 0, 1, -2, 11.7 -> |x|/0.2 - 128
    const out = evaluateOp(abs, graph, op, [Int8Array.from([-128, 10, 20, -10, 127])])[0] as Int8Array;
    expect(Array.from(out)).to.deep.equal([-59, -128, -123, -118, -69]);
  });

  it('emitted C matches the reference kernel byte for byte (int8 and int16)', () => {
    const rand = rng(1);
    const cases = int8Quants(2, 4).map(([qi, qo], k) => {
      const shape = SHAPES[k % SHAPES.length]!;
      const { graph, op } = unaryGraph('ABS', shape, qi, qo);
      return {
        def: abs,
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
      [1e-3, 1e-3],
      [1e-3, 2e-3],
      [5e-4, 1e-4],
    ]) {
      const { graph, op } = int16Graph([3, 40], si!, so!);
      cases.push({ def: abs, graph, op, inputs: [randomInt16(rand, 120) as unknown as Int8Array] });
    }
    expectCMatchesReference(cases);
  });

  it('agrees with TFLite Micro on every int8 input value, random quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(
      abs,
      int8Quants(3, 16).map(([qi, qo]) => ({ ...unaryGraph('ABS', [256], qi, qo), inputs: [ALL_INT8] })),
    );
  });

  it('agrees with TFLite Micro on int16, equal and different scales', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(4);
    const cases = [
      [1e-3, 1e-3],
      [1e-3, 2e-3],
      [5e-4, 1e-4],
      [2 ** -12, 2 ** -10],
      [0.3, 0.01],
    ].map(([si, so]) => ({ ...int16Graph([2, 64], si!, so!), inputs: [randomInt16(rand, 128)] }));
    expectTflmAgrees(abs, cases as never);
  });
});
