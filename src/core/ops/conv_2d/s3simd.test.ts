// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from './index.ts';
import { convS3ScratchBytes } from '../common/isa/s3simd_conv.ts';
import type { Conv2DParams } from './contract.ts';
import { type CCase, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { randomConv, randomPointwise } from '../../../../test/helpers/rv32_cases.ts';
import { expectS3BitExact, onS3 } from '../../../../test/helpers/s3simd_cases.ts';

describe('CONV_2D, ESP32-S3 SIMD variant (functional model of the ee.* instructions)', () => {
  it('needs one 16-byte padded row per group: the pixel (1x1) or its receptive field', () => {
    const pointwise = {
      batches: 1,
      outH: 5,
      outW: 5,
      kH: 1,
      kW: 1,
      strideH: 1,
      strideW: 1,
      groups: 1,
      padTop: 0,
      padLeft: 0,
      outC: 7,
      inC: 5,
      filterInC: 5,
    } as Conv2DParams;
    expect(convS3ScratchBytes(pointwise)).to.equal(16);
    expect(convS3ScratchBytes({ ...pointwise, inC: 32, filterInC: 32 })).to.equal(32);
    expect(convS3ScratchBytes({ ...pointwise, kH: 3, kW: 3 })).to.equal(48);
    expect(convS3ScratchBytes({ ...pointwise, kH: 2, kW: 2, groups: 2, inC: 4, filterInC: 2, outC: 6 })).to.equal(32);
  });

  it('matches the reference kernel byte for byte (random 1x1 layers: depths around 16, zero points, per-channel scales)', function () {
    const rand = rng(4301);
    expectS3BitExact(Array.from({ length: 30 }, () => onS3(randomPointwise(conv, rand))));
  });

  it('matches the reference kernel byte for byte (random 1x1 layers of 65-128 input channels: rows of 5-6 blocks held in q registers, 7-8 streamed)', function () {
    const rand = rng(3307);
    expectS3BitExact(Array.from({ length: 16 }, () => onS3(randomPointwise(conv, rand, [65, 128]))));
  });

  it('matches the reference kernel byte for byte (random 1x1 layers of 8-256 input channels: channel by channel, the aligned input read in place, rows of 7-16 blocks partly held, 8 channels two pixels a block)', function () {
    const rand = rng(4309);
    const depths = [8, 16, 32, 48, 64, 8, 80, 96, 112, 128, 160, 256];
    const cases = Array.from({ length: 36 }, (_, i) => onS3(randomPointwise(conv, rand, [depths[i % depths.length]!, depths[i % depths.length]!])));
    expectS3BitExact(cases);
  });

  it('matches the reference kernel byte for byte (random k x k layers: kernels 1-7, strides, dilation, padding, groups)', function () {
    const rand = rng(4303);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const c = randomConv(conv, rand);
      if (c) cases.push(onS3(c));
    }
    expectS3BitExact(cases);
  });

  it('matches the reference kernel byte for byte at the requantization edges (shifts 0, 1 and deep right, large biases, zero points -128 and 127)', function () {
    const rand = rng(4305);
    const cases: CCase[] = [];
    // input scale x filter scale / output scale: 0.3 (e = 1), 0.7 (e = 0: tf_mbqm), 1e-7 (e = 23), per channel mixed
    for (const ratios of [[0.3], [0.7], [1e-7], [0.3, 0.45, 2e-3, 5e-6]]) {
      for (const zp of [-128, 127, 0]) {
        const inC = randomInt(rand, 1, 40);
        const outC = ratios.length * 5;
        const filterScales = Array.from({ length: outC }, (_, c) => ratios[c % ratios.length]! * 0.5);
        const { graph, op } = singleOpGraph(
          'CONV_2D',
          [
            { shape: [1, 3, 3, inC], scale: 0.5, zeroPoint: zp === 0 ? 0 : -zp },
            { shape: [outC, 1, 1, inC], scale: filterScales, data: randomInt8(rand, outC * inC) },
            { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, (_, c) => (c % 2 ? 1 : -1) * randomInt(rand, 0, 2_000_000)) },
          ],
          [{ shape: [1, 3, 3, outC], scale: 0.25, zeroPoint: zp }],
          { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
        );
        const input = randomInt8(rand, 9 * inC);
        input[0] = -128;
        input[1] = 127;
        cases.push(onS3({ def: conv, graph, op, inputs: [input] }));
      }
    }
    expectS3BitExact(cases);
  });
});
