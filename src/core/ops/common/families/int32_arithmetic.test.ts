// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import add from '../../add/index.ts';
import sub from '../../sub/index.ts';
import mul from '../../mul/index.ts';
import div from '../../div/index.ts';
import type { OpDef } from '../../op.ts';
import type { FusedActivation } from '../../../ir/graph.ts';
import { evaluateOp, randomInt, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../../test/helpers/tflm_ref.ts';
import { int32Combine } from './int32_arithmetic.ts';

const OPS: [string, OpDef][] = [
  ['ADD', add],
  ['SUB', sub],
  ['MUL', mul],
  ['DIV', div],
];
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const SHAPES: [number[], number[], number[]][] = [
  [[40], [], [40]],
  [
    [2, 3, 4],
    [2, 3, 4],
    [2, 3, 4],
  ],
  [
    [1, 5],
    [3, 1],
    [3, 5],
  ],
  [[], [7], [7]],
];

function int32s(rand: () => number, n: number, divisor: boolean): Int32Array {
  const edge = [2147483647, -2147483648, -1, 0, 1, 65536, -65536, 46341];
  return Int32Array.from({ length: n }, (_, i) => {
    const v = i < edge.length && rand() < 0.5 ? edge[i]! : rand() < 0.5 ? randomInt(rand, -300, 300) : randomInt(rand, -2147483648, 2147483647);
    return divisor && v === 0 ? 3 : v;
  });
}

function cases(kind: string, seed: number) {
  const rand = rng(seed);
  return SHAPES.flatMap(([a, b, out], k) =>
    ACTIVATIONS.map((activation, j) => {
      const constantB = (k + j) % 2 === 0;
      const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const bValues = int32s(rand, n(b), kind === 'DIV');
      const g = singleOpGraph(
        kind,
        [
          { shape: a, dtype: 'int32' },
          { shape: b, dtype: 'int32', ...(constantB ? { data: bValues } : {}) },
        ],
        [{ shape: out, dtype: 'int32' }],
        {
          activation,
        },
      );
      return { ...g, inputs: constantB ? [int32s(rand, n(a), false)] : [int32s(rand, n(a), false), bValues] };
    }),
  );
}

describe('int32 ADD, SUB, MUL, DIV (plain integers, as signal front-ends scale their output)', () => {
  it('wrap as two-complement and truncate as C (hand-checked)', () => {
    expect(int32Combine('ADD', 2147483647, 1)).to.equal(-2147483648);
    expect(int32Combine('MUL', 65536, 65536)).to.equal(0);
    expect(int32Combine('DIV', -7, 2)).to.equal(-3);
    expect(int32Combine('DIV', -2147483648, -1)).to.equal(-2147483648);
    const g = singleOpGraph(
      'MUL',
      [
        { shape: [2], dtype: 'int32' },
        { shape: [], dtype: 'int32', data: Int32Array.from([10]) },
      ],
      [{ shape: [2], dtype: 'int32' }],
      {
        activation: 'RELU6',
      },
    );
    expect(Array.from(evaluateOp(mul, g.graph, g.op, [Int32Array.from([-3, 1])])[0] as Int32Array)).to.deep.equal([0, 6]);
  });

  it('refuses a constant zero divisor and a mixed-type input, in one line', () => {
    const z = singleOpGraph(
      'DIV',
      [
        { shape: [2], dtype: 'int32' },
        { shape: [1], dtype: 'int32', data: Int32Array.from([0]) },
      ],
      [{ shape: [2], dtype: 'int32' }],
      {},
    );
    expect(() => div.check(z.graph, z.op)).to.throw(/divisor .* holds a zero/);
    const m = singleOpGraph(
      'ADD',
      [
        { shape: [2], dtype: 'int16', scale: 1 },
        { shape: [2], dtype: 'int32' },
      ],
      [{ shape: [2], dtype: 'int32' }],
      {},
    );
    expect(() => add.check(m.graph, m.op)).to.throw(/input 1 .* is int16; the output .* is int32/);
  });

  for (const [kind, def] of OPS) {
    it(`${kind}: the C equals the reference and the reference equals TFLite Micro (broadcasts, activations, overflow)`, function () {
      const all = cases(kind, kind.length * 17);
      expectCMatchesReference(all.map((c) => ({ def, ...c })));
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(def, all);
    });
  }
});
