// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import minimum from './index.ts';
import { singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

// MINIMUM shares its implementation with MAXIMUM (common/families/min_max.ts); the full tests are in
// maximum/maximum.test.ts. Here: the registration specifics of this folder.
describe('MINIMUM', () => {
  it('is registered under its own kind, with its own template, and takes the smaller value in C', () => {
    expect(minimum.kind).to.equal('MINIMUM');
    const { graph, op } = singleOpGraph(
      'MINIMUM',
      [
        { shape: [3], scale: 1, zeroPoint: 0 },
        { shape: [3], scale: 1, zeroPoint: 0 },
      ],
      [{ shape: [3], scale: 1, zeroPoint: 0 }],
    );
    expectCMatchesReference([{ def: minimum, graph, op, inputs: [Int8Array.from([1, -5, 127]), Int8Array.from([0, 3, -128])] }]);
  });
});
