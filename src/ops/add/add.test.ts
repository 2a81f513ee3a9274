import { expect } from 'chai';
import add from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { broadcastLoops } from '../common/broadcast.ts';
import {
  type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph, tfliteInterpreterDifference,
} from '../../../test/helpers/op_harness.ts';
import { sharedModelsAvailable } from '../../../test/helpers/shared.ts';
import { goldenCMismatches, goldenReferenceMismatches, layersOfKind } from '../../../test/helpers/golden_layers.ts';

interface Q { scale: number; zeroPoint: number }

function graphOf(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, activation: FusedActivation = 'NONE') {
  return singleOpGraph('ADD', [{ shape: a, ...qa }, { shape: b, ...qb }], [{ shape: out, ...qo }], { activation });
}

function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[], activation: FusedActivation = 'NONE'): number[] {
  const { graph, op } = graphOf(a, b, out, qa, qb, qo, activation);
  return Array.from(evaluateOp(add, graph, op, [Int8Array.from(x), Int8Array.from(y)])[0] as Int8Array);
}

describe('ADD', () => {
  describe('reference kernel', () => {
    it('adds real values: same scales, zero points folded in', () => {
      const q = { scale: 0.5, zeroPoint: 0 };
      // 1 + 2 = 3 real -> 6 at scale 0.5; -64 + -64 = -64 real -> -128 saturates
      expect(run([4], [4], [4], q, q, q, [2, 4, -128, 100], [4, -2, -128, 100])).to.deep.equal([6, 2, -128, 127]);
      const qz = { scale: 0.25, zeroPoint: -10 };
      // (x+10)/4 + (y+10)/4 back at zero point -10
      expect(run([3], [3], [3], qz, qz, qz, [-10, -6, 30], [-10, -2, 30])).to.deep.equal([-10, 2, 70]);
    });

    it('rescales different input and output scales (hand-checked)', () => {
      // 0.1*(20-0) + 0.3*(-5-5) = 2 - 3 = -1 real; at scale 0.2, zero point 3: -5 + 3 = -2
      expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 }, [20], [-5])).to.deep.equal([-2]);
      // 0.1*7 + 0.3*1 = 1.0 -> 5 + 3 = 8
      expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 }, [7], [6])).to.deep.equal([8]);
    });

    it('broadcasts: a per-channel vector, a scalar, a column', () => {
      const q = { scale: 1, zeroPoint: 0 };
      expect(run([1, 2, 2, 3], [3], [1, 2, 2, 3], q, q, q, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], [10, 20, 30]))
        .to.deep.equal([10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33]);
      expect(run([1], [2, 3], [2, 3], q, q, q, [5], [1, 2, 3, 4, 5, 6])).to.deep.equal([6, 7, 8, 9, 10, 11]);
      expect(run([2, 1], [1, 3], [2, 3], q, q, q, [10, 20], [1, 2, 3])).to.deep.equal([11, 12, 13, 21, 22, 23]);
      expect(run([2, 1, 2], [1, 2, 1], [2, 2, 2], q, q, q, [1, 2, 3, 4], [10, 20])).to.deep.equal([11, 12, 21, 22, 13, 14, 23, 24]);
    });

    it('applies every fused activation', () => {
      const q = { scale: 0.1, zeroPoint: -20 };
      const x = [-128, -30, -20, 0, 40, 127];
      const y = [-20, -20, -20, -20, -20, -20];
      expect(run([6], [6], [6], q, q, q, x, y, 'NONE')).to.deep.equal([-128, -30, -20, 0, 40, 127]);
      expect(run([6], [6], [6], q, q, q, x, y, 'RELU')).to.deep.equal([-20, -20, -20, 0, 40, 127]);
      expect(run([6], [6], [6], q, q, q, x, y, 'RELU6')).to.deep.equal([-20, -20, -20, 0, 40, 40]);
      expect(run([6], [6], [6], q, q, q, x, y, 'RELU_N1_TO_1')).to.deep.equal([-30, -30, -20, -10, -10, -10]);
    });

    it('computes TFLite\'s multipliers (left shift 20, twice the larger input scale)', () => {
      const { graph, op } = graphOf([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 });
      const p = add.prepare(graph, op);
      // s1/(2*0.3) = 1/6 and s2/(2*0.3) = 1/2 as Q31 multipliers with right shifts
      expect(p.input2Multiplier).to.equal(1 << 30);
      expect(p.input2Shift).to.equal(0);
      expect(p.input1Shift).to.equal(-2);
      // the scales are float32: 1/6 of the widened floats, not of the decimals
      expect(p.input1Multiplier).to.equal(Math.round((Math.fround(0.1) / (2 * Math.fround(0.3))) * 4 * 2 ** 31));
      expect(p.input1Multiplier).to.not.equal(Math.round((1 / 6) * 4 * 2 ** 31));
      expect(p.input1Offset).to.equal(0);
      expect(p.input2Offset).to.equal(-5);
      expect(p.outputZeroPoint).to.equal(3);
    });
  });

  describe('broadcast loops', () => {
    it('merge contiguous dimensions and drop ones', () => {
      expect(broadcastLoops([1, 8, 8, 16], [1, 8, 8, 16], [1, 8, 8, 16])).to.deep.equal([{ extent: 1024, strideA: 1, strideB: 1 }]);
      expect(broadcastLoops([1, 8, 8, 16], [16], [1, 8, 8, 16])).to.deep.equal([{ extent: 64, strideA: 16, strideB: 0 }, { extent: 16, strideA: 1, strideB: 1 }]);
      expect(broadcastLoops([1], [1], [1])).to.deep.equal([]);
    });
  });

  describe('check', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    it('rejects shapes that do not broadcast and a wrong output shape', () => {
      const g1 = graphOf([2, 3], [4], [2, 3], q, q, q);
      expect(() => add.check(g1.graph, g1.op)).to.throw(OpError, /do not broadcast/);
      const g2 = graphOf([2, 3], [3], [2, 4], q, q, q);
      expect(() => add.check(g2.graph, g2.op)).to.throw(OpError, /gives \[2,3\]/);
    });
    it('rejects asymmetric int16 (the 16x8 kernel, add_int16.ts) and an output scale too small for TFLite', () => {
      const g = singleOpGraph('ADD', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }, { shape: [2], dtype: 'int16', scale: 1, zeroPoint: 2 }],
        [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }], { activation: 'NONE' });
      expect(() => add.check(g.graph, g.op)).to.throw(OpError, /zero point 2; int16 activations must be symmetric/);
      const tiny = graphOf([2], [2], [2], { scale: 1, zeroPoint: 0 }, q, { scale: 1e-7, zeroPoint: 0 });
      expect(() => add.check(tiny.graph, tiny.op)).to.throw(OpError, /too small/);
    });
    it('rejects a fused TANH', () => {
      const g = graphOf([2], [2], [2], q, q, q, 'TANH');
      expect(() => add.check(g.graph, g.op)).to.throw(OpError, /unsupported fused activation TANH/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte on random shapes, scales and activations', () => {
      const rand = rng(99);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const shapes: [number[], number[], number[]][] = [
        [[1, 5, 7, 3], [1, 5, 7, 3], [1, 5, 7, 3]],
        [[1, 4, 4, 8], [8], [1, 4, 4, 8]],
        [[2, 1, 3], [1, 4, 1], [2, 4, 3]],
        [[1], [3, 3], [3, 3]],
        [[6, 1, 3, 1, 2], [3, 4, 2], [6, 1, 3, 4, 2]],
        [[1], [1], [1]],
      ];
      const cases: CCase[] = [];
      shapes.forEach(([a, b, out], k) => {
        const q = () => ({ scale: [0.01, 0.05, 0.2, 1.3][randomInt(rand, 0, 3)]! * (0.5 + rand()), zeroPoint: randomInt(rand, -128, 127) });
        const { graph, op } = graphOf(a, b, out, q(), q(), q(), activations[k % 4]);
        cases.push({ def: add, graph, op, inputs: [randomInt8(rand, a.reduce((x, y) => x * y, 1)), randomInt8(rand, b.reduce((x, y) => x * y, 1))] });
      });
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(add, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('golden activations (TFLite Micro)', () => {
    it('reproduces the ADD of simple_add on all 4 cases, in TS and in C', function () {
      if (!sharedModelsAvailable(this)) return;
      const ts = goldenReferenceMismatches(add, 'simple_add');
      expect(ts.runs).to.equal(4);
      expect(ts.mismatches).to.deep.equal([]);
      const c = goldenCMismatches(add, 'simple_add', layersOfKind('simple_add', 'ADD'), [0, 1, 2, 3]);
      expect(c.runs).to.equal(4);
      expect(c.mismatches).to.deep.equal([]);
    });
  });

  describe('against the TFLite interpreter (tfjs-tflite), on models written by our writer', () => {
    it('agrees with and without broadcasting, for every activation', async () => {
      const rand = rng(41);
      const shapes: [number[], number[], number[]][] = [
        [[1, 6, 6, 4], [1, 6, 6, 4], [1, 6, 6, 4]],
        [[1, 5, 5, 8], [8], [1, 5, 5, 8]],
        [[2, 1, 3], [1, 4, 1], [2, 4, 3]],
        [[1], [2, 7], [2, 7]],
      ];
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      for (const [k, [a, b, out]] of shapes.entries()) {
        const q = () => ({ scale: 0.01 + rand() * 0.2, zeroPoint: randomInt(rand, -128, 127) });
        const { graph, op } = graphOf(a, b, out, q(), q(), q(), activations[k]);
        const inputs = [randomInt8(rand, a.reduce((x, y) => x * y, 1)), randomInt8(rand, b.reduce((x, y) => x * y, 1))];
        expect(await tfliteInterpreterDifference(add, graph, op, inputs), `case ${k}`).to.equal(undefined);
      }
    });
  });
});
