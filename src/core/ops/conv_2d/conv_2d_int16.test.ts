// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { type TensorBuffer, toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import {
  type CCase,
  type TensorSpec,
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

interface Conv16Spec {
  input: [number, number, number, number];
  filterShape: [number, number, number, number];
  filter: ArrayLike<number>;
  bias?: { dtype: 'int32' | 'int64'; values: ArrayLike<number> };
  inScale?: number;
  wScale?: number | number[];
  outScale?: number;
  padding?: Padding;
  stride?: [number, number];
  dilation?: [number, number];
  activation?: FusedActivation;
}

function convGraph(s: Conv16Spec) {
  const [n, h, w] = s.input;
  const [oc, kh, kw] = s.filterShape;
  const padding = s.padding ?? 'VALID';
  const [sh, sw] = s.stride ?? [1, 1];
  const [dh, dw] = s.dilation ?? [1, 1];
  const out = (size: number, k: number, st: number, d: number) => (padding === 'SAME' ? Math.ceil(size / st) : Math.floor((size - ((k - 1) * d + 1)) / st) + 1);
  const wScale = s.wScale ?? 1;
  const bias: TensorSpec | null = s.bias
    ? {
        shape: [oc],
        dtype: s.bias.dtype,
        data: s.bias.dtype === 'int64' ? BigInt64Array.from(Array.from(s.bias.values, BigInt)) : Int32Array.from(s.bias.values),
      }
    : null;
  return singleOpGraph(
    'CONV_2D',
    [
      { shape: s.input, dtype: 'int16', scale: s.inScale ?? 0.5, zeroPoint: 0 },
      { shape: s.filterShape, scale: wScale, zeroPoint: Array.isArray(wScale) ? wScale.map(() => 0) : 0, axis: 0, data: Int8Array.from(s.filter) },
      bias,
    ],
    [{ shape: [n, out(h, kh, sh, dh), out(w, kw, sw, dw), oc], dtype: 'int16', scale: s.outScale ?? 0.5, zeroPoint: 0 }],
    {
      padding,
      strideH: sh,
      strideW: sw,
      dilationH: dh,
      dilationW: dw,
      activation: s.activation ?? 'NONE',
    },
  );
}

function run(s: Conv16Spec, input: ArrayLike<number>): number[] {
  const { graph, op } = convGraph(s);
  return Array.from(evaluateOp(conv, graph, op, [Int16Array.from(input)])[0] as Int16Array);
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const ones = (n: number) => new Array<number>(n).fill(1);

/** A random 16x8 layer: per-channel scales, stride/dilation/padding/groups/bias/activation varied. */
function randomSpec(rand: () => number, k: number): { spec: Conv16Spec; input: Int16Array } {
  const groups = k % 4 === 3 ? 2 : 1;
  const inC = randomInt(rand, 1, 3) * groups;
  const oc = randomInt(rand, 1, 3) * groups;
  const kh = randomInt(rand, 1, 3);
  const kw = randomInt(rand, 1, 3);
  const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, kh + 2, 7), randomInt(rand, kw + 2, 7), inC];
  const fc = inC / groups;
  const biasKind = (['int64', 'int32', undefined] as const)[k % 3];
  const spec: Conv16Spec = {
    input,
    filterShape: [oc, kh, kw, fc],
    filter: randomInt8(rand, oc * kh * kw * fc, -127, 127),
    bias: biasKind ? { dtype: biasKind, values: Array.from({ length: oc }, () => randomInt(rand, -200000, 200000)) } : undefined,
    inScale: 0.001 + rand() * 0.01,
    wScale: Array.from({ length: oc }, () => 0.002 + rand() * 0.02),
    outScale: 0.01 + rand() * 0.05,
    padding: k % 2 === 0 ? 'SAME' : 'VALID',
    stride: [randomInt(rand, 1, 2), randomInt(rand, 1, 2)],
    dilation: k % 5 === 4 ? [2, 1] : [1, 1],
    activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[k % 4],
  };
  return {
    spec,
    input: randomInt16(
      rand,
      input.reduce((a, b) => a * b, 1),
    ),
  };
}

describe('CONV_2D 16x8 (int16 activations, int8 weights)', () => {
  describe('reference kernel, hand-computed (s_in = s_out = 0.5, s_w = 1: multiplier 1)', () => {
    const box: Conv16Spec = { input: [1, 3, 3, 1], filterShape: [1, 3, 3, 1], filter: ones(9) };

    it('sums the taps with no input or output offset; an int64 or int32 bias adds', () => {
      expect(run(box, range(1, 9))).to.deep.equal([45]);
      expect(run({ ...box, bias: { dtype: 'int64', values: [1000] } }, range(1, 9))).to.deep.equal([1045]);
      expect(run({ ...box, bias: { dtype: 'int32', values: [-1000] } }, range(1, 9))).to.deep.equal([-955]);
    });

    it('saturates to int16 and applies RELU, RELU6 (6/0.5 = 12) and RELU_N1_TO_1 as clamps', () => {
      expect(
        run(
          box,
          ones(9).map(() => 30000),
        ),
      ).to.deep.equal([32767]);
      expect(
        run(
          box,
          ones(9).map(() => -30000),
        ),
      ).to.deep.equal([-32768]);
      expect(run({ ...box, activation: 'RELU' }, range(-9, -1))).to.deep.equal([0]);
      expect(run({ ...box, activation: 'RELU6' }, range(1, 9))).to.deep.equal([12]);
      expect(run({ ...box, activation: 'RELU_N1_TO_1' }, range(-9, -1))).to.deep.equal([-2]);
    });

    it('SAME, stride 2, odd input; dilation 2', () => {
      expect(run({ input: [1, 5, 5, 1], filterShape: [1, 3, 3, 1], filter: ones(9), padding: 'SAME', stride: [2, 2] }, range(1, 25))).to.deep.equal([
        16, 33, 28, 69, 117, 87, 76, 123, 88,
      ]);
      expect(run({ input: [1, 5, 5, 1], filterShape: [1, 3, 3, 1], filter: ones(9), dilation: [2, 2] }, range(1, 25))).to.deep.equal([117]);
    });

    it('an int64 bias or none rounds with the 64-bit multiplier, an int32 bias with the 32-bit one (as tflm-ref does)', () => {
      // 5 * 0.25 = 1.25: the 64-bit path rounds once (1); the 32-bit path rounds twice, 2.5 -> 3 -> 1.5 -> 2
      const quarter: Conv16Spec = { input: [1, 1, 1, 1], filterShape: [1, 1, 1, 1], filter: [1], inScale: 0.25, outScale: 1 };
      expect(run({ ...quarter, bias: { dtype: 'int64', values: [0] } }, [5])).to.deep.equal([1]);
      expect(run({ ...quarter, bias: { dtype: 'int32', values: [0] } }, [5])).to.deep.equal([2]);
      expect(run(quarter, [5])).to.deep.equal([1]); // no bias: TFLite Micro takes the int64 path
      expect(run({ ...quarter, bias: { dtype: 'int64', values: [0] } }, [-5])).to.deep.equal([-1]);
    });

    it('per-channel multipliers (1 and 0.5) and grouped filters', () => {
      const spec: Conv16Spec = { input: [1, 1, 1, 2], filterShape: [2, 1, 1, 1], filter: [1, 1], wScale: [1, 0.5], bias: { dtype: 'int64', values: [0, 0] } };
      expect(run(spec, [10, 20])).to.deep.equal([10, 10]);
    });
  });

  describe('checks', () => {
    it('wants int16 throughout, symmetric, with an int32 or int64 bias', () => {
      const bad = (f: (s: ReturnType<typeof convGraph>) => void) => {
        const g = convGraph({ input: [1, 3, 3, 1], filterShape: [1, 3, 3, 1], filter: ones(9), bias: { dtype: 'int64', values: [0] } });
        f(g);
        return () => conv.check(g.graph, g.op);
      };
      expect(
        bad((g) => {
          g.graph.tensors[0]!.quant!.zeroPoint = [1];
        }),
      ).to.throw(OpError, /input tensor 0 "in0" has zero point 1; int16 activations must be symmetric/);
      expect(
        bad((g) => {
          g.graph.tensors[3]!.dtype = 'int8';
        }),
      ).to.throw(OpError, /output tensor 3 "out3" is int8; this int16 layer needs int16 activations/);
      expect(
        bad((g) => {
          g.graph.tensors[2]!.dtype = 'int16';
          g.graph.tensors[2]!.data = new Uint8Array(2);
        }),
      ).to.throw(OpError, /bias tensor 2 "in2" is int16; int16 layers of this op take a int32 or int64 bias/);
      expect(
        bad((g) => {
          g.graph.tensors[1]!.quant!.zeroPoint = [3];
        }),
      ).to.throw(OpError, /nonzero zero point/);
    });
  });

  describe('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    it('12 random layers: strides, dilation, SAME/VALID, groups, int64/int32/no bias, every clamp activation', () => {
      const rand = rng(1616);
      const cases: CCase[] = [];
      for (let k = 0; k < 12; k++) {
        const { spec, input } = randomSpec(rand, k);
        const { graph, op } = convGraph(spec);
        cases.push({ def: conv, graph, op, inputs: [input] });
      }
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const expected = toBytes(evaluateOp(conv, c.graph, c.op, c.inputs)[0]!);
        expect(firstDifference(expected, results[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('desktop TFLite (tfjs-tflite) on models written by our writer', () => {
    it('gives the same outputs on 6 random layers (int64 and int32 biases)', async () => {
      const rand = rng(99);
      for (let k = 0; k < 6; k++) {
        // desktop TFLite wants a bias on int16 convolutions and runs no grouped ones
        const { spec, input } = randomSpec(rand, k % 4 === 3 ? k + 1 : k);
        spec.bias ??= { dtype: 'int32', values: Array.from({ length: spec.filterShape[0] }, (_, i) => i * 1000 - 1500) };
        const { graph, op } = convGraph(spec);
        const ours = toBytes(evaluateOp(conv, graph, op, [input])[0]! as TensorBuffer);
        const theirs = await runTfliteInterpreter(writeTflite(graph), [new Uint8Array(toBytes(input))]);
        expect(firstDifference(ours, theirs[0]!), `layer ${k}`).to.equal(undefined);
      }
    });
  });
});
