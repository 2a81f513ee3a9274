// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const Q = { scale: 0.1, zeroPoint: 2 };

function graphOf(shape: number[], pads: number[], mode: 'REFLECT' | 'SYMMETRIC') {
  const out = shape.map((d, k) => d + pads[2 * k]! + pads[2 * k + 1]!);
  return singleOpGraph(
    'MIRROR_PAD',
    [
      { shape, ...Q },
      { shape: [shape.length, 2], dtype: 'int32', data: Int32Array.from(pads) },
    ],
    [{ shape: out, ...Q }],
    { mode },
  );
}

function cases(rand: () => number, n: number): Omit<CCase, 'def'>[] {
  return Array.from({ length: n }, (_, k) => {
    const mode = k % 2 === 0 ? 'REFLECT' : 'SYMMETRIC';
    const shape = Array.from({ length: randomInt(rand, 1, 4) }, () => randomInt(rand, 1, 5));
    const pads = shape.flatMap((d) => [0, 0].map(() => randomInt(rand, 0, Math.min(3, mode === 'REFLECT' ? d - 1 : d))));
    return {
      ...graphOf(shape, pads, mode),
      inputs: [
        randomInt8(
          rand,
          shape.reduce((a, b) => a * b, 1),
        ),
      ],
    };
  });
}

describe('MIRROR_PAD', () => {
  it('reflects without and with the edge (hand-checked)', () => {
    const x = Int8Array.from([1, 2, 3]);
    const r = graphOf([3], [2, 2], 'REFLECT');
    expect(Array.from(evaluateOp(def, r.graph, r.op, [x])[0] as Int8Array)).to.deep.equal([3, 2, 1, 2, 3, 2, 1]);
    const s = graphOf([3], [2, 3], 'SYMMETRIC');
    expect(Array.from(evaluateOp(def, s.graph, s.op, [x])[0] as Int8Array)).to.deep.equal([2, 1, 1, 2, 3, 3, 2, 1]);
  });

  it('rejects paddings past the mirror', () => {
    const g = graphOf([3], [3, 0], 'REFLECT');
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /must be in \[0, 2\] for REFLECT/);
  });

  it('emitted C matches the reference kernel (ranks 1-4, both modes)', () => {
    expectCMatchesReference(cases(rng(91), 12).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(92), 12));
  });
});
