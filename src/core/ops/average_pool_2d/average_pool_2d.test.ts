// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import averagePool2d from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  type PoolCase,
  evaluateOp,
  firstDifference,
  poolGraph,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { goldenCMismatches, goldenReferenceMismatches, layersOfKind } from '../../../../test/helpers/golden_layers.ts';

function run(c: PoolCase, values: number[]): number[] {
  const { graph, op } = poolGraph('AVERAGE_POOL_2D', c);
  return Array.from(evaluateOp(averagePool2d, graph, op, [Int8Array.from(values)])[0] as Int8Array);
}

describe('AVERAGE_POOL_2D', () => {
  describe('reference kernel', () => {
    it('averages 2x2 windows at stride 2 (VALID), rounding half away from zero', () => {
      // windows: [1,2,5,6]=3.5->4, [3,4,7,8]=5.5->6, [-1,-2,-5,-6]=-3.5->-4, [-3,-4,-7,-8]=-5.5->-6
      const x = [1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8];
      expect(run({ shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID' }, x)).to.deep.equal([4, 6, -4, -6]);
      // 2.25 -> 2, -2.25 -> -2, 2.75 -> 3
      expect(run({ shape: [1, 2, 2, 1], filter: [2, 2], stride: [1, 1], padding: 'VALID' }, [1, 2, 3, 3])).to.deep.equal([2]);
      expect(run({ shape: [1, 2, 2, 1], filter: [2, 2], stride: [1, 1], padding: 'VALID' }, [-1, -2, -3, -3])).to.deep.equal([-2]);
      expect(run({ shape: [1, 2, 2, 1], filter: [2, 2], stride: [1, 1], padding: 'VALID' }, [2, 3, 3, 3])).to.deep.equal([3]);
    });

    it('counts only in-bounds taps with SAME padding on odd sizes', () => {
      // 3x3 input, 3x3 filter, stride 1, SAME: corners average 4 taps, edges 6, centre 9
      const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
      expect(run({ shape: [1, 3, 3, 1], filter: [3, 3], stride: [1, 1], padding: 'SAME' }, x)).to.deep.equal([3, 4, 4, 5, 5, 6, 6, 7, 7]);
      // 5x5 input, 2x2 filter, stride 2, SAME: out 3x3, padding total 1 -> 0 before, last row/column half windows
      const y = Array.from({ length: 25 }, (_, i) => i);
      expect(run({ shape: [1, 5, 5, 1], filter: [2, 2], stride: [2, 2], padding: 'SAME' }, y)).to.deep.equal([3, 5, 7, 13, 15, 17, 21, 23, 24]);
    });

    it('keeps channels and batches apart', () => {
      const x = [1, 10, 3, 30, 5, 50, 7, 70, /* batch 2 */ -1, -10, -3, -30, -5, -50, -7, -70];
      expect(run({ shape: [2, 2, 2, 2], filter: [2, 2], stride: [2, 2], padding: 'VALID' }, x)).to.deep.equal([4, 40, -4, -40]);
    });

    it('clamps to each fused activation range (zero point -10, scale 0.05)', () => {
      const base = {
        shape: [1, 1, 4, 1] as [number, number, number, number],
        filter: [1, 1] as [number, number],
        stride: [1, 1] as [number, number],
        padding: 'VALID' as Padding,
        scale: 0.05,
        zeroPoint: -10,
      };
      const x = [-128, -20, 100, 127];
      expect(run({ ...base, activation: 'NONE' }, x)).to.deep.equal([-128, -20, 100, 127]);
      expect(run({ ...base, activation: 'RELU' }, x)).to.deep.equal([-10, -10, 100, 127]);
      expect(run({ ...base, activation: 'RELU6' }, x)).to.deep.equal([-10, -10, 100, 110]);
      expect(run({ ...base, activation: 'RELU_N1_TO_1' }, x)).to.deep.equal([-30, -20, 10, 10]);
    });

    it('handles the extremes -128 and 127 without overflow', () => {
      expect(run({ shape: [1, 3, 3, 1], filter: [3, 3], stride: [1, 1], padding: 'VALID' }, new Array(9).fill(-128))).to.deep.equal([-128]);
      expect(run({ shape: [1, 3, 3, 1], filter: [3, 3], stride: [1, 1], padding: 'VALID' }, new Array(9).fill(127))).to.deep.equal([127]);
    });
  });

  describe('check', () => {
    it('rejects differing input and output quantization', () => {
      const { graph, op } = poolGraph('AVERAGE_POOL_2D', { shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID' });
      graph.tensors[op.outputs[0]!]!.quant = { scale: [0.1], zeroPoint: [0], axis: 0 };
      expect(() => averagePool2d.check(graph, op)).to.throw(OpError, /must share quantization/);
    });
    it('rejects a wrong output shape, rank 3 and a float input', () => {
      const { graph, op } = poolGraph('AVERAGE_POOL_2D', { shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID' });
      graph.tensors[op.outputs[0]!]!.shape = [1, 3, 2, 1];
      expect(() => averagePool2d.check(graph, op)).to.throw(OpError, /gives \[1,2,2,1\]/);
      const r3 = singleOpGraph('AVERAGE_POOL_2D', [{ shape: [4, 4, 1], scale: 1, zeroPoint: 0 }], [{ shape: [2, 2, 1], scale: 1, zeroPoint: 0 }], {
        padding: 'VALID',
        strideH: 2,
        strideW: 2,
        filterH: 2,
        filterW: 2,
        activation: 'NONE',
      });
      expect(() => averagePool2d.check(r3.graph, r3.op)).to.throw(OpError, /expected rank 4/);
      const f = singleOpGraph('AVERAGE_POOL_2D', [{ shape: [1, 4, 4, 1], dtype: 'float32' }], [{ shape: [1, 2, 2, 1], scale: 1, zeroPoint: 0 }], {
        padding: 'VALID',
        strideH: 2,
        strideW: 2,
        filterH: 2,
        filterW: 2,
        activation: 'NONE',
      });
      expect(() => averagePool2d.check(f.graph, f.op)).to.throw(
        OpError,
        /output tensor 1 "out1" is int8; a float32 layer of AVERAGE_POOL_2D takes float32 outputs only/,
      );
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte on random configurations', () => {
      const rand = rng(11);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases: CCase[] = [];
      for (let k = 0; k < 10; k++) {
        const c: PoolCase = {
          shape: [randomInt(rand, 1, 2), randomInt(rand, 1, 9), randomInt(rand, 1, 9), randomInt(rand, 1, 6)],
          filter: [randomInt(rand, 1, 4), randomInt(rand, 1, 4)],
          stride: [randomInt(rand, 1, 3), randomInt(rand, 1, 3)],
          padding: k % 2 === 0 ? 'SAME' : 'VALID',
          activation: activations[k % 4],
          scale: 0.02 + rand() * 0.1,
          zeroPoint: randomInt(rand, -128, 127),
        };
        if (c.padding === 'VALID') {
          c.filter = [Math.min(c.filter[0], c.shape[1]), Math.min(c.filter[1], c.shape[2])];
        }
        const { graph, op } = poolGraph('AVERAGE_POOL_2D', c);
        cases.push({
          def: averagePool2d,
          graph,
          op,
          inputs: [
            randomInt8(
              rand,
              c.shape.reduce((a, b) => a * b, 1),
            ),
          ],
        });
      }
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(averagePool2d, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('golden activations (TFLite Micro)', () => {
    it('reproduces the AVERAGE_POOL_2D of person_detect on all 4 cases, in TS and in C', function () {
      if (!sharedModelsAvailable(this)) return;
      const ts = goldenReferenceMismatches(averagePool2d, 'person_detect');
      expect(ts.runs).to.equal(4);
      expect(ts.mismatches).to.deep.equal([]);
      const c = goldenCMismatches(averagePool2d, 'person_detect', layersOfKind('person_detect', 'AVERAGE_POOL_2D'), [0, 1, 2, 3]);
      expect(c.runs).to.equal(4);
      expect(c.mismatches).to.deep.equal([]);
    });
  });

  describe('against TFLite Micro (tflm-ref), on models written by our writer', () => {
    /** SAME and VALID windows (also wider than the input, global), strides, batches, quantizations over decades, activations. */
    const sweep = () => {
      const rand = rng(51);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases = [];
      for (let k = 0; k < 80; k++) {
        const h = randomInt(rand, 1, 9);
        const w = randomInt(rand, 1, 9);
        const global = k % 8 === 7;
        const c: PoolCase = {
          shape: [randomInt(rand, 1, 2), h, w, randomInt(rand, 1, 5)],
          filter: global ? [h, w] : [randomInt(rand, 1, 4), randomInt(rand, 1, 4)],
          stride: [randomInt(rand, 1, 3), randomInt(rand, 1, 3)],
          padding: k % 2 === 0 ? 'SAME' : 'VALID',
          activation: activations[k % 4],
          scale: Math.exp(-9 + rand() * 10),
          zeroPoint: k % 9 === 0 ? -128 : k % 9 === 1 ? 127 : randomInt(rand, -128, 127),
        };
        if (c.padding === 'VALID' && (c.filter[0] > h || c.filter[1] > w)) c.padding = 'SAME';
        const { graph, op } = poolGraph('AVERAGE_POOL_2D', c);
        const n = c.shape.reduce((a, b) => a * b, 1);
        cases.push({ graph, op, inputs: [k % 10 === 5 ? Int8Array.from({ length: n }, (_, i) => (i % 3 ? 127 : -128)) : randomInt8(rand, n)] });
      }
      // global pooling of large windows (sums over 2025 values)
      for (const s of [16, 45]) {
        const { graph, op } = poolGraph('AVERAGE_POOL_2D', { shape: [1, s, s, 3], filter: [s, s], stride: [1, 1], padding: 'VALID', scale: 0.1, zeroPoint: 5 });
        cases.push({ graph, op, inputs: [randomInt8(rand, s * s * 3)] });
      }
      return cases;
    };

    it('agrees byte for byte on SAME and VALID windows (also wider than the input), strides, batches, quantizations, activations', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(averagePool2d, sweep());
    });

    it('the emitted C matches the reference kernel on the same layers', () => {
      expectCMatchesReference(sweep().map((c) => ({ def: averagePool2d, ...c })));
    });
  });
});
