// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { batchSpaceCases, batchSpaceGraph } from '../../../../test/helpers/batch_space_cases.ts';

describe('BATCH_TO_SPACE_ND', () => {
  it('interleaves the batches into blocks and crops (hand-checked)', () => {
    // four batches of 1x2 -> 2x4, crop one column on the right -> 2x3
    const g = batchSpaceGraph('BATCH_TO_SPACE_ND', { inShape: [4, 1, 2, 1], outShape: [1, 2, 3, 1], block: [2, 2], pads: [0, 0, 0, 1] });
    const out = evaluateOp(def, g.graph, g.op, [Int8Array.from([1, 3, 2, 0, 4, 6, 5, 0])])[0] as Int8Array;
    expect(Array.from(out)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a batch that is not a multiple of the block', () => {
    const g = batchSpaceGraph('BATCH_TO_SPACE_ND', { inShape: [3, 1, 1, 1], outShape: [1, 2, 2, 1], block: [2, 2], pads: [0, 0, 0, 0] });
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /not a multiple of the block/);
  });

  it('emitted C matches the reference kernel (rank 3 and 4, random blocks and crops)', () => {
    expectCMatchesReference(batchSpaceCases('BATCH_TO_SPACE_ND', rng(81), 12).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, batchSpaceCases('BATCH_TO_SPACE_ND', rng(82), 12));
  });
});
