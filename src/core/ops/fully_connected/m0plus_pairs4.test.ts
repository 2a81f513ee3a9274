// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Armv6-M block of 4 rows as two row pairs (m0plus.ts): which layers take it and
 * the order tf_m0fc_pairs4 reads the words in. The sums themselves run on rp2040js in
 * m0plus_emulated.test.ts.
 */
import { expect } from 'chai';
import { pairs4Fit, rowPairLanes4 } from './m0plus.ts';

describe('FULLY_CONNECTED Armv6-M block of 4 as row pairs', () => {
  it('takes the rows after the blocks of 8 when 4 or more remain, rows of whole column pairs, no -128 among them', () => {
    const weights = (rows: number, cols: number) => Int8Array.from({ length: rows * cols }, (_, i) => ((i * 37) % 255) - 127);
    expect(pairs4Fit(weights(4, 4000), 4, 4000)).to.equal(true);
    expect(pairs4Fit(weights(15, 10), 15, 10)).to.equal(true);
    expect(pairs4Fit(weights(3, 10), 3, 10)).to.equal(false);
    expect(pairs4Fit(weights(8, 10), 8, 10)).to.equal(false);
    expect(pairs4Fit(weights(4, 9), 4, 9)).to.equal(false);
    const low = weights(12, 10);
    low[0] = -128; // in the block of 8: no matter
    expect(pairs4Fit(low, 12, 10)).to.equal(true);
    low[8 * 10 + 3] = -128;
    expect(pairs4Fit(low, 12, 10)).to.equal(false);
  });

  it('lays per column pair, per row pair, the words w_a + 65536 w_b of both columns', () => {
    const cols = 4;
    const w = Int8Array.from({ length: 6 * cols }, (_, i) => i - 10);
    const at = (r: number, c: number) => w[r * cols + c]!;
    const words = rowPairLanes4(w, 2, cols);
    expect(words.length).to.equal(2 * cols);
    // column pair 0: rows 2, 3 (columns 0, 1), then rows 4, 5
    expect(Array.from(words.subarray(0, 4))).to.deep.equal([
      at(2, 0) + 65536 * at(3, 0),
      at(2, 1) + 65536 * at(3, 1),
      at(4, 0) + 65536 * at(5, 0),
      at(4, 1) + 65536 * at(5, 1),
    ]);
    expect(words[4]).to.equal(at(2, 2) + 65536 * at(3, 2));
  });
});
