// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import elu from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTflmAgrees, randomQ, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function quants(seed: number, n: number) {
  const rand = rng(seed);
  const out = [
    [
      { scale: 0.05, zeroPoint: 127 },
      { scale: 0.05, zeroPoint: -128 },
    ],
    [
      { scale: 0.05, zeroPoint: -128 },
      { scale: 0.05, zeroPoint: 127 },
    ],
    [
      { scale: 0.1, zeroPoint: 0 },
      { scale: 1e-4, zeroPoint: 0 },
    ],
    [
      { scale: 20, zeroPoint: 0 },
      { scale: 1e-6, zeroPoint: 0 },
    ],
  ];
  for (let k = 0; k < n; k++) out.push([randomQ(rand, -8, 2), randomQ(rand, -8, 2)]);
  return out;
}

describe('ELU', () => {
  it('computes x < 0 ? exp(x) - 1 : x (hand-checked)', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    // x = -1, 0, 1, -12.8 -> -0.632, 0, 1, -1
    const { graph, op } = unaryGraph('ELU', [4], q, q);
    expect(Array.from(evaluateOp(elu, graph, op, [Int8Array.from([-10, 0, 10, -128])])[0] as Int8Array)).to.deep.equal([-6, 0, 10, -10]);
  });

  it('rejects int16 (TFLM has no int16 ELU)', () => {
    const { graph, op } = singleOpGraph(
      'ELU',
      [{ shape: [2], dtype: 'int16', scale: 1e-3, zeroPoint: 0 }],
      [{ shape: [2], dtype: 'int16', scale: 1e-3, zeroPoint: 0 }],
    );
    expect(() => elu.check(graph, op)).to.throw(OpError, /int16/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(21);
    expectCMatchesReference(
      quants(22, 3).map(([qi, qo], k) => {
        const shape = [[256], [1, 6, 6, 4], [3, 7]][k % 3]!;
        return {
          def: elu,
          ...unaryGraph('ELU', shape, qi!, qo!),
          inputs: [
            shape.length === 1
              ? ALL_INT8
              : randomInt8(
                  rand,
                  shape.reduce((a, b) => a * b, 1),
                ),
          ],
        };
      }),
    );
  });

  it('agrees with TFLite Micro on every int8 input value, random quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(
      elu,
      quants(23, 40).map(([qi, qo]) => ({ ...unaryGraph('ELU', [256], qi!, qo!), inputs: [ALL_INT8] })),
    );
  });
});
