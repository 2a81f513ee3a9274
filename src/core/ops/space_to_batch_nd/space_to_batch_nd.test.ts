// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import batchToSpace from '../batch_to_space_nd/index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { batchSpaceCases, batchSpaceGraph } from '../../../../test/helpers/batch_space_cases.ts';

describe('SPACE_TO_BATCH_ND', () => {
  it('moves each block offset to its own batch and pads with raw 0, not the zero point, as TFLite Micro (hand-checked)', () => {
    // [1,2,3,1], block 2x2, paddings [[0,0],[0,1]]: 2x4 padded -> four batches of 1x2
    const g = batchSpaceGraph(
      'SPACE_TO_BATCH_ND',
      { inShape: [1, 2, 3, 1], outShape: [4, 1, 2, 1], block: [2, 2], pads: [0, 0, 0, 1] },
      { scale: 1, zeroPoint: -9 },
    );
    const out = evaluateOp(def, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6])])[0] as Int8Array;
    expect(Array.from(out)).to.deep.equal([1, 3, 2, 0, 4, 6, 5, 0]);
  });

  it('is undone by BATCH_TO_SPACE_ND with the paddings as crops', () => {
    const rand = rng(5);
    const s = { inShape: [2, 5, 3, 3], outShape: [8, 3, 2, 3], block: [2, 2], pads: [1, 0, 0, 1] };
    const x = randomInt8(rand, 90);
    const g = batchSpaceGraph('SPACE_TO_BATCH_ND', s);
    const mid = evaluateOp(def, g.graph, g.op, [x])[0]!;
    const back = batchSpaceGraph('BATCH_TO_SPACE_ND', { inShape: s.outShape, outShape: s.inShape, block: s.block, pads: s.pads });
    expect(Array.from(evaluateOp(batchToSpace, back.graph, back.op, [mid])[0] as Int8Array)).to.deep.equal(Array.from(x));
  });

  it('rejects a padded size that is not a multiple of the block', () => {
    const g = batchSpaceGraph('SPACE_TO_BATCH_ND', { inShape: [1, 3, 3, 1], outShape: [4, 2, 2, 1], block: [2, 2], pads: [0, 0, 0, 0] });
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /not a multiple of the block/);
  });

  it('emitted C matches the reference kernel (rank 3 and 4, random blocks and paddings)', () => {
    expectCMatchesReference(batchSpaceCases('SPACE_TO_BATCH_ND', rng(71), 12).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, batchSpaceCases('SPACE_TO_BATCH_ND', rng(72), 12));
  });
});
