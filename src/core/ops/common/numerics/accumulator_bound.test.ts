// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { ACC32_LIMIT, accumulatorComment, dotProductBound, dtypeRange, int32Accumulator, rangeProductBound, sumBound } from './accumulator_bound.ts';

/** Every partial sum of every order of one row, the start first or last: the largest magnitude, by brute force. */
function bruteForce(weights: number[], inputs: number[], start: number): number {
  let worst = Math.abs(start);
  const terms = weights.map((w, k) => w * inputs[k]!);
  for (let mask = 0; mask < 1 << terms.length; mask++) {
    let s = 0;
    terms.forEach((t, k) => {
      if (mask & (1 << k)) s += t;
    });
    worst = Math.max(worst, Math.abs(s), Math.abs(s + start));
  }
  return worst;
}

describe('accumulator bounds (accumulator_bound.ts)', () => {
  it('a row of weights -128 with input zero point 127: 100,000 inputs reach 3,264,000,000, past 2^31', () => {
    const weights = new Int8Array(100_000).fill(-128);
    const bound = dotProductBound({ weights, rows: 1, rowLength: 100_000, inputRange: dtypeRange('int8'), inputOffset: -127 });
    // (x - 127) in [-255, 0], times -128: up to 32640 per term
    expect(bound).to.equal(100_000 * 32640);
    expect(int32Accumulator(bound, 'sum').accWraps).to.equal(true);
    expect(int32Accumulator(65_793 * 32640, 'sum').accWraps).to.equal(false);
    expect(int32Accumulator(65_794 * 32640, 'sum').accWraps).to.equal(true);
  });

  it('bounds every partial sum of every order over the inputs in range (brute force on small rows)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 6);
      const weights = Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
      const start = Math.floor(rand() * 20001) - 10000;
      const inputOffset = Math.floor(rand() * 256) - 128;
      const weightOffset = trial % 3 === 0 ? Math.floor(rand() * 256) - 128 : 0;
      const bound = dotProductBound({ weights, rows: 1, rowLength: n, inputRange: [-128, 127], inputOffset, weightOffset, start: [start] });
      // the ends of every input: the worst case of a sum linear in each input
      for (let corner = 0; corner < 1 << n; corner++) {
        const inputs = weights.map((_, k) => ((corner >> k) & 1 ? 127 : -128) + inputOffset);
        expect(
          bruteForce(
            weights.map((w) => w + weightOffset),
            inputs,
            start,
          ),
        ).to.be.at.most(bound);
      }
    }
  });

  it('columns (depthwise [1,H,W,C]) and several rows: the largest row', () => {
    // two channels, three taps: channel 0 = [1, 2, 3], channel 1 = [-4, 5, -6]
    const weights = Int8Array.from([1, -4, 2, 5, 3, -6]);
    const bound = dotProductBound({ weights, rows: 2, rowLength: 3, layout: 'columns', inputRange: [-128, 127], start: [0, 10] });
    // channel 1: 10 + max(4*127 + 5*128 + 6*127, 4*128 + 5*127 + 6*128) = 10 + 1915
    expect(bound).to.equal(1925);
  });

  it('range products and sums: BATCH_MATMUL and reductions', () => {
    expect(rangeProductBound(33_025, [-255, 255], [-255, 255])).to.equal(33_025 * 65025);
    expect(rangeProductBound(33_025, [-255, 255], [-255, 255]) <= ACC32_LIMIT).to.equal(true);
    expect(rangeProductBound(33_026, [-255, 255], [-255, 255]) <= ACC32_LIMIT).to.equal(false);
    expect(sumBound(65_536, 32768)).to.equal(2 ** 31);
  });

  it('the comment says the bound, and whether it wraps', () => {
    expect(accumulatorComment(int32Accumulator(1000, '|bias| + sum |w x|'))).to.equal('/* |bias| + sum |w x| <= 1000 < 2^31: no overflow */');
    expect(accumulatorComment(int32Accumulator(2 ** 32, 'sum'))).to.match(/sum <= 4294967296, past 2\^31: summed in uint32_t/);
  });
});
