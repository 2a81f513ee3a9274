// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { depthwiseS3Applies, depthwiseS3ScratchBytes, qaccLanesFit } from './s3simd.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { type CCase, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { randomDepthwise } from '../../../../test/helpers/rv32_cases.ts';
import { S3, expectS3BitExact, onS3, randomOneChannelDepthwise, randomPairDepthwise } from '../../../../test/helpers/s3simd_cases.ts';
import { depthwiseS3PairsApplies, depthwiseS3PairsScratchBytes } from './s3simd_pairs.ts';
import { selectVariant } from '../variant.ts';

describe('DEPTHWISE_CONV_2D, ESP32-S3 SIMD variant (functional model of the ee.* instructions)', () => {
  it('runs only where every channel fits a 20-bit QACC lane, at depth multiplier 1', () => {
    // 31 taps of -128: 31 x 128 x 128 = 507904 < 2^19; 32 taps: 524288, one past the lane
    expect(qaccLanesFit(new Int8Array(31).fill(-128), 1)).to.equal(true);
    expect(qaccLanesFit(new Int8Array(32).fill(-128), 1)).to.equal(false);
    // two channels: the second one's taps decide
    expect(
      qaccLanesFit(
        Int8Array.from({ length: 64 }, (_, i) => (i % 2 ? -128 : 1)),
        2,
      ),
    ).to.equal(false);
    const p = { depthMultiplier: 1, qaccLanesFit: true, outC: 20, kH: 3, kW: 3, dilationH: 2, dilationW: 2 } as DepthwiseConv2DParams;
    expect(depthwiseS3Applies(p)).to.equal(true);
    // undilated 3x3: the MAC16 3x3 kernel's, unless C is a multiple of 16 (windows read in place)
    expect(depthwiseS3Applies({ ...p, dilationH: 1, dilationW: 1 })).to.equal(false);
    expect(depthwiseS3Applies({ ...p, dilationH: 1, dilationW: 1, outC: 32 })).to.equal(true);
    expect(depthwiseS3Applies({ ...p, kH: 5, kW: 5, dilationH: 1, dilationW: 1 })).to.equal(true);
    expect(depthwiseS3Applies({ ...p, depthMultiplier: 2 })).to.equal(false);
    expect(depthwiseS3Applies({ ...p, qaccLanesFit: false })).to.equal(false);
    // the taps of 20 channels are 32 bytes apart; then QACC's store and the 16 lanes
    expect(depthwiseS3ScratchBytes(p)).to.equal(9 * 32 + 64 + 64);
  });

  it('matches the reference kernel byte for byte (random layers: channels 1-17, kernels up to 7x19, strides, dilations, paddings, per-channel scales)', function () {
    const rand = rng(4321);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const c = randomDepthwise(depthwise, rand);
      if (!c) continue;
      const p = depthwise.prepare(c.graph, c.op);
      if (!depthwiseS3Applies(p) || p.accWraps) continue;
      cases.push(onS3(c));
    }
    expectS3BitExact(cases);
  });

  it('matches the reference kernel byte for byte (wide layers: 16 to 128 channels, 3x3 read in place, dilated 3x3, 5x5, stride 2, per-channel scales, extreme weights)', function () {
    const rand = rng(4323);
    const shapes: { c: number; k: number; stride: number; dilation: number; padding: 'SAME' | 'VALID'; extreme?: boolean }[] = [
      { c: 32, k: 3, stride: 1, dilation: 2, padding: 'SAME' },
      { c: 40, k: 5, stride: 2, dilation: 1, padding: 'SAME', extreme: true },
      { c: 24, k: 5, stride: 1, dilation: 2, padding: 'SAME', extreme: true },
      { c: 72, k: 3, stride: 2, dilation: 2, padding: 'VALID' },
      { c: 48, k: 5, stride: 2, dilation: 1, padding: 'SAME' },
      // 3x3, C a multiple of 16: the windows inside the input read in place, the others copied
      { c: 16, k: 3, stride: 1, dilation: 1, padding: 'SAME' },
      { c: 32, k: 3, stride: 2, dilation: 1, padding: 'VALID' },
      { c: 48, k: 3, stride: 2, dilation: 1, padding: 'SAME', extreme: true },
      { c: 64, k: 3, stride: 1, dilation: 1, padding: 'VALID', extreme: true },
      { c: 128, k: 3, stride: 1, dilation: 1, padding: 'SAME' },
    ];
    const cases: CCase[] = shapes.map(({ c, k, stride, dilation, padding, extreme }) => {
      const span = (k - 1) * dilation + 1;
      const inH = 9;
      const outH = padding === 'SAME' ? Math.ceil(inH / stride) : Math.floor((inH - span) / stride) + 1;
      // -128 weights and -128/127 inputs: the largest lane sums the bound allows
      const weights = extreme ? Int8Array.from({ length: k * k * c }, (_, i) => (i % 3 ? -128 : 127)) : randomInt8(rand, k * k * c);
      const input = extreme ? Int8Array.from({ length: inH * inH * c }, (_, i) => (i % 5 ? -128 : 127)) : randomInt8(rand, inH * inH * c);
      const { graph, op } = singleOpGraph(
        'DEPTHWISE_CONV_2D',
        [
          { shape: [1, inH, inH, c], scale: 0.02, zeroPoint: extreme ? 127 : -5 },
          { shape: [1, k, k, c], scale: Array.from({ length: c }, () => 0.001 + rand() * 0.01), axis: 3, data: weights },
          { shape: [c], dtype: 'int32', data: Int32Array.from({ length: c }, () => Math.round((rand() - 0.5) * 20000)) },
        ],
        [{ shape: [1, outH, outH, c], scale: 0.5, zeroPoint: 3 }],
        { padding, strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation, activation: 'NONE', depthMultiplier: 1 },
      );
      return onS3({ def: depthwise, graph, op, inputs: [input] });
    });
    expectS3BitExact(cases);
  });

  it('one input channel, multiplier 2-24: the one-channel convolution, byte for byte with the reference (kernels to 7x7, strides, dilations, paddings)', function () {
    const rand = rng(4327);
    const cases: CCase[] = [];
    while (cases.length < 30) {
      const c = randomOneChannelDepthwise(depthwise, rand);
      if (!c) continue;
      expect(selectVariant(depthwise, depthwise.prepare(c.graph, c.op), S3).name).to.equal('s3simd one input channel');
      cases.push(onS3(c));
    }
    expectS3BitExact(cases);
  });

  it('8 channels at column stride 1: the pixel-pair kernel, byte for byte with the reference (kernels to 5x5, row strides, row dilation, odd and even widths, paddings)', function () {
    const rand = rng(4331);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const c = randomPairDepthwise(depthwise, rand);
      if (!c) continue;
      const p = depthwise.prepare(c.graph, c.op);
      if (!p.qaccLanesFit) continue;
      expect(selectVariant(depthwise, p, S3).name).to.equal('s3simd pairs');
      cases.push(onS3(c));
    }
    expectS3BitExact(cases);
  });

  it('takes 8 channels at column stride 1 only, where every step between two tap loads fits the immediate', () => {
    const p = { depthMultiplier: 1, qaccLanesFit: true, outC: 8, kH: 3, kW: 3, strideW: 1, dilationW: 1, outW: 48 } as DepthwiseConv2DParams;
    expect(depthwiseS3PairsApplies(p)).to.equal(true);
    expect(depthwiseS3PairsApplies({ ...p, outC: 16 })).to.equal(false);
    expect(depthwiseS3PairsApplies({ ...p, strideW: 2 })).to.equal(false);
    expect(depthwiseS3PairsApplies({ ...p, dilationW: 2 })).to.equal(false);
    expect(depthwiseS3PairsApplies({ ...p, depthMultiplier: 2 })).to.equal(false);
    expect(depthwiseS3PairsApplies({ ...p, qaccLanesFit: false })).to.equal(false);
    // rows of 50 padded columns are 400 bytes apart; 254 columns (2032 bytes) is the widest step
    expect(depthwiseS3PairsApplies({ ...p, outW: 252 })).to.equal(true);
    expect(depthwiseS3PairsApplies({ ...p, outW: 254 })).to.equal(false);
    // 3 rows copied twice, QACC's store, the odd pixel's 16 lanes
    expect(depthwiseS3PairsScratchBytes(p)).to.equal(6 * 400 + 64 + 64);
  });
});
