// SPDX-License-Identifier: Apache-2.0
/**
 * CEIL and ROUND (float32 only): hand-checked values (halves to even, the signs of zeros), then TS
 * reference vs emitted C vs TFLite Micro on float bit patterns of every kind (halves and their
 * neighbours, normal over the whole exponent range, subnormal, zeros of both signs, infinities,
 * quiet NaNs), many shapes.
 */
import { expect } from 'chai';
import ceil, { ceilBits } from '../ceil/index.ts';
import round, { roundBits } from './index.ts';
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { fromBits, toBits } from '../common/families/float_unary.ts';
import { rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const SPECIAL = [
  0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc12345, 0xffc00001, 0x00000001, 0x807fffff, 0x3f800000, 0xbf000000, 0x3f000000, 0x4b000000, 0xcb000001,
  0x4affffff, 0xcaffffff, 0x4afffffe, 0xbeffffff, 0x3effffff, 0x7f7fffff, 0xff7fffff, 0x4f000000, 0xcf000000,
];

/** float bits: the specials, halves k + 0.5 and their neighbours, random values of every magnitude */
export function roundingInputs(rand: () => number, n: number, nan: boolean): Float32Array {
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    const r = rand();
    if (i < SPECIAL.length) v = SPECIAL[i]!;
    else if (r < 0.35) v = (toBits(Math.floor((rand() - 0.5) * 64) + 0.5) + Math.floor(rand() * 3) - 1) >>> 0;
    else if (r < 0.7) v = toBits((rand() - 0.5) * 2 ** Math.floor(rand() * 30 - 6));
    else v = Math.floor(rand() * 2 ** 32);
    if ((v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0) v = nan ? (v | 0x00400000) >>> 0 : 0x3fc00000;
    u[i] = v >>> 0;
  }
  return new Float32Array(u.buffer);
}

const SHAPES = [[300], [1, 4, 4, 3], [2, 50], [1]];
const graphOf = (kind: string, shape: number[]) => singleOpGraph(kind, [{ shape, dtype: 'float32' }], [{ shape, dtype: 'float32' }]);
const OPS: [string, OpDef][] = [
  ['CEIL', ceil],
  ['ROUND', round],
];

describe('CEIL and ROUND (float32)', () => {
  it("round half to even, and keep TFLite's signs of zero (hand-checked)", () => {
    const r = (x: number) => fromBits(roundBits(toBits(x)));
    // floor, then d = x - floor: 0.5 -> 0 (0 even), 1.5 -> 2, 2.5 -> 2, -0.5 -> -1 + 1 = +0, -1.5 -> -2, -2.5 -> -2
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 3.7, -3.7].map(r)).to.deep.equal([0, 2, 2, 0, -2, -2, 0, 4, -4]);
    expect(Object.is(r(-0.5), 0), '-0.5 rounds to +0').to.equal(true);
    expect(Object.is(r(-0.25), 0), '-0.25 rounds to +0 (-1 + 1)').to.equal(true);
    expect(roundBits(0x80000000), '-0 stays -0').to.equal(0x80000000);
    expect(roundBits(0x4afffffe + 1), '8388607.5 -> 8388608').to.equal(toBits(8388608));
    const c = (x: number) => fromBits(ceilBits(toBits(x)));
    expect([0.5, -0.5, 1, 1.0000001, -1.9999999].map(c)).to.deep.equal([1, -0, 1, 2, -1]);
    expect(Object.is(c(-0.5), -0), 'ceil(-0.5) is -0').to.equal(true);
  });

  it('refuse int8 and int32 in one line (TFLite Micro has no other kernel)', () => {
    for (const [kind, def] of OPS) {
      const { graph, op } = singleOpGraph(kind, [{ shape: [2], scale: 0.1, zeroPoint: 0 }], [{ shape: [2], scale: 0.1, zeroPoint: 0 }]);
      expect(() => def.check(graph, op), kind).to.throw(OpError, new RegExp(`^.*${kind}.*input.*int8.*float32 only`));
      const i32 = singleOpGraph(kind, [{ shape: [2], dtype: 'int32' }], [{ shape: [2], dtype: 'int32' }]);
      expect(() => def.check(i32.graph, i32.op), kind).to.throw(OpError, /int32.*float32 only/);
    }
  });

  it('the emitted C matches the reference kernel bit for bit', () => {
    const rand = rng(171);
    expectCMatchesReference(
      OPS.flatMap(([kind, def]) =>
        SHAPES.map((shape) => ({
          // the harness writes C float literals, which carry no NaN payload: NaNs are checked against TFLM only
          def,
          ...graphOf(kind, shape),
          inputs: [
            roundingInputs(
              rand,
              shape.reduce((a, b) => a * b, 1),
              false,
            ) as unknown as Int8Array,
          ],
        })),
      ),
    );
  });

  for (const [kind, def] of OPS) {
    it(`${kind} agrees with TFLite Micro bit for bit`, function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(172);
      expectTflmAgrees(
        def,
        SHAPES.map((shape) => ({
          ...graphOf(kind, shape),
          inputs: [
            roundingInputs(
              rand,
              shape.reduce((a, b) => a * b, 1),
              true,
            ) as unknown as Int8Array,
          ],
        })),
      );
    });
  }
});
