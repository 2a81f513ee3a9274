// SPDX-License-Identifier: Apache-2.0
/**
 * The float32-only ops (NEG, SQUARE, FLOOR, SQRT): TS reference vs emitted C vs TFLite Micro on
 * float bit patterns of every kind (normal over the whole exponent range, subnormal, zeros of both
 * signs, infinities, quiet NaNs), many shapes.
 */
import { expect } from 'chai';
import neg from '../../neg/index.ts';
import square from '../../square/index.ts';
import floor from '../../floor/index.ts';
import sqrt from '../../sqrt/index.ts';
import { OpError } from '../../../errors.ts';
import type { OpDef } from '../../op.ts';
import { rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../../test/helpers/tflm_ref.ts';

const SPECIAL = [
  0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc12345, 0x00000001, 0x807fffff, 0x3f800000, 0xbf000000, 0x4b000000, 0xcb000001, 0x4affffff, 0xbeffffff,
  0x7f7fffff,
];

function floats(rand: () => number, n: number, opts: { nan?: boolean; negative?: boolean } = {}): Float32Array {
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    const r = rand();
    if (i < SPECIAL.length) v = SPECIAL[i]!;
    else if (r < 0.5) v = new Uint32Array(new Float32Array([(rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 6)]).buffer)[0]!;
    else v = Math.floor(rand() * 2 ** 32);
    if (!opts.negative) v &= 0x7fffffff;
    const isNaN = (v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0;
    // signalling NaNs are quieted differently by soft-float code paths: keep NaNs quiet
    if (isNaN) v = opts.nan === false ? 0x3f800000 : (v | 0x00400000) >>> 0;
    u[i] = v >>> 0;
  }
  return new Float32Array(u.buffer);
}

const SHAPES = [[300], [1, 4, 4, 3], [2, 50], [1]];
const graphOf = (kind: string, shape: number[]) => singleOpGraph(kind, [{ shape, dtype: 'float32' }], [{ shape, dtype: 'float32' }]);

const OPS: [string, OpDef, { negative: boolean; nan: boolean }][] = [
  ['NEG', neg, { negative: true, nan: false }],
  ['SQUARE', square, { negative: true, nan: true }],
  ['FLOOR', floor, { negative: true, nan: true }],
  ['SQRT', sqrt, { negative: true, nan: true }],
];

describe('float32-only elementwise ops (NEG, SQUARE, FLOOR, SQRT)', () => {
  it('reject int8 (TFLite Micro has no quantized kernel)', () => {
    for (const [kind, def] of OPS) {
      const { graph, op } = singleOpGraph(kind, [{ shape: [2], scale: 0.1, zeroPoint: 0 }], [{ shape: [2], scale: 0.1, zeroPoint: 0 }]);
      expect(() => def.check(graph, op), kind).to.throw(OpError, /float32 only/);
    }
  });

  it('emitted C matches the reference kernel bit for bit', () => {
    const rand = rng(71);
    expectCMatchesReference(
      OPS.flatMap(([kind, def, o]) =>
        SHAPES.map((shape) => ({
          // the harness writes C float literals, which carry no NaN payload: NaNs are checked against TFLM only
          def,
          ...graphOf(kind, shape),
          inputs: [
            floats(
              rand,
              shape.reduce((a, b) => a * b, 1),
              { ...o, nan: false },
            ) as unknown as Int8Array,
          ],
        })),
      ),
    );
  });

  for (const [kind, def, o] of OPS) {
    it(`${kind} agrees with TFLite Micro bit for bit`, function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(72);
      expectTflmAgrees(
        def,
        SHAPES.map((shape) => ({
          ...graphOf(kind, shape),
          inputs: [
            floats(
              rand,
              shape.reduce((a, b) => a * b, 1),
              o,
            ) as unknown as Int8Array,
          ],
        })),
      );
    });
  }
});
