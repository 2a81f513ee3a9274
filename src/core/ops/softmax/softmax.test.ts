// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import softmax from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  type TensorSpec,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { goldenCMismatches, goldenReferenceMismatches, layersOfKind } from '../../../../test/helpers/golden_layers.ts';

const OUT8: Omit<TensorSpec, 'shape'> = { scale: 1 / 256, zeroPoint: -128 };
const OUT16: Omit<TensorSpec, 'shape'> = { dtype: 'int16', scale: 1 / 65536, zeroPoint: -32768 };

function graphOf(shape: number[], scale: number, zeroPoint: number, out = OUT8, beta = 1) {
  return singleOpGraph('SOFTMAX', [{ shape, scale, zeroPoint }], [{ shape, ...out }], { beta });
}

function run(shape: number[], scale: number, zeroPoint: number, values: number[], out = OUT8, beta = 1): number[] {
  const { graph, op } = graphOf(shape, scale, zeroPoint, out, beta);
  return Array.from(evaluateOp(softmax, graph, op, [Int8Array.from(values)])[0] as Int8Array);
}

describe('SOFTMAX', () => {
  describe('reference kernel', () => {
    it('is close to the float softmax, quantized to 1/256 with zero point -128', () => {
      const scale = 0.1;
      const q = [1, 2, 3, 4];
      const out = run([1, 4], scale, 3, q);
      const e = q.map((v) => Math.exp(v * scale));
      const sum = e.reduce((a, b) => a + b, 0);
      out.forEach((o, i) => expect(Math.abs((o + 128) / 256 - e[i]! / sum), `element ${i}`).to.be.below(1.5 / 256));
      // hand-checked: 0.2138, 0.2363, 0.2612, 0.2887 of 256, rounded by the fixed-point path
      expect(out).to.deep.equal([-73, -68, -61, -54]);
    });

    it('saturates a dominant element at 127 and sends far smaller ones to -128', () => {
      expect(run([1, 4], 0.5, 0, [127, -128, 0, 0])).to.deep.equal([127, -128, -128, -128]);
    });

    it('gives equal elements equal shares (a quarter each is 64/256)', () => {
      expect(run([1, 4], 0.05, -20, [5, 5, 5, 5])).to.deep.equal([-64, -64, -64, -64]);
      expect(run([1, 2], 0.05, 0, [-128, -128])).to.deep.equal([0, 0]);
    });

    it('works row by row over the last axis', () => {
      const rows = run([2, 3, 2], 0.2, 0, [0, 0, 10, 0, 0, 10, 1, 1, -5, -5, 7, 7]);
      expect(rows.slice(0, 2)).to.deep.equal([0, 0]);
      expect(rows[2]).to.be.greaterThan(rows[3]!);
      expect(rows[4]).to.be.lessThan(rows[5]!);
      expect(rows.slice(6)).to.deep.equal([0, 0, 0, 0, 0, 0]);
    });

    it('honours beta', () => {
      const flat = run([1, 2], 0.1, 0, [10, 0], OUT8, 0.001);
      const sharp = run([1, 2], 0.1, 0, [10, 0], OUT8, 10);
      expect(Math.abs(flat[0]! - flat[1]!)).to.be.at.most(1);
      expect(sharp).to.deep.equal([127, -128]);
    });

    it("takes diff_min from TFLite's input radius; elements below it output -128", () => {
      const { graph, op } = graphOf([1, 3], 1, 0);
      const p = softmax.prepare(graph, op);
      // beta * scale * 2^26 = 2^26 is 2^31 * 2^-5: shift 27, radius floor(31 * 2^26 / 2^27) = 15
      expect(p.inputLeftShift).to.equal(27);
      expect(p.diffMin).to.equal(-15);
      // 0.731 and 0.269 of 256; exp(-15) and the skipped exp(-16) both round to nothing
      expect(run([1, 4], 1, 0, [100, 99, 85, 84])).to.deep.equal([59, -59, -128, -128]);
    });

    it('has an int16 output variant (zero point -32768, scale 1/65536)', () => {
      const { graph, op } = graphOf([1, 4], 0.1, 3, OUT16);
      const out = Array.from(evaluateOp(softmax, graph, op, [Int8Array.from([1, 2, 3, 4])])[0] as Int16Array);
      const e = [1, 2, 3, 4].map((v) => Math.exp(v * 0.1));
      const sum = e.reduce((a, b) => a + b, 0);
      out.forEach((o, i) => expect(Math.abs((o + 32768) / 65536 - e[i]! / sum)).to.be.below(2 / 65536));
    });
    it('gives -128 to a whole int8 row whose sum of exponentials reaches 512 (TFLite Micro would shift by 32), in TS and in C', () => {
      // 600 equal values: each share is 1/600 < 1/512; tflm-ref aborts on its RoundingDivideByPOT
      // assertion here, so the check is against the exact answer (every share under half a step)
      const cases: CCase[] = [];
      for (const [depth, value] of [
        [600, 5],
        [512, -3],
        [1000, 127],
      ] as [number, number][]) {
        const { graph, op } = graphOf([2, depth], 0.05, 3);
        const x = new Int8Array(2 * depth).fill(value);
        x[depth] = 127; // the second row has one dominant element: defined, computed as usual
        const out = evaluateOp(softmax, graph, op, [x])[0] as Int8Array;
        expect(
          Array.from(out.subarray(0, depth)).every((v) => v === -128),
          `depth ${depth}`,
        ).to.equal(true);
        cases.push({ def: softmax, graph, op, inputs: [x] });
      }
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        expect(firstDifference(toBytes(evaluateOp(softmax, cs.graph, cs.op, cs.inputs)[0]!), c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('check', () => {
    const fails = (f: () => unknown, pattern: RegExp) => expect(f).to.throw(OpError, pattern);
    it('rejects an int8 output that is not scale 1/256, zero point -128', () => {
      const { graph, op } = graphOf([1, 4], 0.1, 0, { scale: 1 / 255, zeroPoint: -128 });
      fails(() => softmax.check(graph, op), /scale 1\/256 and zero point -128/);
    });
    it('rejects a float input and a mismatched output shape', () => {
      const f = singleOpGraph('SOFTMAX', [{ shape: [1, 4], dtype: 'float32' }], [{ shape: [1, 4], ...OUT8 }], { beta: 1 });
      // a float input goes to the float32 kernel, which takes float32 outputs only
      fails(() => softmax.check(f.graph, f.op), /is int8; a float32 layer of SOFTMAX takes float32 outputs only/);
      const s = singleOpGraph('SOFTMAX', [{ shape: [1, 4], scale: 0.1, zeroPoint: 0 }], [{ shape: [1, 5], ...OUT8 }], { beta: 1 });
      fails(() => softmax.check(s.graph, s.op), /expected the input's \[1,4\]/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte on random configurations', () => {
      const rand = rng(2024);
      const cases: CCase[] = [];
      for (let k = 0; k < 12; k++) {
        const depth = randomInt(rand, 1, 40);
        const outer = randomInt(rand, 1, 5);
        const scale = [0.004, 0.02, 0.1, 0.5, 2][k % 5]!;
        const zero = randomInt(rand, -128, 127);
        const out = k % 4 === 3 ? OUT16 : OUT8;
        const beta = k % 3 === 2 ? 0.5 + rand() * 3 : 1;
        const { graph, op } = graphOf([outer, depth], scale, zero, out, beta);
        cases.push({ def: softmax, graph, op, inputs: [randomInt8(rand, outer * depth)] });
      }
      // the extremes: all -128, all 127, one 127 among -128
      for (const values of [
        [-128, -128, -128],
        [127, 127, 127],
        [-128, 127, -128],
      ]) {
        const { graph, op } = graphOf([1, 3], 0.1, 0);
        cases.push({ def: softmax, graph, op, inputs: [Int8Array.from(values)] });
      }
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(softmax, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('golden activations (TFLite Micro)', () => {
    for (const model of ['micro_speech', 'person_detect']) {
      it(`reproduces the SOFTMAX of ${model} on all 4 cases, in TS and in C`, function () {
        if (!sharedModelsAvailable(this)) return;
        const ts = goldenReferenceMismatches(softmax, model);
        expect(ts.runs).to.equal(4);
        expect(ts.mismatches).to.deep.equal([]);
        const c = goldenCMismatches(softmax, model, layersOfKind(model, 'SOFTMAX'), [0, 1, 2, 3]);
        expect(c.runs).to.equal(4);
        expect(c.mismatches).to.deep.equal([]);
      });
    }
  });

  describe('against TFLite Micro (tflm-ref), on models written by our writer', () => {
    it('agrees byte for byte on random shapes, scales over decades, zero points, betas, int8 and int16 outputs', function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(31);
      const cases: Omit<CCase, 'def'>[] = [];
      for (let k = 0; k < 80; k++) {
        const rank = randomInt(rand, 1, 4);
        const shape = Array.from({ length: rank }, (_, i) => (i === rank - 1 ? randomInt(rand, 1, 40) : randomInt(rand, 1, 3)));
        const beta = [1, 1, 0.5, 2, 0.1, 5, 0.5 + rand() * 3][k % 7]!;
        // scales from 1e-4 to 7, kept where beta·scale·2^26 exceeds 1 (TFLite's requirement)
        let scale = Math.exp(-9 + rand() * 11);
        while (!(scale * beta > 1e-5)) scale *= 10;
        const { graph, op } = graphOf(shape, scale, randomInt(rand, -128, 127), k % 5 === 4 ? OUT16 : OUT8, beta);
        cases.push({
          graph,
          op,
          inputs: [
            randomInt8(
              rand,
              shape.reduce((a, b) => a * b, 1),
            ),
          ],
        });
      }
      for (const values of [
        [-128, -128, -128],
        [127, 127, 127],
        [-128, 127, -128],
      ]) {
        const { graph, op } = graphOf([1, 3], 0.1, 0);
        cases.push({ graph, op, inputs: [Int8Array.from(values)] });
      }
      // long rows (classifiers of 1000 classes), sums of exponentials below 512
      for (const [depth, scale] of [
        [1001, 0.1],
        [4000, 0.05],
        [300, 2],
      ] as [number, number][]) {
        const { graph, op } = graphOf([2, depth], scale, 3);
        cases.push({ graph, op, inputs: [randomInt8(rand, 2 * depth)] });
      }
      expectTflmAgrees(softmax, cases);
    });
  });
});
