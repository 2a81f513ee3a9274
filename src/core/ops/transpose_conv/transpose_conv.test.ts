// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import transposeConv, { transposePadding } from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { type CCase, evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { type Q, count, expectCMatchesReference, expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { outputSize } from '../common/families/padding.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import type { KernelIsa } from '../op.ts';
import { selectVariant } from '../variant.ts';

interface TCase {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  out: [number, number, number, number];
  stride: [number, number];
  padding: Padding;
  activation?: FusedActivation;
  qi?: Q;
  qo?: Q;
  /** one scale per output channel, or one */
  filterScales?: number[];
  weights?: Int8Array;
  bias?: Int32Array | null;
}

function graphOf(c: TCase, rand = rng(1)) {
  const weights = c.weights ?? randomInt8(rand, count(c.filter), -127, 127);
  const scales = c.filterScales ?? [1];
  return singleOpGraph(
    'TRANSPOSE_CONV',
    [
      { shape: [4], dtype: 'int32', data: Int32Array.from(c.out) },
      { shape: c.filter, scale: scales, zeroPoint: scales.map(() => 0), axis: 0, data: weights },
      { shape: c.input, ...(c.qi ?? { scale: 1, zeroPoint: 0 }) },
      c.bias === null || c.bias === undefined ? null : { shape: [c.filter[0]], dtype: 'int32', data: c.bias },
    ],
    [{ shape: c.out, ...(c.qo ?? { scale: 1, zeroPoint: 0 }) }],
    {
      padding: c.padding,
      strideH: c.stride[0],
      strideW: c.stride[1],
      activation: c.activation ?? 'NONE',
    },
  );
}

const run = (c: TCase, x: number[]) => {
  const { graph, op } = graphOf(c);
  return Array.from(evaluateOp(transposeConv, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('TRANSPOSE_CONV', () => {
  describe('reference kernel', () => {
    it('spreads one input value over the kernel (VALID, stride 1)', () => {
      const weights = Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(run({ input: [1, 1, 1, 1], filter: [1, 3, 3, 1], out: [1, 3, 3, 1], stride: [1, 1], padding: 'VALID', weights }, [2])).to.deep.equal([
        2, 4, 6, 8, 10, 12, 14, 16, 18,
      ]);
    });

    it('overlaps contributions with stride 2, SAME (hand-checked)', () => {
      const weights = new Int8Array(9).fill(1);
      // rows/columns 0,1 take input row/column 0; 2 takes both; 3 takes 1 (padding 0: total 1, before 0)
      expect(run({ input: [1, 2, 2, 1], filter: [1, 3, 3, 1], out: [1, 4, 4, 1], stride: [2, 2], padding: 'SAME', weights }, [1, 2, 3, 4])).to.deep.equal([
        1, 1, 3, 2, 1, 1, 3, 2, 4, 4, 10, 6, 3, 3, 7, 4,
      ]);
    });

    it('adds the bias, requantizes per channel, applies the zero points and the fused activation', () => {
      // 2 output channels with scales 0.5 and 0.25; input 1 @ -128 (x = q + 128); output 1 @ -10
      const c: TCase = {
        input: [1, 1, 1, 1],
        filter: [2, 1, 1, 1],
        out: [1, 1, 1, 2],
        stride: [1, 1],
        padding: 'VALID',
        weights: Int8Array.from([4, 4]),
        filterScales: [0.5, 0.25],
        bias: Int32Array.from([10, -100]),
        qi: { scale: 1, zeroPoint: -128 },
        qo: { scale: 1, zeroPoint: -10 },
      };
      // x = 10: ch0 (40 + 10)·0.5 = 25 -> 15; ch1 (40 - 100)·0.25 = -15 -> -25
      expect(run(c, [-118])).to.deep.equal([15, -25]);
      expect(run({ ...c, activation: 'RELU' }, [-118])).to.deep.equal([15, -10]);
    });

    it('pads as TFLite does for the transposed geometry', () => {
      // SAME, out 7, k 3, s 2: forward conv from 7 gives 4; total (4-1)·2 + 3 - 7 = 2 -> 1 before
      expect(transposePadding('SAME', 7, 3, 2)).to.equal(1);
      expect(transposePadding('SAME', 8, 4, 2)).to.equal(1);
      expect(transposePadding('VALID', 9, 3, 2)).to.equal(0);
      expect(outputSize('SAME', 7, 3, 2)).to.equal(4);
    });
  });

  describe('check', () => {
    const base: TCase = { input: [1, 2, 2, 3], filter: [4, 3, 3, 3], out: [1, 4, 4, 4], stride: [2, 2], padding: 'SAME' };
    it('rejects mismatched channels, an inconsistent output shape tensor, a non-constant filter and bad strides', () => {
      const ch = graphOf({ ...base, filter: [4, 3, 3, 2] });
      expect(() => transposeConv.check(ch.graph, ch.op)).to.throw(OpError, /has 2 input channels; the input .* has 3/);
      const shape = graphOf(base);
      shape.graph.tensors[0]!.data = new Uint8Array(Int32Array.from([1, 5, 5, 4]).buffer);
      expect(() => transposeConv.check(shape.graph, shape.op)).to.throw(OpError, /says \[1,5,5,4\]/);
      const dyn = graphOf(base);
      dyn.graph.tensors[1]!.data = undefined;
      expect(() => transposeConv.check(dyn.graph, dyn.op)).to.throw(OpError, /filter .* is not a constant tensor/);
      const stride = graphOf({ ...base, stride: [0, 1] });
      expect(() => transposeConv.check(stride.graph, stride.op)).to.throw(OpError, /stride_h = 0/);
    });
  });

  const CASES: TCase[] = [
    { input: [1, 3, 3, 2], filter: [4, 3, 3, 2], out: [1, 6, 6, 4], stride: [2, 2], padding: 'SAME', filterScales: [0.01, 0.02, 0.005, 0.03] },
    { input: [1, 4, 3, 3], filter: [2, 2, 2, 3], out: [1, 8, 6, 2], stride: [2, 2], padding: 'VALID', activation: 'RELU' },
    { input: [2, 3, 2, 1], filter: [3, 3, 2, 1], out: [2, 5, 3, 3], stride: [1, 1], padding: 'VALID', activation: 'RELU6', bias: null },
    { input: [1, 3, 3, 2], filter: [2, 4, 4, 2], out: [1, 7, 9, 2], stride: [3, 3], padding: 'SAME', activation: 'RELU_N1_TO_1' },
    { input: [1, 5, 5, 1], filter: [1, 3, 3, 1], out: [1, 5, 5, 1], stride: [1, 1], padding: 'SAME' },
    { input: [1, 2, 2, 2], filter: [2, 5, 3, 2], out: [1, 7, 4, 2], stride: [2, 1], padding: 'VALID', filterScales: [0.02, 0.01] },
  ];

  function randomCase(c: TCase, rand: () => number): CCase {
    const qi = { scale: 0.02 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) };
    const qo = { scale: 0.05 + rand() * 0.3, zeroPoint: randomInt(rand, -128, 127) };
    const filterScales = c.filterScales ?? [0.005 + rand() * 0.02];
    const bias = c.bias === null ? null : Int32Array.from({ length: c.filter[0] }, () => randomInt(rand, -2000, 2000));
    const { graph, op } = graphOf({ ...c, qi, qo, filterScales, bias }, rand);
    return { def: transposeConv, graph, op, inputs: [randomInt8(rand, count(c.input))] };
  }

  it('emitted C (gather) matches the reference kernel (scatter) byte for byte', () => {
    const rand = rng(151);
    expectCMatchesReference(CASES.map((c) => randomCase(c, rand)));
  });

  const ACTS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

  /** A random geometry and quantization: scales over decades, any zero points, per-channel or not, bias or not. */
  function sweepCase(rand: () => number): Omit<CCase, 'def'> {
    const r = (lo: number, hi: number) => randomInt(rand, lo, hi);
    const stride: [number, number] = [r(1, 3), r(1, 3)];
    const kH = r(1, 4);
    const kW = r(1, 4);
    const inC = r(1, 5);
    const outC = r(1, 5);
    const inH = r(1, 5);
    const inW = r(1, 5);
    const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
    // SAME: any output size whose forward conv gives the input size
    const outH = padding === 'SAME' ? inH * stride[0] - r(0, stride[0] - 1) : (inH - 1) * stride[0] + kH;
    const outW = padding === 'SAME' ? inW * stride[1] - r(0, stride[1] - 1) : (inW - 1) * stride[1] + kW;
    const perChannel = rand() < 0.5;
    const filterScales = Array.from({ length: perChannel ? outC : 1 }, () => Math.exp(-9 + rand() * 6));
    const c: TCase = {
      input: [r(1, 2), inH, inW, inC],
      filter: [outC, kH, kW, inC],
      out: [0, outH, outW, outC],
      stride,
      padding,
      activation: ACTS[r(0, 3)],
      qi: randomQ(rand, -6, 0),
      qo: randomQ(rand, -6, 0),
      filterScales,
      bias: rand() < 0.3 ? null : Int32Array.from({ length: outC }, () => r(-20000, 20000)),
    };
    c.out[0] = c.input[0];
    const { graph, op } = graphOf(c, rand);
    return { graph, op, inputs: [randomInt8(rand, count(c.input))] };
  }

  it('agrees with TFLite Micro byte for byte on random geometries, quantizations and activations', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(152);
    expectTflmAgrees(transposeConv, [...CASES.map((c) => randomCase(c, rand)), ...Array.from({ length: 60 }, () => sweepCase(rand))]);
  });

  it('emitted C matches the reference kernel on the random sweep', () => {
    const rand = rng(152);
    CASES.forEach((c) => randomCase(c, rand));
    expectCMatchesReference(Array.from({ length: 60 }, () => ({ def: transposeConv, ...sweepCase(rand) })));
  });

  const FAMILIES: [string, KernelIsa][] = [
    ['arm-dsp', { dsp: true }],
    ['armv6m', { dsp: false, armv6m: true }],
    ['rv32', { dsp: false, rv32: true }],
  ];
  for (const [family, isa] of FAMILIES) {
    it(`${family}: the phase convolutions match the reference kernel on the random sweep (ASan+UBSan)`, function () {
      const rand = rng(family.length * 7919 + 153);
      const cases = Array.from({ length: 60 }, () => ({ def: transposeConv, ...sweepCase(rand), isa }));
      for (const c of cases) expect(selectVariant(transposeConv, transposeConv.prepare(c.graph, c.op), isa).family).to.equal(family);
      expectCMatchesReference(cases);
    });
  }
});
