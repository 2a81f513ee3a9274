// SPDX-License-Identifier: Apache-2.0
/**
 * settleChannels against TFLite Micro's requantization, accumulator by accumulator: generated rows
 * of pruned channels (biases of +-2^30 and at the output's step, right shifts 10 to 31, multiplier 0,
 * zero points and clamps of every kind), each replacement compared over its whole window.
 */
import { expect } from 'chai';
import { fastRequantHolds, roundRequantHolds } from '../isa/dsp.ts';
import { randomInt, rng } from '../../../../../test/helpers/op_harness.ts';
import { clamp, mbqm } from './fixedpoint.ts';
import { settleChannels } from './settled_channels.ts';

interface Case {
  weights: Int8Array;
  rows: number;
  rowLength: number;
  inputOffset: number;
  bias: Int32Array;
  multiplier: number[];
  shift: number[];
  zp: number;
  actMin: number;
  actMax: number;
}

/** Rows of a few small weights over biases that keep their accumulators far from zero. */
function prunedRows(seed: number): Case {
  const rand = rng(seed);
  const rows = randomInt(rand, 1, 12);
  const rowLength = randomInt(rand, 1, 9);
  const weights = new Int8Array(rows * rowLength);
  const bias = new Int32Array(rows);
  const multiplier: number[] = [];
  const shift: number[] = [];
  const zp = [-128, 0, randomInt(rand, -128, 127)][randomInt(rand, 0, 2)]!;
  const ranges: [number, number][] = [
    [-128, 127],
    [zp, 127],
    [zp, Math.min(127, zp + randomInt(rand, 1, 60))],
  ];
  const [actMin, actMax] = ranges[randomInt(rand, 0, 2)]!;
  for (let r = 0; r < rows; r++) {
    const taps = randomInt(rand, 0, 2);
    for (let t = 0; t < taps; t++) weights[r * rowLength + randomInt(rand, 0, rowLength - 1)] = randomInt(rand, -3, 3);
    const s = -randomInt(rand, 10, 31);
    const m = rand() < 0.1 ? 0 : randomInt(rand, 2 ** 30, 2 ** 31 - 1);
    multiplier.push(m);
    shift.push(m === 0 ? 0 : s);
    // +-2^30, or an accumulator near one of the output's steps (k + 1/2) * 2^31 / m * 2^-s
    const step = m === 0 ? 0 : Math.round(((randomInt(rand, -3, 3) + 0.5) * 2 ** 31 * 2 ** -s) / m);
    bias[r] = rand() < 0.5 ? (rand() < 0.5 ? 2 ** 30 : -(2 ** 30)) : Math.max(-(2 ** 31) + 4096, Math.min(2 ** 31 - 4096, step + randomInt(rand, -300, 300)));
  }
  return { weights, rows, rowLength, inputOffset: randomInt(rand, -127, 128), bias, multiplier, shift, zp, actMin, actMax };
}

const tflm = (acc: number, m: number, s: number, c: Case) => clamp(mbqm(acc, m, s) + c.zp, c.actMin, c.actMax);

function fastFits(c: Case) {
  return (b: number, m: number, s: number) => fastRequantHolds([b], { multiplier: [m], shift: [s] }, c.zp);
}

describe('settleChannels: pruned channels requantized by equivalent records', () => {
  it('gives, over every accumulator each replaced channel can reach, the outputs TFLite Micro gives', () => {
    let settledChannels = 0;
    let refused = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const c = prunedRows(seed);
      const fits =
        seed % 2 ? fastFits(c) : (b: number, m: number, s: number) => fastFits(c)(b, m, s) || roundRequantHolds([b], { multiplier: [m], shift: [s] });
      const r = settleChannels(
        { weights: c.weights, rows: c.rows, rowLength: c.rowLength, bias: c.bias },
        { multiplier: c.multiplier, shift: c.shift, inputOffset: c.inputOffset, outputZeroPoint: c.zp, actMin: c.actMin, actMax: c.actMax },
        fits,
      );
      if (!r) {
        refused++;
        continue;
      }
      for (let row = 0; row < c.rows; row++) {
        const w = c.weights.subarray(row * c.rowLength, (row + 1) * c.rowLength);
        let lo = 0;
        let hi = 0;
        for (const v of w) {
          lo += Math.min(v * (-128 + c.inputOffset), v * (127 + c.inputOffset));
          hi += Math.max(v * (-128 + c.inputOffset), v * (127 + c.inputOffset));
        }
        const changed = r.m.multiplier[row] !== c.multiplier[row] || r.m.shift[row] !== c.shift[row] || r.bias[row] !== c.bias[row];
        if (!changed) continue;
        settledChannels++;
        expect(fits(Math.max(Math.abs(r.bias[row]! + lo), Math.abs(r.bias[row]! + hi)), r.m.multiplier[row]!, r.m.shift[row]!)).to.equal(true);
        for (let d = lo; d <= hi; d++) {
          const want = tflm(c.bias[row]! + d, c.multiplier[row]!, c.shift[row]!, c);
          const got = tflm(r.bias[row]! + d, r.m.multiplier[row]!, r.m.shift[row]!, c);
          if (got !== want) expect.fail(`seed ${seed} row ${row}: accumulator ${c.bias[row]! + d} gives ${got}, TFLite Micro ${want}`);
        }
      }
    }
    // the sweep reaches both outcomes
    expect(settledChannels).to.be.greaterThan(500);
    expect(refused).to.be.greaterThan(10);
  });

  it('refuses a layer with a channel whose outputs take more than two values, and leaves layers that fit alone', () => {
    const fits = (b: number, m: number, s: number) => fastRequantHolds([b], { multiplier: [m], shift: [s] }, 0);
    // a kernel bound of 1000 against accumulators of +-25,500 under a shift of 5: hundreds of outputs
    const small = (b: number) => b < 1000;
    const wide = settleChannels(
      { weights: Int8Array.of(100, -100), rows: 1, rowLength: 2, bias: Int32Array.of(0) },
      { multiplier: [2 ** 30], shift: [-5], inputOffset: 0, outputZeroPoint: 0, actMin: -128, actMax: 127 },
      small,
    );
    expect(wide).to.equal(undefined);
    // the same saturated at both ends by a bias of 2^30: one output, settled
    const saturated = settleChannels(
      { weights: Int8Array.of(100, -100), rows: 1, rowLength: 2, bias: Int32Array.of(2 ** 30) },
      { multiplier: [2 ** 30], shift: [-5], inputOffset: 0, outputZeroPoint: 0, actMin: -128, actMax: 127 },
      fits,
    );
    expect(saturated?.settled).to.equal(1);
    // small accumulators: nothing to settle
    const plain = settleChannels(
      { weights: Int8Array.of(3, 4), rows: 1, rowLength: 2, bias: Int32Array.of(1000) },
      { multiplier: [2 ** 30], shift: [-8], inputOffset: 5, outputZeroPoint: 0, actMin: -128, actMax: 127 },
      fits,
    );
    expect(plain).to.equal(undefined);
    // a pruned channel beside a live one: only the pruned one changes
    const mixed = settleChannels(
      { weights: Int8Array.of(3, 4, 0, 1), rows: 2, rowLength: 2, bias: Int32Array.of(1000, 2 ** 30) },
      { multiplier: [2 ** 30, 1300000000], shift: [-8, -28], inputOffset: 5, outputZeroPoint: -128, actMin: -128, actMax: 127 },
      fits,
    )!;
    expect(mixed.settled).to.equal(1);
    expect([mixed.bias[0], mixed.m.multiplier[0], mixed.m.shift[0]]).to.deep.equal([1000, 2 ** 30, -8]);
    expect(Math.abs(mixed.bias[1]!)).to.be.lessThan(2 ** 16);
  });
});
