// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import softmax from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { softmaxInt16Tables } from './softmax_int16.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt16, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { runTfliteInterpreter } from '../../../../test/helpers/tfjs_tflite.ts';

function smGraph(shape: number[], inScale: number, beta = 1, outScale = 1 / 32768) {
  return singleOpGraph('SOFTMAX', [{ shape, dtype: 'int16', scale: inScale, zeroPoint: 0 }], [{ shape, dtype: 'int16', scale: outScale, zeroPoint: 0 }], {
    beta,
  });
}

function run(g: ReturnType<typeof smGraph>, input: ArrayLike<number>): number[] {
  return Array.from(evaluateOp(softmax, g.graph, g.op, [Int16Array.from(input)])[0] as Int16Array);
}

describe('SOFTMAX 16x8 (int16 in and out)', () => {
  describe('reference kernel', () => {
    it("uses TFLite's 513-entry tables: exp over [-10, 0] and 1/(1+x) over [0, 1], in [-1, 1] as int16", () => {
      const { exp, reciprocal } = softmaxInt16Tables();
      expect([exp.length, reciprocal.length]).to.deep.equal([513, 513]);
      expect(exp[512]).to.equal(32767); // exp(0) * 32768 clamps
      expect(reciprocal[0]).to.equal(32767);
      expect(reciprocal[512]).to.equal(16384);
      for (let i = 0; i < 512; i++) {
        expect(Math.abs(exp[i]! - Math.exp(-10 + (10 * i) / 512) * 32768), `exp[${i}]`).to.be.at.most(1.5);
        expect(Math.abs(reciprocal[i]! - 32768 / (1 + i / 512)), `1/(1+x)[${i}]`).to.be.at.most(1.5);
      }
    });

    it('equal inputs share the probability; a far maximum takes all of it', () => {
      expect(run(smGraph([1, 4], 0.001), [100, 100, 100, 100])).to.deep.equal([8192, 8192, 8192, 8192]);
      expect(run(smGraph([2, 2], 0.001), [-5000, -5000, 7, 7])).to.deep.equal([16384, 16384, 16384, 16384]);
      const far = run(smGraph([1, 3], 0.01), [20000, 0, -20000]);
      expect(far[0]).to.be.within(32760, 32767);
      // differences past -10 read the table's first entry: a floor of 2/32768, not 0
      expect(far.slice(1)).to.deep.equal([2, 2]);
    });

    it('is within 1/1000 of the real softmax (beta and input scale folded in)', () => {
      const rand = rng(5);
      for (const [scale, beta] of [
        [0.0005, 1],
        [0.001, 2],
        [0.0002, 0.5],
      ] as const) {
        const x = randomInt16(rand, 10, -8000, 8000);
        const got = run(smGraph([1, 10], scale, beta), x);
        const e = Array.from(x, (v) => Math.exp(beta * scale * v));
        const total = e.reduce((a, b) => a + b, 0);
        got.forEach((g, i) => expect(Math.abs(g / 32768 - e[i]! / total), `element ${i}`).to.be.below(1 / 1000));
      }
    });

    it('requires the output scale 1/32768 and zero point 0', () => {
      const g = smGraph([1, 4], 0.001, 1, 1 / 256);
      expect(() => softmax.check(g.graph, g.op)).to.throw(OpError, /scale 0.00390625; TFLite requires 1\/32768/);
    });
  });

  const randomLayers = (seed: number) => {
    const rand = rng(seed);
    return [
      [1, 10],
      [3, 7],
      [2, 2, 33],
      [1, 1],
    ].map((shape, k) => {
      const g = smGraph(shape, 0.0001 + rand() * 0.002, [1, 0.5, 2, 1][k]!);
      return {
        ...g,
        inputs: [
          randomInt16(
            rand,
            shape.reduce((a, b) => a * b, 1),
            -randomInt(rand, 100, 32768),
            32767,
          ),
        ],
      };
    });
  };

  it('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    const cases: CCase[] = randomLayers(2020).map((l) => ({ def: softmax, ...l }));
    const results = runCasesInC(cases);
    cases.forEach((c, k) =>
      expect(firstDifference(toBytes(evaluateOp(softmax, c.graph, c.op, c.inputs)[0]!), results[k]![0]!), `case ${k}`).to.equal(undefined),
    );
  });

  it('desktop TFLite (tfjs-tflite) gives the same outputs on models written by our writer', async () => {
    for (const [k, l] of randomLayers(95).entries()) {
      const theirs = await runTfliteInterpreter(
        writeTflite(l.graph),
        l.inputs.map((b) => new Uint8Array(toBytes(b))),
      );
      expect(firstDifference(toBytes(evaluateOp(softmax, l.graph, l.op, l.inputs)[0]!), theirs[0]!), `layer ${k}`).to.equal(undefined);
    }
  });
});
