// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import add from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { type CCase, evaluateOp, firstDifference, randomInt16, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { runTfliteInterpreter } from '../../../../test/helpers/tfjs_tflite.ts';

const i16 = (scale: number) => ({ dtype: 'int16' as const, scale, zeroPoint: 0 });

function addGraph(a: number[], b: number[], out: number[], s1: number, s2: number, so: number, activation: FusedActivation = 'NONE') {
  return singleOpGraph(
    'ADD',
    [
      { shape: a, ...i16(s1) },
      { shape: b, ...i16(s2) },
    ],
    [{ shape: out, ...i16(so) }],
    { activation },
  );
}

function run(g: ReturnType<typeof addGraph>, a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  return Array.from(evaluateOp(add, g.graph, g.op, [Int16Array.from(a), Int16Array.from(b)])[0] as Int16Array);
}

describe('ADD 16x8 (int16 activations)', () => {
  describe('reference kernel, hand-computed', () => {
    it('equal scales add exactly; mixed scales rescale to the output (1*x + 0.5*y at s_out 1)', () => {
      expect(run(addGraph([4], [4], [4], 1, 1, 1), [1, -2, 30000, -30000], [2, 3, 10000, -10000])).to.deep.equal([3, 1, 32767, -32768]);
      expect(run(addGraph([3], [3], [3], 1, 0.5, 1), [10, 10, -10], [4, 5, -5])).to.deep.equal([12, 13, -13]);
      expect(run(addGraph([2], [2], [2], 0.5, 0.5, 1), [3, -3], [0, 0])).to.deep.equal([2, -2]);
    });
    it('broadcasts [2,1,3] + [1,2,1] -> [2,2,3], and clamps with RELU6 (6 at scale 0.25 is 24)', () => {
      const g = addGraph([2, 1, 3], [1, 2, 1], [2, 2, 3], 1, 1, 1);
      expect(run(g, [1, 2, 3, 4, 5, 6], [10, 20])).to.deep.equal([11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26]);
      expect(run(addGraph([2], [2], [2], 0.25, 0.25, 0.25, 'RELU6'), [20, -20], [10, 1])).to.deep.equal([24, 0]);
    });
    it('rejects mixed int8 and int16 operands', () => {
      const g = singleOpGraph(
        'ADD',
        [
          { shape: [2], ...i16(1) },
          { shape: [2], scale: 1, zeroPoint: 0 },
        ],
        [{ shape: [2], ...i16(1) }],
        { activation: 'NONE' },
      );
      expect(() => add.check(g.graph, g.op)).to.throw(OpError, /input 2 tensor 1 "in1" is int8; this int16 layer needs int16 activations throughout/);
    });
  });

  const randomLayers = (seed: number) => {
    const rand = rng(seed);
    const shapes: [number[], number[], number[]][] = [
      [
        [1, 5, 5, 3],
        [1, 5, 5, 3],
        [1, 5, 5, 3],
      ],
      [[2, 3, 4], [4], [2, 3, 4]],
      [
        [3, 1],
        [1, 7],
        [3, 7],
      ],
      [
        [1, 2, 2, 2, 2],
        [2, 1, 2, 1, 2],
        [2, 2, 2, 2, 2],
      ],
    ];
    return shapes.map(([a, b, o], k) => {
      const s1 = 0.0005 + rand() * 0.01;
      const s2 = 0.0005 + rand() * 0.01;
      const g = addGraph(a, b, o, s1, s2, (s1 + s2) * (0.5 + rand()), (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[k]!);
      const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
      return { ...g, inputs: [randomInt16(rand, n(a)), randomInt16(rand, n(b))] };
    });
  };

  it('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference on broadcasting layers', () => {
    const cases: CCase[] = randomLayers(1919).map((l) => ({ def: add, ...l }));
    const results = runCasesInC(cases);
    cases.forEach((c, k) => expect(firstDifference(toBytes(evaluateOp(add, c.graph, c.op, c.inputs)[0]!), results[k]![0]!), `case ${k}`).to.equal(undefined));
  });

  it('desktop TFLite (tfjs-tflite) gives the same outputs on models written by our writer', async () => {
    for (const [k, l] of randomLayers(96).entries()) {
      if (l.graph.tensors[0]!.shape.length > 4) continue; // this tfjs-tflite build aborts on 5-D int16 broadcasting
      const theirs = await runTfliteInterpreter(
        writeTflite(l.graph),
        l.inputs.map((b) => new Uint8Array(toBytes(b))),
      );
      expect(firstDifference(toBytes(evaluateOp(add, l.graph, l.op, l.inputs)[0]!), theirs[0]!), `layer ${k}`).to.equal(undefined);
    }
  });
});
