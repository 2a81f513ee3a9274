// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import maxPool2d from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
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
} from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function run(c: PoolCase, values: number[]): number[] {
  const { graph, op } = poolGraph('MAX_POOL_2D', c);
  return Array.from(evaluateOp(maxPool2d, graph, op, [Int8Array.from(values)])[0] as Int8Array);
}

describe('MAX_POOL_2D', () => {
  describe('reference kernel', () => {
    it('takes the max of 2x2 windows at stride 2 (VALID)', () => {
      const x = [1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8];
      expect(run({ shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID' }, x)).to.deep.equal([6, 8, -1, -3]);
    });

    it('ignores the padding with SAME on odd sizes (padding never wins, even over -128)', () => {
      const x = [-128, -128, -128, -128, -100, -128, -128, -128, -128];
      expect(run({ shape: [1, 3, 3, 1], filter: [3, 3], stride: [1, 1], padding: 'SAME' }, x)).to.deep.equal(new Array(9).fill(-100));
      expect(run({ shape: [1, 3, 3, 1], filter: [2, 2], stride: [2, 2], padding: 'SAME' }, [1, 2, 3, 4, 5, 6, 7, 8, 9])).to.deep.equal([5, 6, 8, 9]);
      // 5 wide, filter 3, stride 2, SAME: out 3, total padding 2 -> 1 before
      expect(run({ shape: [1, 1, 5, 1], filter: [1, 3], stride: [1, 2], padding: 'SAME' }, [9, 1, 2, 3, 4])).to.deep.equal([9, 3, 4]);
    });

    it('keeps channels and batches apart', () => {
      const x = [1, -10, 3, -30, 5, -50, 7, -70, /* batch 2 */ 0, 0, 1, 1, 2, 2, 127, -128];
      expect(run({ shape: [2, 2, 2, 2], filter: [2, 2], stride: [2, 2], padding: 'VALID' }, x)).to.deep.equal([7, -10, 127, 2]);
    });

    it('clamps to each fused activation range', () => {
      const base: PoolCase = { shape: [1, 1, 4, 1], filter: [1, 1], stride: [1, 1], padding: 'VALID', scale: 0.05, zeroPoint: -10 };
      const x = [-128, -20, 100, 127];
      expect(run({ ...base, activation: 'NONE' }, x)).to.deep.equal([-128, -20, 100, 127]);
      expect(run({ ...base, activation: 'RELU' }, x)).to.deep.equal([-10, -10, 100, 127]);
      expect(run({ ...base, activation: 'RELU6' }, x)).to.deep.equal([-10, -10, 100, 110]);
      expect(run({ ...base, activation: 'RELU_N1_TO_1' }, x)).to.deep.equal([-30, -20, 10, 10]);
    });
  });

  describe('check', () => {
    it('rejects differing quantization, a zero stride and a TANH activation', () => {
      const a = poolGraph('MAX_POOL_2D', { shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID' });
      a.graph.tensors[a.op.outputs[0]!]!.quant = { scale: [0.05], zeroPoint: [1], axis: 0 };
      expect(() => maxPool2d.check(a.graph, a.op)).to.throw(OpError, /must share quantization/);
      const b = poolGraph('MAX_POOL_2D', { shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID' });
      b.op.attrs.strideW = 0;
      expect(() => maxPool2d.check(b.graph, b.op)).to.throw(OpError, /stride width is 0/);
      const c = poolGraph('MAX_POOL_2D', { shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID', activation: 'TANH' });
      expect(() => maxPool2d.check(c.graph, c.op)).to.throw(OpError, /unsupported fused activation TANH/);
    });
    it('names the op and the tensor in the message', () => {
      const a = poolGraph('MAX_POOL_2D', { shape: [1, 4, 4, 1], filter: [2, 2], stride: [2, 2], padding: 'VALID' });
      a.graph.tensors[a.op.outputs[0]!]!.shape = [1, 2, 3, 1];
      expect(() => maxPool2d.check(a.graph, a.op)).to.throw(OpError, /^op 0 \(MAX_POOL_2D\): output tensor 1 "out1"/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte on random configurations', () => {
      const rand = rng(5);
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
        if (c.padding === 'VALID') c.filter = [Math.min(c.filter[0], c.shape[1]), Math.min(c.filter[1], c.shape[2])];
        const { graph, op } = poolGraph('MAX_POOL_2D', c);
        cases.push({
          def: maxPool2d,
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
        const expected = new Uint8Array(toBytes(evaluateOp(maxPool2d, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('against TFLite Micro (tflm-ref), on models written by our writer', () => {
    /** SAME and VALID windows (also wider than the input, global), strides, batches, quantizations over decades, activations. */
    const sweep = () => {
      const rand = rng(61);
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
        const { graph, op } = poolGraph('MAX_POOL_2D', c);
        const n = c.shape.reduce((a, b) => a * b, 1);
        cases.push({ graph, op, inputs: [k % 10 === 5 ? Int8Array.from({ length: n }, (_, i) => (i % 3 ? 127 : -128)) : randomInt8(rand, n)] });
      }
      // global pooling of large windows (sums over 2025 values)
      for (const s of [16, 45]) {
        const { graph, op } = poolGraph('MAX_POOL_2D', { shape: [1, s, s, 3], filter: [s, s], stride: [1, 1], padding: 'VALID', scale: 0.1, zeroPoint: 5 });
        cases.push({ graph, op, inputs: [randomInt8(rand, s * s * 3)] });
      }
      return cases;
    };

    it('agrees byte for byte on SAME and VALID windows (also wider than the input), strides, batches, quantizations, activations', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(maxPool2d, sweep());
    });

    it('the emitted C matches the reference kernel on the same layers', () => {
      expectCMatchesReference(sweep().map((c) => ({ def: maxPool2d, ...c })));
    });
  });
});
