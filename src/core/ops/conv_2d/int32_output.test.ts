// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D with an int32 output: the accumulator itself (bias + sum of w * (x - z_in)), as ONNX's
 * ConvInteger gives it, with no requantization. Only the portable C writes it, on every target.
 */
import { expect } from 'chai';
import conv from './index.ts';
import type { Conv2DParams } from './contract.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import type { KernelIsa } from '../op.ts';
import { outputSize } from '../common/families/padding.ts';
import { selectVariant } from '../variant.ts';
import { type CCase, evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

interface AccumulatorConv {
  input: [number, number, number, number];
  /** OHWI */
  filterShape: [number, number, number, number];
  filter: ArrayLike<number>;
  bias?: ArrayLike<number>;
  inZp: number;
  padding?: Padding;
  stride?: [number, number];
  dilation?: [number, number];
  activation?: FusedActivation;
}

function accumulatorConv(s: AccumulatorConv) {
  const [n, h, w] = s.input;
  const [o, kh, kw] = s.filterShape;
  const padding = s.padding ?? 'VALID';
  const [sh, sw] = s.stride ?? [1, 1];
  const [dh, dw] = s.dilation ?? [1, 1];
  return singleOpGraph(
    'CONV_2D',
    [
      { shape: s.input, scale: 1, zeroPoint: s.inZp },
      { shape: s.filterShape, scale: 1, data: Int8Array.from(s.filter) },
      s.bias ? { shape: [o], dtype: 'int32', scale: 1, data: Int32Array.from(s.bias) } : null,
    ],
    [{ shape: [n, outputSize(padding, h, kh, sh, dh), outputSize(padding, w, kw, sw, dw), o], dtype: 'int32' }],
    { padding, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, activation: s.activation ?? 'NONE' },
  );
}

const ISAS: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: true, mve: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

describe('CONV_2D with an int32 output (the accumulator, as ONNX ConvInteger)', () => {
  it('gives bias + sum of w * (x - z_in) unscaled (hand-checked: ONNX test_basic_convinteger)', () => {
    // x = 2..10 as uint8 with zero point 1, i.e. int8 -126..-118 with zero point -127; weights 1
    const { graph, op } = accumulatorConv({ input: [1, 3, 3, 1], filterShape: [1, 2, 2, 1], filter: [1, 1, 1, 1], inZp: -127 });
    const x = Int8Array.from([2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => v - 128));
    expect(Array.from(evaluateOp(conv, graph, op, [x])[0] as Int32Array)).to.deep.equal([12, 16, 24, 28]);
    const withBias = accumulatorConv({ input: [1, 3, 3, 1], filterShape: [1, 2, 2, 1], filter: [1, -1, 2, 0], bias: [-1000], inZp: -127 });
    // x - z_in = 1, 2, 4, 5 at the first pixel: 1 - 2 + 2 * 4 + 0 = 7, then the bias
    expect((evaluateOp(conv, withBias.graph, withBias.op, [x])[0] as Int32Array)[0]).to.equal(7 - 1000);
  });

  it('runs the portable C on every target family and takes no fused activation', () => {
    const { graph, op } = accumulatorConv({ input: [1, 4, 4, 8], filterShape: [4, 1, 1, 8], filter: new Int8Array(32).fill(3), inZp: 5 });
    const p = conv.prepare(graph, op) as Conv2DParams;
    expect(p.int32Output).to.equal(true);
    for (const isa of ISAS) expect(selectVariant(conv, p, isa).name, JSON.stringify(isa)).to.equal('portable');
    const relu = accumulatorConv({ input: [1, 3, 3, 1], filterShape: [1, 2, 2, 1], filter: [1, 1, 1, 1], inZp: 0, activation: 'RELU' });
    expect(() => conv.check(relu.graph, relu.op)).to.throw(/is the int32 accumulator; it takes no fused activation \(RELU\)/);
  });

  it('the C equals the reference byte for byte on 24 random layers (pointwise, padded, strided, dilated, grouped; ASan + UBSan)', function () {
    const rand = rng(42);
    const cases: CCase[] = [];
    for (let k = 0; k < 24; k++) {
      const pointwise = k < 4;
      const groups = k % 5 === 4 ? 2 : 1;
      const inC = randomInt(rand, 1, 6) * groups;
      const outC = randomInt(rand, 1, 4) * groups;
      const kh = pointwise ? 1 : randomInt(rand, 1, 3);
      const kw = pointwise ? 1 : randomInt(rand, 1, 3);
      const filterShape: [number, number, number, number] = [outC, kh, kw, inC / groups];
      const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 3, 7), randomInt(rand, 3, 7), inC];
      const { graph, op } = accumulatorConv({
        input,
        filterShape,
        filter: randomInt8(
          rand,
          filterShape.reduce((a, b) => a * b, 1),
          -127,
          127,
        ),
        ...(k % 3 === 0 ? { bias: Array.from({ length: outC }, () => randomInt(rand, -100_000, 100_000)) } : {}),
        inZp: randomInt(rand, -128, 127),
        padding: pointwise || k % 2 ? 'VALID' : 'SAME',
        stride: pointwise ? [1, 1] : [randomInt(rand, 1, 2), randomInt(rand, 1, 2)],
        dilation: pointwise || k % 4 !== 1 ? [1, 1] : [2, 1],
      });
      const inputs = [
        randomInt8(
          rand,
          input.reduce((a, b) => a * b, 1),
        ),
      ];
      cases.push({ def: conv, graph, op, inputs, isa: ISAS[k % ISAS.length] });
    }
    expectCMatchesReference(cases);
  });
});
