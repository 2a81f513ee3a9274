// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from './index.ts';
import { convRv32Applies } from './rv32.ts';
import type { Conv2DParams } from './index.ts';
import { rng } from '../../../test/helpers/op_harness.ts';
import { expectRv32BitExact, randomPointwise } from '../../../test/helpers/rv32_cases.ts';

describe('CONV_2D, RV32IMC variant (ESP32-C3)', () => {
  it('is chosen for 1x1 convolutions at stride 1', () => {
    const pointwise = { kH: 1, kW: 1, strideH: 1, strideW: 1, groups: 1, padTop: 0, padLeft: 0, outC: 7, inC: 5 } as Conv2DParams;
    expect(convRv32Applies(pointwise)).to.equal(true);
    expect(convRv32Applies({ ...pointwise, kH: 3, kW: 3 })).to.equal(false);
    expect(convRv32Applies({ ...pointwise, strideW: 2 })).to.equal(false);
  });

  it('matches the reference kernel byte for byte (random 1x1 layers: pixel and channel remainders, zero points, scales)', function () {
    this.timeout(120000);
    const rand = rng(3204);
    expectRv32BitExact(Array.from({ length: 30 }, () => randomPointwise(conv, rand)));
  });
});
