// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from './index.ts';
import { convRv32Applies, convRv32ScratchBytes } from './rv32.ts';
import type { Conv2DParams } from './contract.ts';
import { type CCase, rng } from '../../../../test/helpers/op_harness.ts';
import { expectRv32BitExact, randomConv, randomPointwise } from '../../../../test/helpers/rv32_cases.ts';

describe('CONV_2D, RV32IMC variant (ESP32-C3)', () => {
  it('covers every shape: 1x1 at stride 1 directly, the rest through an im2col block in scratch', () => {
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
    expect(convRv32Applies(pointwise)).to.equal(true);
    expect(convRv32ScratchBytes(pointwise)).to.equal(0);
    // 4 pixels' receptive fields of 3*3*5 bytes
    expect(convRv32Applies({ ...pointwise, kH: 3, kW: 3 })).to.equal(true);
    expect(convRv32ScratchBytes({ ...pointwise, kH: 3, kW: 3 })).to.equal(4 * 45);
    expect(convRv32ScratchBytes({ ...pointwise, strideW: 2 })).to.equal(4 * 5);
    // one pixel, two groups of 2 input channels
    expect(convRv32ScratchBytes({ ...pointwise, outH: 1, outW: 1, kH: 2, kW: 2, groups: 2, inC: 4, filterInC: 2, outC: 6 })).to.equal(2 * 8);
  });

  it('matches the reference kernel byte for byte (random 1x1 layers: pixel and channel remainders, zero points, scales)', function () {
    const rand = rng(3204);
    expectRv32BitExact(Array.from({ length: 30 }, () => randomPointwise(conv, rand)));
  });

  it('matches the reference kernel byte for byte (random k x k layers: kernels 1-7, strides 1-3, dilation, padding, groups, one input channel)', function () {
    const rand = rng(3206);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const c = randomConv(conv, rand);
      if (c) cases.push(c);
    }
    expectRv32BitExact(cases);
  });
});
