// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from './index.ts';
import { convS3ScratchBytes } from './s3simd.ts';
import type { Conv2DParams } from './index.ts';
import { type CCase, rng } from '../../../../test/helpers/op_harness.ts';
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

  it('matches the reference kernel byte for byte (random k x k layers: kernels 1-7, strides, dilation, padding, groups)', function () {
    const rand = rng(4303);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const c = randomConv(conv, rand);
      if (c) cases.push(onS3(c));
    }
    expectS3BitExact(cases);
  });
});
