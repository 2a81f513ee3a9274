import { expect } from 'chai';
import sub from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { evaluateOp, randomInt8, rng } from '../../../test/helpers/op_harness.ts';
import { BROADCAST_SHAPES, type Q, binaryGraph, count, expectCMatchesReference, expectTfliteAgrees, randomQ } from '../../../test/helpers/op_checks.ts';

function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[], activation: FusedActivation = 'NONE'): number[] {
  const { graph, op } = binaryGraph('SUB', a, b, out, qa, qb, qo, { activation });
  return Array.from(evaluateOp(sub, graph, op, [Int8Array.from(x), Int8Array.from(y)])[0] as Int8Array);
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

describe('SUB', () => {
  describe('reference kernel', () => {
    it('subtracts real values (hand-checked)', () => {
      // 0.1·20 - 0.3·(-5-5) = 2 + 3 = 5 -> at scale 0.2, zero point 3: 25 + 3 = 28
      expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 }, [20], [-5])).to.deep.equal([28]);
      const q = { scale: 0.5, zeroPoint: 0 };
      expect(run([4], [4], [4], q, q, q, [10, -10, 127, -128], [4, 4, -128, 127])).to.deep.equal([6, -14, 127, -128]);
    });

    it('broadcasts in either operand and applies the fused activations', () => {
      const q = { scale: 1, zeroPoint: 0 };
      expect(run([2, 2], [2], [2, 2], q, q, q, [5, 6, 7, 8], [1, 2])).to.deep.equal([4, 4, 6, 6]);
      expect(run([1], [3], [3], q, q, q, [0], [1, 2, 3])).to.deep.equal([-1, -2, -3]);
      const qz = { scale: 0.5, zeroPoint: -128 };
      expect(run([3], [3], [3], qz, qz, qz, [-100, -120, -60], [-120, -100, -128], 'RELU6')).to.deep.equal([-116, -128, -116]);
      expect(run([3], [3], [3], qz, qz, qz, [-100, -120, -60], [-120, -100, -128], 'RELU_N1_TO_1')).to.deep.equal([-126, -128, -126]);
    });

    it('divides the scales in float32 as TFLite Micro\'s SUB does (not in double as its ADD)', () => {
      const { graph, op } = binaryGraph('SUB', [1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 0 });
      const p = sub.prepare(graph, op);
      const s1 = Math.fround(0.1);
      const twiceMax = Math.fround(2 * Math.fround(0.3));
      expect(p.input1Multiplier).to.equal(Math.round(Math.fround(s1 / twiceMax) * 4 * 2 ** 31));
      expect(p.input1Shift).to.equal(-2);
    });
  });

  it('rejects an output scale too small for the 20-bit headroom, and int16', () => {
    const tiny = binaryGraph('SUB', [2], [2], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, { scale: 1e-7, zeroPoint: 0 });
    expect(() => sub.check(tiny.graph, tiny.op)).to.throw(OpError, /too small/);
  });

  it('emitted C matches the reference kernel byte for byte on broadcast shapes and every activation', () => {
    const rand = rng(71);
    expectCMatchesReference(BROADCAST_SHAPES.map(([a, b, out], k) => {
      const { graph, op } = binaryGraph('SUB', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 0), { activation: ACTIVATIONS[k % 4] });
      return { def: sub, graph, op, inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))] };
    }));
  });

  it('agrees with desktop TFLite (tfjs-tflite) with and without broadcasting, for every activation', async () => {
    const rand = rng(72);
    await expectTfliteAgrees(sub, BROADCAST_SHAPES.slice(0, 5).map(([a, b, out], k) => ({
      ...binaryGraph('SUB', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 0), { activation: ACTIVATIONS[k % 4] }),
      inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))],
    })));
  });
});
