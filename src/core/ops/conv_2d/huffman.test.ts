// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { selectVariant } from '../variant.ts';
import conv from './index.ts';
import type { Conv2DParams } from './contract.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { outputSize } from '../common/families/padding.ts';
import { peakedWeights } from '../../../../test/helpers/peaked_weights.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { preferInSuite, suiteChoices } from '../../../../test/helpers/prefer.ts';

describe('CONV_2D with a Huffman-coded filter (huffman.ts)', () => {
  // the storage competes under --prefer size; palette and int4 off so every layer is Huffman-coded
  preferInSuite('size', { palette: false, int4: false });

  it('computes bit-exactly what the reference computes on generated layers: padding, strides, dilation, groups (host C, ASan + UBSan)', () => {
    const rand = rng(1414);
    const cases: CCase[] = [];
    const isas = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
    let tries = 0;
    while (cases.length < 24 && tries++ < 400) {
      const groups = rand() < 0.25 ? 2 : 1;
      const fic = randomInt(rand, 2, 12);
      const inC = fic * groups;
      const outC = groups * randomInt(rand, 2, 12);
      const k = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)] as const;
      const stride = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)] as const;
      const dilation = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)] as const;
      const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
      const input = [randomInt(rand, 1, 2), randomInt(rand, 1, 8), randomInt(rand, 1, 8), inC];
      const outH = outputSize(padding, input[1]!, k[0], stride[0], dilation[0]);
      const outW = outputSize(padding, input[2]!, k[1], stride[1], dilation[1]);
      if (outH < 1 || outW < 1) continue;
      const fourBit = rand() < 0.3;
      const weights = peakedWeights(rand, outC * k[0] * k[1] * fic, 0.5 + rand() * (fourBit ? 2 : 10), rand() * 0.6, fourBit ? -8 : -127, fourBit ? 7 : 127);
      const perChannel = rand() < 0.6;
      const { graph, op } = singleOpGraph(
        'CONV_2D',
        [
          { shape: input, scale: 0.05, zeroPoint: rand() < 0.3 ? 0 : randomInt(rand, -128, 127) },
          {
            shape: [outC, k[0], k[1], fic],
            scale: perChannel ? Array.from({ length: outC }, () => 0.002 + rand() * 0.02) : 0.01,
            zeroPoint: perChannel ? new Array(outC).fill(0) : 0,
            data: weights,
          },
          rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -5000, 5000)) } : null,
        ],
        [{ shape: [input[0]!, outH, outW, outC], scale: rand() < 0.2 ? 0.0005 : 0.05 + rand() * 0.3, zeroPoint: randomInt(rand, -50, 50) }],
        {
          padding,
          strideH: stride[0],
          strideW: stride[1],
          dilationH: dilation[0],
          dilationW: dilation[1],
          activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as FusedActivation[])[randomInt(rand, 0, 3)],
        },
      );
      const p: Conv2DParams = conv.prepare(graph, op, suiteChoices().kernels);
      if (!p.entropy) continue;
      const isa = isas[cases.length % isas.length];
      expect(selectVariant(conv, p, isa, suiteChoices().prefer, suiteChoices().kernels).name).to.equal('huffman');
      cases.push({
        def: conv,
        graph,
        op,
        inputs: [
          randomInt8(
            rand,
            input.reduce((a, b) => a * b, 1),
          ),
        ],
        isa,
      });
    }
    expect(cases.length).to.equal(24);
    const results = runCasesInC(cases);
    cases.forEach((c, k) => {
      const expected = evaluateOp(conv, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });
});
