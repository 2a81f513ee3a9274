// SPDX-License-Identifier: Apache-2.0
/**
 * The edge-input fuzzer in CI (edge.ts): a fixed seed, layers up to 70,000 input values (past the
 * 65,793 at which an int8 dot product of weights -128 and input zero point 127 leaves int32), each on
 * inputs all-max, all-min and alternating, on the portable C and each family's host twin, under
 * ASan+UBSan with no recovery, against the TS reference. Longer: `npm run fuzz -- --edge`.
 */
import { expect } from 'chai';
import { edgeCases, edgeValues, runEdgeCases } from './edge.ts';

describe('edge-input fuzzing (CI slice)', () => {
  it('edge inputs are all-max, all-min and alternating max/min', () => {
    expect(Array.from(edgeValues('alternating', 4, 'int8'))).to.deep.equal([127, -128, 127, -128]);
    expect(Array.from(edgeValues('min', 2, 'int16'))).to.deep.equal([-32768, -32768]);
  });

  it('seed 11, 12 layers (each kind twice) x 3 edge inputs: no sanitizer report, no mismatch, some accumulators wrap', function () {
    const cases = edgeCases({ seed: 11, count: 12, maxElements: 70_000 });
    expect(cases.some((c) => c.wraps)).to.equal(true);
    for (const kind of ['TRANSPOSE_CONV', 'BATCH_MATMUL']) expect(cases.some((c) => c.op.kind === kind)).to.equal(true);
    expect(runEdgeCases(cases)).to.deep.equal([]);
  });
});
