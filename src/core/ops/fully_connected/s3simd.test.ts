// SPDX-License-Identifier: Apache-2.0
import fc from './index.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { randomFc } from '../../../../test/helpers/rv32_cases.ts';
import { expectS3BitExact, onS3 } from '../../../../test/helpers/s3simd_cases.ts';

describe('FULLY_CONNECTED, ESP32-S3 SIMD variant (functional model of the ee.* instructions)', () => {
  it('matches the reference kernel byte for byte (random layers: 1-70 features, batches, zero points, per-channel scales)', function () {
    const rand = rng(4305);
    expectS3BitExact(Array.from({ length: 40 }, () => onS3(randomFc(fc, rand))));
  });
});
