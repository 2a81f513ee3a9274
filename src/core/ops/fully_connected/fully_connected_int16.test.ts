// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import fc from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt16,
  randomInt8,
  rng,
  expectCasesBitExactInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { runTfliteInterpreter } from '../../../../test/helpers/tfjs_tflite.ts';

interface Fc16Spec {
  input: number[];
  weightShape: [number, number];
  weights: ArrayLike<number>;
  bias?: ArrayLike<number>;
  inScale?: number;
  wScale?: number | number[];
  outScale?: number;
  activation?: FusedActivation;
}

function fcGraph(s: Fc16Spec) {
  const [out, inF] = s.weightShape;
  const batches = s.input.reduce((a, b) => a * b, 1) / inF;
  const wScale = s.wScale ?? 1;
  return singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: s.input, dtype: 'int16', scale: s.inScale ?? 0.5, zeroPoint: 0 },
      { shape: s.weightShape, scale: wScale, zeroPoint: Array.isArray(wScale) ? wScale.map(() => 0) : 0, data: Int8Array.from(s.weights) },
      s.bias ? { shape: [out], dtype: 'int64', data: BigInt64Array.from(Array.from(s.bias, BigInt)) } : null,
    ],
    [{ shape: [batches, out], dtype: 'int16', scale: s.outScale ?? 0.5, zeroPoint: 0 }],
    { activation: s.activation ?? 'NONE', keepNumDims: false },
  );
}

function run(s: Fc16Spec, input: ArrayLike<number>): number[] {
  const { graph, op } = fcGraph(s);
  return Array.from(evaluateOp(fc, graph, op, [Int16Array.from(input)])[0] as Int16Array);
}

function randomSpec(rand: () => number, k: number): { spec: Fc16Spec; input: Int16Array } {
  const inF = randomInt(rand, 1, 40);
  const out = randomInt(rand, 1, 12);
  const batches = randomInt(rand, 1, 3);
  return {
    spec: {
      input: [batches, inF],
      weightShape: [out, inF],
      weights: randomInt8(rand, out * inF, -127, 127),
      bias: k % 3 === 2 ? undefined : Array.from({ length: out }, () => randomInt(rand, -1000000, 1000000)),
      inScale: 0.001 + rand() * 0.01,
      wScale: 0.002 + rand() * 0.02,
      outScale: 0.02 + rand() * 0.1,
      activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[k % 4],
    },
    input: randomInt16(rand, batches * inF),
  };
}

describe('FULLY_CONNECTED 16x8 (int16 activations, int8 weights)', () => {
  describe('reference kernel, hand-computed (multiplier 1 unless said)', () => {
    const base: Fc16Spec = { input: [1, 3], weightShape: [2, 3], weights: [1, 0, -1, 2, 2, 2], bias: [5, -5] };
    it('rows of [1,2,3] . [[1,0,-1],[2,2,2]] + [5,-5]; batches; int16 saturation', () => {
      expect(run(base, [1, 2, 3])).to.deep.equal([3, 7]);
      expect(run({ ...base, input: [2, 3] }, [1, 2, 3, -1, -2, -3])).to.deep.equal([3, 7, 7, -17]);
      expect(run({ ...base, bias: [0, 1000000] }, [30000, 30000, 30000])).to.deep.equal([0, 32767]);
      expect(run({ ...base, activation: 'RELU' }, [-1, -2, -3])).to.deep.equal([7, 0]);
    });
    it('the 64-bit multiplier rounds once: 5 * 0.25 -> 1', () => {
      expect(run({ input: [1, 1], weightShape: [1, 1], weights: [1], inScale: 0.25, outScale: 1 }, [5])).to.deep.equal([1]);
    });
    it('refuses per-channel weights and an int32 bias, as TFLite Micro has no such int16 kernel', () => {
      const pc = fcGraph({ ...base, wScale: [1, 0.5] });
      expect(() => fc.check(pc.graph, pc.op)).to.throw(OpError, /quantized per channel; int16 FULLY_CONNECTED takes per-tensor weights/);
      const b32 = fcGraph(base);
      b32.graph.tensors[2] = { ...b32.graph.tensors[2]!, dtype: 'int32', data: new Uint8Array(8) };
      expect(() => fc.check(b32.graph, b32.op)).to.throw(OpError, /bias tensor 2 "in2" is int32/);
    });
  });

  describe('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    it('8 random layers with and without bias and every clamp activation', () => {
      const rand = rng(1818);
      const cases: CCase[] = [];
      for (let k = 0; k < 8; k++) {
        const { spec, input } = randomSpec(rand, k);
        const { graph, op } = fcGraph(spec);
        cases.push({ def: fc, graph, op, inputs: [input] });
      }
      expectCasesBitExactInC(cases);
    });
  });

  describe('desktop TFLite (tfjs-tflite) on models written by our writer', () => {
    it('gives the same outputs on 5 random layers', async () => {
      const rand = rng(97);
      for (let k = 0; k < 5; k++) {
        const { spec, input } = randomSpec(rand, k);
        const { graph, op } = fcGraph(spec);
        const theirs = await runTfliteInterpreter(writeTflite(graph), [new Uint8Array(toBytes(input))]);
        expect(firstDifference(toBytes(evaluateOp(fc, graph, op, [input])[0]!), theirs[0]!), `layer ${k}`).to.equal(undefined);
      }
    });
  });
});
