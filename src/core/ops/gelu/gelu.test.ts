// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import gelu, { erfc, geluApproximateF32, geluF32 } from './index.ts';
import { evaluateOp, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, randomQ, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { runTfliteInterpreter } from '../../../../test/helpers/tfjs_tflite.ts';
import { TflmRefError, runTflmRef, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { writeTflite } from '../../model/tflite/writer.ts';

function quants(seed: number, n: number) {
  const rand = rng(seed);
  const out = [
    [
      { scale: 0.05, zeroPoint: 127 },
      { scale: 0.05, zeroPoint: -128 },
    ],
    [
      { scale: 0.05, zeroPoint: -128 },
      { scale: 0.03, zeroPoint: -20 },
    ],
    [
      { scale: 0.1, zeroPoint: 0 },
      { scale: 1e-3, zeroPoint: 0 },
    ],
  ];
  for (let k = 0; k < n; k++) out.push([randomQ(rand, -7, 1), randomQ(rand, -7, 1)]);
  return out;
}

describe('GELU', () => {
  it('erfc is accurate to double precision at known values', () => {
    for (const [x, want] of [
      [0, 1],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2, 0.004677734981047266],
      [3, 2.209049699858544e-5],
      [5, 1.5374597944280349e-12],
      [-1, 1.8427007929497148],
    ]) {
      expect(Math.abs(erfc(x!) - want!) / want!).to.be.below(1e-13);
    }
  });

  it('computes x·Φ(x), exact and tanh-approximated (hand-checked)', () => {
    expect(geluF32(1)).to.be.closeTo(0.8413447, 1e-6);
    expect(geluApproximateF32(1)).to.be.closeTo(0.841192, 1e-6);
    const q = { scale: 0.1, zeroPoint: 0 };
    const { graph, op } = unaryGraph('GELU', [4], q, q, { approximate: false });
    // x = -1, 0, 1, 3 -> -0.159, 0, 0.841, 2.996
    expect(Array.from(evaluateOp(gelu, graph, op, [Int8Array.from([-10, 0, 10, 30])])[0] as Int8Array)).to.deep.equal([-2, 0, 8, 30]);
  });

  it('TFLite Micro (the tflm-ref commit) has no GELU kernel', function () {
    if (!tflmRefAvailable(this)) return;
    const { graph } = unaryGraph('GELU', [4], { scale: 0.1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 0 });
    expect(() => runTflmRef(writeTflite(graph))).to.throw(TflmRefError, /GELU/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(41);
    expectCMatchesReference(
      quants(42, 3).map(([qi, qo], k) => {
        const shape = [[256], [1, 6, 6, 4], [3, 7]][k % 3]!;
        return {
          def: gelu,
          ...unaryGraph('GELU', shape, qi!, qo!, { approximate: k % 2 === 1 }),
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

  // the oracle for GELU is desktop TFLite itself (tfjs-tflite), called directly: TFLite Micro has no GELU
  for (const approximate of [false, true]) {
    it(`agrees with desktop TFLite (tfjs-tflite) on every int8 input value, approximate = ${approximate}`, async () => {
      for (const [k, [qi, qo]] of quants(43, 25).entries()) {
        const { graph, op } = unaryGraph('GELU', [256], qi!, qo!, { approximate });
        const ours = evaluateOp(gelu, graph, op, [ALL_INT8])[0] as Int8Array;
        const theirs = new Int8Array((await runTfliteInterpreter(writeTflite(graph), [new Uint8Array(ALL_INT8.buffer)]))[0]!.buffer);
        expect(Array.from(ours), `case ${k}: ${JSON.stringify(qi)} -> ${JSON.stringify(qo)}`).to.deep.equal(Array.from(theirs));
      }
    });
  }
});
