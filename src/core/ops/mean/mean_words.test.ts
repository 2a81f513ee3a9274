// SPDX-License-Identifier: Apache-2.0
/**
 * MEAN's word variants (words.ts, mean_words.h) for the Arm DSP, Armv6-M and RV32 families: the
 * emitted C, on the host (gcc, ASan+UBSan; the DSP instructions through arm_dsp.h's C twins), equals the
 * reference kernel (checked against tflm-ref in mean.test.ts) on random reductions: spatial means of
 * [N,H,W,C] (windows past 256 taps, where the 16-bit lanes are emptied mid-sum), [N,T,C] over T, and
 * random_cases' random reductions (most keep the portable kernel), with scales over decades, zero
 * points at the int8 ends and all-extreme data.
 */
import { expect } from 'chai';
import mean from './index.ts';
import { type CCase, randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, reduceGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomReduction } from '../../../../test/helpers/random_cases.ts';
import type { KernelIsa } from '../op.ts';
import { selectVariant } from '../variant.ts';

const FAMILIES: [string, KernelIsa][] = [
  ['arm-dsp', { dsp: true }],
  ['armv6m', { dsp: false, armv6m: true }],
  ['rv32', { dsp: false, rv32: true }],
];

function spatialReduction(rand: () => number): { in: number[]; axes: number[]; keepDims: boolean; out: number[] } {
  const keepDims = rand() < 0.5;
  const n = rand() < 0.8 ? 1 : 2;
  const c = rand() < 0.5 ? 4 * randomInt(rand, 1, 16) : randomInt(rand, 1, 50);
  if (rand() < 0.25) {
    const t = randomInt(rand, 1, 600);
    return { in: [n, t, c], axes: [1], keepDims, out: keepDims ? [n, 1, c] : [n, c] };
  }
  const h = randomInt(rand, 1, rand() < 0.3 ? 24 : 8);
  const w = rand() < 0.7 ? h : randomInt(rand, 1, 12);
  return { in: [n, h, w, c], axes: rand() < 0.5 ? [1, 2] : [2, -3], keepDims, out: keepDims ? [n, 1, 1, c] : [n, c] };
}

function randomCases(seed: number, isa: KernelIsa, n: number): { cases: CCase[]; words: number } {
  const rand = rng(seed);
  const cases: CCase[] = [];
  let words = 0;
  while (cases.length < n) {
    const r = rand() < 0.7 ? spatialReduction(rand) : randomReduction(rand);
    const qi = extremeQ(rand, -10, 3);
    const qo = rand() < 0.35 ? qi : extremeQ(rand, -10, 3);
    const { graph, op } = reduceGraph('MEAN', r.in, r.axes, r.out, qi, qo, r.keepDims);
    try {
      mean.check(graph, op);
    } catch {
      continue;
    }
    if (selectVariant(mean, mean.prepare(graph, op), isa).name.endsWith('words')) words++;
    const count = r.in.reduce((a, b) => a * b, 1);
    cases.push({ def: mean, graph, op, inputs: [extremeInt8(rand, count, qi.zeroPoint)], isa });
  }
  return { cases, words };
}

/** Reductions over one contiguous run per output: the channels (trailing axes), or everything to a scalar. */
function runReduction(rand: () => number): { in: number[]; axes: number[]; keepDims: boolean; out: number[] } {
  const keepDims = rand() < 0.5;
  const n = randomInt(rand, 1, 3);
  const h = randomInt(rand, 1, 9);
  const w = randomInt(rand, 1, 9);
  // runs past 512 elements empty the 16-bit lanes mid-sum; odd lengths leave head and tail bytes
  const c = rand() < 0.3 ? randomInt(rand, 200, 3000) : randomInt(rand, 1, 80);
  const r = rand();
  if (r < 0.45) return { in: [n, h, w, c], axes: rand() < 0.5 ? [3] : [-1], keepDims, out: keepDims ? [n, h, w, 1] : [n, h, w] };
  if (r < 0.6) return { in: [n, h, w, c], axes: [2, 3], keepDims, out: keepDims ? [n, h, 1, 1] : [n, h] };
  if (r < 0.8) return { in: [n, h, w, c], axes: [0, 1, 2, 3], keepDims, out: keepDims ? [1, 1, 1, 1] : [] };
  return { in: [n, c], axes: [0, 1], keepDims, out: keepDims ? [1, 1] : [] };
}

describe('MEAN word variants', () => {
  for (const [family, isa] of FAMILIES) {
    it(`${family}: the runs variant equals the reference on random channel and whole-tensor means`, function () {
      const rand = rng(family.length * 7919);
      const cases: CCase[] = [];
      while (cases.length < 50) {
        const r = runReduction(rand);
        const qi = extremeQ(rand, -10, 3);
        const qo = rand() < 0.35 ? qi : extremeQ(rand, -10, 3);
        const { graph, op } = reduceGraph('MEAN', r.in, r.axes, r.out, qi, qo, r.keepDims);
        try {
          mean.check(graph, op);
        } catch {
          continue;
        }
        const p = mean.prepare(graph, op);
        // a run of one element per output (c = 1) merges into the kept loops: the portable copy
        if (p.layout.inner.length === 0) continue;
        expect(selectVariant(mean, p, isa).name, JSON.stringify(r)).to.equal(`${family} runs`);
        const count = r.in.reduce((a, b) => a * b, 1);
        cases.push({ def: mean, graph, op, inputs: [extremeInt8(rand, count, qi.zeroPoint)], isa });
      }
      expectCMatchesReference(cases);
    });
  }

  for (const [family, isa] of FAMILIES) {
    it(`${family}: equals the reference on random spatial means and random reductions`, function () {
      const { cases, words } = randomCases(family.length * 104729, isa, 60);
      expect(words, 'cases on the word variant').to.be.greaterThan(30);
      expectCMatchesReference(cases);
    });
  }
});
