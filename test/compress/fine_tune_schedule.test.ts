// SPDX-License-Identifier: Apache-2.0
/**
 * The fine-tuning schedule (train.ts's cosine step size) and the LeNet example's augmentation
 * (examples/mnist/dataset.ts's whole-pixel shifts): pure functions, no training.
 */
import { expect } from 'chai';
import { learningRateAt } from '../../src/compress/train.ts';
import { IMAGE_SIZE, PIXELS, seededRandom, shiftImages } from '../../examples/mnist/dataset.ts';

describe('fine-tuning schedule and augmentation', () => {
  it('cosine: the full rate at the first step, minLearningRate of it at the last, halfway between at the middle; constant by default', () => {
    const options = { epochs: 1, learningRate: 0.001, learningRateSchedule: 'cosine' as const, minLearningRate: 0.02 };
    expect(learningRateAt(options, 0, 101)).to.be.closeTo(0.001, 1e-12);
    expect(learningRateAt(options, 100, 101)).to.be.closeTo(0.00002, 1e-12);
    expect(learningRateAt(options, 50, 101)).to.be.closeTo((0.001 + 0.00002) / 2, 1e-12);
    for (let s = 1; s < 101; s++) expect(learningRateAt(options, s, 101)).to.be.at.most(learningRateAt(options, s - 1, 101));
    expect(learningRateAt({ epochs: 1, learningRate: 0.003 }, 70, 101)).to.equal(0.003);
  });

  it('shiftImages moves each image by whole pixels within the bound, the uncovered border 0, the same draws for the same seed', () => {
    const count = 50;
    const x = new Float32Array(count * PIXELS);
    // a single bright pixel in the middle of each image: where it lands is the shift
    for (let n = 0; n < count; n++) x[n * PIXELS + 14 * IMAGE_SIZE + 14] = 1;
    const shifted = shiftImages(x, count, 2, seededRandom(7));
    const offsets = new Set<string>();
    for (let n = 0; n < count; n++) {
      const image = shifted.subarray(n * PIXELS, (n + 1) * PIXELS);
      const lit = [...image.keys()].filter((i) => image[i] !== 0);
      expect(lit, `image ${n}`).to.have.length(1);
      const dy = Math.floor(lit[0]! / IMAGE_SIZE) - 14;
      const dx = (lit[0]! % IMAGE_SIZE) - 14;
      expect(Math.abs(dx)).to.be.at.most(2);
      expect(Math.abs(dy)).to.be.at.most(2);
      offsets.add(`${dx},${dy}`);
    }
    expect(offsets.size).to.be.above(10);
    expect(shiftImages(x, count, 2, seededRandom(7))).to.deep.equal(shifted);
    // an all-ones image shifted by (1, 0) or more loses a column or row to the background
    const ones = new Float32Array(PIXELS).fill(1);
    const moved = shiftImages(ones, 1, 1, () => 0.99);
    expect(moved[0]).to.equal(0);
    expect(moved.reduce((a, b) => a + b, 0)).to.equal(27 * 27);
  });
});
