// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
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
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { runTfliteInterpreter } from '../../../../test/helpers/tfjs_tflite.ts';

interface Dw16Spec {
  input: [number, number, number, number];
  kernel: [number, number];
  multiplier?: number;
  filter: ArrayLike<number>;
  bias?: ArrayLike<number>;
  inScale?: number;
  wScale?: number | number[];
  outScale?: number;
  padding?: Padding;
  stride?: [number, number];
  dilation?: [number, number];
  activation?: FusedActivation;
}

function dwGraph(s: Dw16Spec) {
  const [n, h, w, c] = s.input;
  const [kh, kw] = s.kernel;
  const m = s.multiplier ?? 1;
  const padding = s.padding ?? 'VALID';
  const [sh, sw] = s.stride ?? [1, 1];
  const [dh, dw] = s.dilation ?? [1, 1];
  const out = (size: number, k: number, st: number, d: number) => (padding === 'SAME' ? Math.ceil(size / st) : Math.floor((size - ((k - 1) * d + 1)) / st) + 1);
  const wScale = s.wScale ?? 1;
  return singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: s.input, dtype: 'int16', scale: s.inScale ?? 0.5, zeroPoint: 0 },
      { shape: [1, kh, kw, c * m], scale: wScale, zeroPoint: Array.isArray(wScale) ? wScale.map(() => 0) : 0, axis: 3, data: Int8Array.from(s.filter) },
      s.bias ? { shape: [c * m], dtype: 'int64', data: BigInt64Array.from(Array.from(s.bias, BigInt)) } : null,
    ],
    [{ shape: [n, out(h, kh, sh, dh), out(w, kw, sw, dw), c * m], dtype: 'int16', scale: s.outScale ?? 0.5, zeroPoint: 0 }],
    {
      padding,
      strideH: sh,
      strideW: sw,
      dilationH: dh,
      dilationW: dw,
      activation: s.activation ?? 'NONE',
      depthMultiplier: m,
    },
  );
}

function run(s: Dw16Spec, input: ArrayLike<number>): number[] {
  const { graph, op } = dwGraph(s);
  return Array.from(evaluateOp(depthwise, graph, op, [Int16Array.from(input)])[0] as Int16Array);
}

function randomSpec(rand: () => number, k: number): { spec: Dw16Spec; input: Int16Array } {
  const c = randomInt(rand, 1, 4);
  const m = k % 3 === 2 ? 2 : 1;
  const kh = randomInt(rand, 1, 3);
  const kw = randomInt(rand, 1, 3);
  const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, kh + 2, 7), randomInt(rand, kw + 2, 7), c];
  return {
    spec: {
      input,
      kernel: [kh, kw],
      multiplier: m,
      filter: randomInt8(rand, kh * kw * c * m, -127, 127),
      bias: k % 4 === 3 ? undefined : Array.from({ length: c * m }, () => randomInt(rand, -100000, 100000)),
      inScale: 0.001 + rand() * 0.01,
      wScale: Array.from({ length: c * m }, () => 0.002 + rand() * 0.02),
      outScale: 0.005 + rand() * 0.02,
      padding: k % 2 === 0 ? 'SAME' : 'VALID',
      stride: [randomInt(rand, 1, 2), randomInt(rand, 1, 2)],
      dilation: k % 5 === 4 ? [1, 2] : [1, 1],
      activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[k % 4],
    },
    input: randomInt16(
      rand,
      input.reduce((a, b) => a * b, 1),
    ),
  };
}

describe('DEPTHWISE_CONV_2D 16x8 (int16 activations, int8 weights)', () => {
  describe('reference kernel, hand-computed (multiplier 1 unless said)', () => {
    it('each channel convolves alone; depth multiplier 2 gives channel ic*2+m; int64 bias', () => {
      const spec: Dw16Spec = {
        input: [1, 2, 2, 2],
        kernel: [2, 2],
        multiplier: 2,
        filter: [1, 1, 2, -1, 1, 1, 2, -1, 1, 1, 2, -1, 1, 1, 2, -1],
        bias: [0, 5, 0, 100000],
      };
      // channel 0 = [1,3,5,7], channel 1 = [2,4,6,8]; every tap has weights [1, 1, 2, -1] for outputs 0..3:
      // out0 = sum(ch0) = 16, out1 = sum(ch0) + 5, out2 = 2 * sum(ch1) = 40, out3 = -sum(ch1) + 100000 saturates
      expect(run(spec, [1, 2, 3, 4, 5, 6, 7, 8])).to.deep.equal([16, 21, 40, 32767]);
    });

    it('SAME padding skips the outside taps; stride 2', () => {
      const spec: Dw16Spec = { input: [1, 3, 3, 1], kernel: [3, 3], filter: new Array(9).fill(1), padding: 'SAME', stride: [2, 2] };
      expect(run(spec, [1, 2, 3, 4, 5, 6, 7, 8, 9])).to.deep.equal([12, 16, 24, 28]);
    });

    it('rounds with the 64-bit multiplier even without a bias (5 * 0.25 -> 1, not 2)', () => {
      expect(run({ input: [1, 1, 1, 1], kernel: [1, 1], filter: [1], inScale: 0.25, outScale: 1 }, [5])).to.deep.equal([1]);
    });

    it('refuses an int32 bias (TFLite Micro would read it as int64)', () => {
      const { graph, op } = dwGraph({ input: [1, 1, 1, 1], kernel: [1, 1], filter: [1] });
      graph.tensors.push({ index: 3, name: 'b32', shape: [1], dtype: 'int32', data: new Uint8Array(4) });
      op.inputs[2] = 3;
      expect(() => depthwise.check(graph, op)).to.throw(OpError, /bias tensor 3 "b32" is int32; int16 layers of this op take a int64 bias/);
    });
  });

  describe('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    it('10 random layers: multipliers, strides, dilation, SAME/VALID, bias or not, every clamp activation', () => {
      const rand = rng(1717);
      const cases: CCase[] = [];
      for (let k = 0; k < 10; k++) {
        const { spec, input } = randomSpec(rand, k);
        const { graph, op } = dwGraph(spec);
        cases.push({ def: depthwise, graph, op, inputs: [input] });
      }
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const expected = toBytes(evaluateOp(depthwise, c.graph, c.op, c.inputs)[0]!);
        expect(firstDifference(expected, results[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('desktop TFLite (tfjs-tflite) on models written by our writer', () => {
    it('gives the same outputs on 5 random layers', async () => {
      const rand = rng(98);
      for (let k = 0; k < 5; k++) {
        const { spec, input } = randomSpec(rand, k);
        spec.bias ??= Array.from({ length: spec.input[3] * (spec.multiplier ?? 1) }, (_, i) => i * 77);
        const { graph, op } = dwGraph(spec);
        const ours = toBytes(evaluateOp(depthwise, graph, op, [input])[0]!);
        const theirs = await runTfliteInterpreter(writeTflite(graph), [new Uint8Array(toBytes(input))]);
        expect(firstDifference(ours, theirs[0]!), `layer ${k}`).to.equal(undefined);
      }
    });
  });
});
