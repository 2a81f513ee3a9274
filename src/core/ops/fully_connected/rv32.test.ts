// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import fc from './index.ts';
import { fcRv32Applies } from './rv32.ts';
import type { FullyConnectedParams } from './contract.ts';
import { rv32Block, rv32MatmulWeights } from '../common/isa/rv32_matmul.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { expectRv32BitExact, randomFc } from '../../../../test/helpers/rv32_cases.ts';

describe('FULLY_CONNECTED, RV32IMC variant (ESP32-C3)', () => {
  it('covers dense symmetric weights only', () => {
    const p = { filterOffset: 0 } as FullyConnectedParams;
    expect(fcRv32Applies(p)).to.equal(true);
    expect(fcRv32Applies({ ...p, filterOffset: 3 })).to.equal(false);
    expect(fcRv32Applies({ ...p, sparse: {} as FullyConnectedParams['sparse'] })).to.equal(false);
  });

  it('blocks 4 rows x 4 columns, 2 or 1 rows x 8, and re-lays the weights column-group by column-group', () => {
    expect(rv32Block(9, 10)).to.deep.equal({ rows: 4, columns: 4 });
    expect(rv32Block(1, 10)).to.deep.equal({ rows: 1, columns: 8 });
    expect(rv32Block(1, 3)).to.deep.equal({ rows: 1, columns: 4 });
    // 5 columns of depth 2 in groups of 4: [k0: c0..c3][k1: c0..c3][k0: c4 0 0 0][k1: c4 0 0 0]
    const w = Int8Array.from({ length: 10 }, (_, i) => i + 1);
    expect(Array.from(rv32MatmulWeights(w, 5, 2, 4))).to.deep.equal([1, 3, 5, 7, 2, 4, 6, 8, 9, 0, 0, 0, 10, 0, 0, 0]);
  });

  it('matches the reference kernel byte for byte (random batches, widths, zero points, scales)', function () {
    const rand = rng(3203);
    expectRv32BitExact(Array.from({ length: 30 }, () => randomFc(fc, rand)));
  });
});
