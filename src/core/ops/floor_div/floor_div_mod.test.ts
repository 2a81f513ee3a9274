// SPDX-License-Identifier: Apache-2.0
/**
 * FLOOR_DIV and FLOOR_MOD (float32 only): hand-checked values (the signs of quotients and
 * remainders), the refusals, then TS reference vs emitted C vs TFLite Micro on operands of every
 * kind (small integers, random values over the whole exponent range, subnormals, zeros of both
 * signs, infinities, NaNs), same shapes and broadcasts.
 */
import { expect } from 'chai';
import floorDiv, { floorDivBits } from './index.ts';
import floorMod, { floorModBits } from '../floor_mod/index.ts';
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { fromBits, toBits } from '../common/families/float_unary.ts';
import { rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const SPECIAL = [0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x7fc00000];

/** operands: specials, small integers and halves, random values of every magnitude; divisors never 0 when `nonzero` */
export function floorOperands(rand: () => number, n: number, opts: { nan: boolean; nonzero: boolean; specials: boolean }): Float32Array {
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    const r = rand();
    if (opts.specials && rand() < 0.1) v = SPECIAL[Math.floor(rand() * SPECIAL.length)]!;
    else if (r < 0.4) v = toBits(Math.floor((rand() - 0.5) * 40) / (rand() < 0.5 ? 1 : 2));
    else if (r < 0.8) v = toBits((rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20));
    else v = Math.floor(rand() * 2 ** 32);
    if ((v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0) v = opts.nan ? (v | 0x00400000) >>> 0 : 0x40400000;
    if (opts.nonzero && (v & 0x7fffffff) === 0) v = 0x3fc00000;
    u[i] = v >>> 0;
  }
  return new Float32Array(u.buffer);
}

const SHAPES: [number[], number[], number[]][] = [
  [[200], [200], [200]],
  [
    [1, 4, 4, 3],
    [1, 4, 4, 3],
    [1, 4, 4, 3],
  ],
  [[2, 3, 5], [5], [2, 3, 5]],
  [
    [4, 1, 6],
    [1, 3, 1],
    [4, 3, 6],
  ],
  [[1], [2, 2, 2, 9], [2, 2, 2, 9]],
];
const OPS: [string, OpDef][] = [
  ['FLOOR_DIV', floorDiv],
  ['FLOOR_MOD', floorMod],
];
const count = (s: number[]) => s.reduce((a, b) => a * b, 1);

function cases(kind: string, def: OpDef, seed: number, nan: boolean) {
  const rand = rng(seed);
  return SHAPES.map(([a, b, out]) => ({
    def,
    ...singleOpGraph(
      kind,
      [
        { shape: a, dtype: 'float32' },
        { shape: b, dtype: 'float32' },
      ],
      [{ shape: out, dtype: 'float32' }],
    ),
    inputs: [
      floorOperands(rand, count(a), { nan, nonzero: false, specials: true }) as unknown as Int8Array,
      // TFLite Micro's FLOOR_DIV fails on a zero divisor: FLOOR_MOD's divisors take zeros (x86's NaN)
      floorOperands(rand, count(b), { nan, nonzero: kind === 'FLOOR_DIV', specials: true }) as unknown as Int8Array,
    ],
  }));
}

describe('FLOOR_DIV and FLOOR_MOD (float32)', () => {
  it("floor the quotient and give the remainder the divisor's sign (hand-checked)", () => {
    const d = (a: number, b: number) => fromBits(floorDivBits(toBits(a), toBits(b)));
    const m = (a: number, b: number) => fromBits(floorModBits(toBits(a), toBits(b)));
    // 7 / 2 = 3.5 -> 3; -7 / 2 = -3.5 -> -4; 7 / -2 -> -4; -7 / -2 = 3.5 -> 3
    expect([d(7, 2), d(-7, 2), d(7, -2), d(-7, -2), d(1, 3)]).to.deep.equal([3, -4, -4, 3, 0]);
    expect(Object.is(d(-0.5, 3), -1) && Object.is(d(-0, 3), -0), 'floor of -0.166 is -1, of -0 is -0').to.equal(true);
    // fmod(-7, 2) = -1, signs differ: -1 + 2 = 1; fmod(7, -2) = 1 -> 1 - 2 = -1; fmod(-7, -2) = -1
    expect([m(7, 2), m(-7, 2), m(7, -2), m(-7, -2), m(5.5, 2), m(-5.5, 2)]).to.deep.equal([1, 1, -1, -1, 1.5, 0.5]);
    expect(Object.is(m(-4, 2), -0), "an exact multiple keeps the dividend's zero").to.equal(true);
    expect(floorModBits(toBits(3), 0), 'fmod(x, 0): x86 default NaN').to.equal(0xffc00000);
    expect(m(-3, Infinity), 'fmod(-3, inf) = -3, then -3 + inf').to.equal(Infinity);
  });

  it('refuse int32, int8 and a constant divisor with a zero, in one line', () => {
    for (const [kind, def] of OPS) {
      const i32 = singleOpGraph(
        kind,
        [
          { shape: [2], dtype: 'int32' },
          { shape: [2], dtype: 'int32' },
        ],
        [{ shape: [2], dtype: 'int32' }],
      );
      expect(() => def.check(i32.graph, i32.op), kind).to.throw(OpError, /input 1 .*int32.*float32 only/);
      const i8 = singleOpGraph(
        kind,
        [
          { shape: [2], scale: 0.1 },
          { shape: [2], scale: 0.1 },
        ],
        [{ shape: [2], scale: 0.1 }],
      );
      expect(() => def.check(i8.graph, i8.op), kind).to.throw(OpError, /int8.*float32 only/);
      const wide = singleOpGraph(
        kind,
        [
          { shape: [1, 1, 1, 1, 2], dtype: 'float32' },
          { shape: [1], dtype: 'float32' },
        ],
        [{ shape: [1, 1, 1, 1, 2], dtype: 'float32' }],
      );
      expect(() => def.check(wide.graph, wide.op), kind).to.throw(OpError, /at most 4 dimensions/);
    }
    const zero = singleOpGraph(
      'FLOOR_DIV',
      [
        { shape: [2], dtype: 'float32' },
        { shape: [2], dtype: 'float32', data: Float32Array.from([1, 0]) },
      ],
      [{ shape: [2], dtype: 'float32' }],
    );
    expect(() => floorDiv.check(zero.graph, zero.op)).to.throw(OpError, /Division by 0/);
  });

  it('the emitted C matches the reference kernel bit for bit', () => {
    // the harness writes C float literals, which carry no NaN payload: NaNs are checked against TFLM only
    expectCMatchesReference(OPS.flatMap(([kind, def], k) => cases(kind, def, 181 + k, false)));
  });

  for (const [k, [kind, def]] of OPS.entries()) {
    it(`${kind} agrees with TFLite Micro bit for bit`, function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(
        def,
        cases(kind, def, 191 + k, true).map(({ graph, op, inputs }) => ({ graph, op, inputs })),
      );
    });
  }
});
