// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import logistic from '../../logistic/index.ts';
import tanh from '../../tanh/index.ts';
import { OpError } from '../../../errors.ts';
import { toBytes } from '../../../ir/buffers.ts';
import { writeTflite } from '../../../model/tflite/writer.ts';
import {
  SIGMOID_TABLE_Q16,
  checkedLog2,
  int16ActivationScaling,
  logisticInt16,
  lstmTanhScaling,
  scaleInt16ActivationInput,
  tanhInt16,
} from './sigmoid_int16.ts';
import {
  type CCase,
  compileAndRun,
  evaluateOp,
  firstDifference,
  randomInt16,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../../test/helpers/op_harness.ts';
import { runTfliteInterpreter } from '../../../../../test/helpers/tfjs_tflite.ts';

const graphOf = (kind: 'LOGISTIC' | 'TANH', inScale: number, n = 8, outScale = 2 ** -15) =>
  singleOpGraph(kind, [{ shape: [n], dtype: 'int16', scale: inScale, zeroPoint: 0 }], [{ shape: [n], dtype: 'int16', scale: outScale, zeroPoint: 0 }]);

const defs = { LOGISTIC: logistic, TANH: tanh } as const;

function run(kind: 'LOGISTIC' | 'TANH', inScale: number, input: ArrayLike<number>): number[] {
  const { graph, op } = graphOf(kind, inScale, input.length);
  return Array.from(evaluateOp(defs[kind], graph, op, [Int16Array.from(input)])[0] as Int16Array);
}

describe("int16 LOGISTIC and TANH (TFLite's sigmoid table)", () => {
  describe('the table and the input scaling', () => {
    it('the table is sigmoid(i/24) in Q0.16 to within one step, increasing, from 0.5 to 1', () => {
      expect(SIGMOID_TABLE_Q16).to.have.length(256);
      expect(SIGMOID_TABLE_Q16[0]).to.equal(32768);
      expect(SIGMOID_TABLE_Q16[255]).to.equal(65535);
      SIGMOID_TABLE_Q16.forEach((v, i) => {
        expect(Math.abs(v - 65536 / (1 + Math.exp(-i / 24))), `entry ${i}`).to.be.below(1.5);
        if (i > 0) expect(v).to.be.at.least(SIGMOID_TABLE_Q16[i - 1]!);
      });
    });

    it('power-of-two input scales that land on the table are a multiply by 3 << shift; others get a normalised multiplier', () => {
      expect(int16ActivationScaling('LOGISTIC', 2 ** -12)).to.deep.equal({ multiplier: 3, shift: 0 });
      expect(int16ActivationScaling('TANH', 2 ** -12)).to.deep.equal({ multiplier: 3, shift: 0 });
      expect(int16ActivationScaling('TANH', 2 ** -11)).to.deep.equal({ multiplier: 6, shift: 0 });
      // 2^-11 is no power-of-two case for LOGISTIC: 2^-11 * 12288 = 6 -> doubled 12 times to 24576
      expect(int16ActivationScaling('LOGISTIC', 2 ** -11)).to.deep.equal({ multiplier: 24576, shift: 12 });
      // 0.001 * 12288 = 12.288 -> doubled 11 times: 25165.824 -> 25165
      expect(int16ActivationScaling('TANH', 0.001)).to.deep.equal({ multiplier: 25165, shift: 11 });
      expect(lstmTanhScaling(-12)).to.deep.equal({ multiplier: 3, shift: 0 });
      expect(lstmTanhScaling(-15)).to.deep.equal({ multiplier: 3, shift: 3 });
      expect(checkedLog2(2 ** -15)).to.deep.equal({ log2: -15, exact: true });
      expect(checkedLog2(0.0003).exact).to.equal(false);
    });
  });

  describe("ops, hand-computed at the table's sample points (input scale 2^-12: x * 3 on the table)", () => {
    it('LOGISTIC: sigmoid(0) = 1/2, sigmoid(+-1) from T[24] = 47911, sigmoid(8) still on the table', () => {
      expect(run('LOGISTIC', 2 ** -12, [0, 4096, -4096, 32767, -32768])).to.deep.equal([16384, 23956, 8812, 32757, 11]);
    });
    it('TANH: tanh(0) = 0, tanh(0.5) = 2*T[24]/65536 - 1, saturating past the table', () => {
      expect(run('TANH', 2 ** -12, [0, 2048, -2048, 32767, -32768])).to.deep.equal([0, 15143, -15143, 32767, -32767]);
    });
    it('a general scale (0.001: 4.096 at 4096) rounds onto the table: sigmoid(4.096) = 0.9836, tanh = 0.99945', () => {
      const [s] = run('LOGISTIC', 0.001, [4096]);
      const [t] = run('TANH', 0.001, [4096]);
      expect(Math.abs(s! / 32768 - 1 / (1 + Math.exp(-4.096)))).to.be.below(2 / 32768);
      expect(Math.abs(t! / 32768 - Math.tanh(4.096))).to.be.below(2 / 32768);
    });
    it('requires symmetric int16 with the output scale 2^-15', () => {
      const g = graphOf('LOGISTIC', 2 ** -12, 4, 2 ** -14);
      expect(() => logistic.check(g.graph, g.op)).to.throw(OpError, /int16 output tensor 1 "out1" has scale 0.00006103515625; TFLite requires 2\^-15/);
      const big = graphOf('TANH', 4, 4);
      expect(() => tanh.check(big.graph, big.op)).to.throw(OpError, /too large/);
    });
  });

  it('sigmoid_int16.h agrees with sigmoid_int16.ts on every int16 input under four scalings', () => {
    const scalings = [
      { multiplier: 3, shift: 0 },
      { multiplier: 6, shift: 0 },
      { multiplier: 24576, shift: 12 },
      { multiplier: 3, shift: 3 },
    ];
    const dir = import.meta.dirname;
    const headers = readdirSync(dir)
      .filter((f) => f.endsWith('.h'))
      .sort();
    const program = [
      '#include <stdio.h>',
      ...headers.map((h) => `#include "${join(dir, h)}"`),
      'int main(void) {',
      `  static const int32_t m[${scalings.length}] = { ${scalings.map((s) => s.multiplier).join(', ')} };`,
      `  static const int sh[${scalings.length}] = { ${scalings.map((s) => s.shift).join(', ')} };`,
      `  for (int k = 0; k < ${scalings.length}; ++k) for (int32_t x = -32768; x <= 32767; ++x) {`,
      '    const int32_t scaled = (x * m[k] + (sh[k] > 0 ? 1 << (sh[k] - 1) : 0)) >> sh[k];',
      '    const int16_t r[2] = { tf_logistic_int16(scaled), tf_tanh_int16(scaled) };',
      '    fwrite(r, sizeof r, 1, stdout);',
      '  }',
      '  return 0;',
      '}',
    ].join('\n');
    const c = new Int16Array(compileAndRun(program).slice().buffer);
    let at = 0;
    for (const s of scalings) {
      for (let x = -32768; x <= 32767; x++, at += 2) {
        const scaled = scaleInt16ActivationInput(x, s);
        if (c[at] !== logisticInt16(scaled) || c[at + 1] !== tanhInt16(scaled)) {
          expect.fail(`x=${x} scaling ${JSON.stringify(s)}: C ${c[at]}, ${c[at + 1]}; TS ${logisticInt16(scaled)}, ${tanhInt16(scaled)}`);
        }
      }
    }
  });

  it('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    const rand = rng(2121);
    const cases: CCase[] = [];
    for (const kind of ['LOGISTIC', 'TANH'] as const) {
      for (const scale of [2 ** -12, 2 ** -11, 0.0003, 0.002]) {
        const { graph, op } = graphOf(kind, scale, 300);
        cases.push({ def: defs[kind], graph, op, inputs: [randomInt16(rand, 300)] });
      }
    }
    const results = runCasesInC(cases);
    cases.forEach((c, k) => expect(firstDifference(toBytes(evaluateOp(c.def, c.graph, c.op, c.inputs)[0]!), results[k]![0]!), `case ${k}`).to.equal(undefined));
  });

  describe('desktop TFLite (tfjs-tflite) on models written by our writer', () => {
    const input = randomInt16(rng(94), 400);
    const theirs = async (kind: 'LOGISTIC' | 'TANH', scale: number) => {
      const { graph } = graphOf(kind, scale, 400);
      return new Int16Array((await runTfliteInterpreter(writeTflite(graph), [new Uint8Array(toBytes(input))]))[0]!.slice().buffer);
    };

    it('agrees bit for bit at general input scales (both use the table)', async () => {
      for (const kind of ['LOGISTIC', 'TANH'] as const) {
        for (const scale of [0.0003, 0.002, 2 ** -11]) {
          if (kind === 'TANH' && scale === 2 ** -11) continue; // a power-of-two case for TANH
          expect(firstDifference(run(kind, scale, input), await theirs(kind, scale)), `${kind} scale ${scale}`).to.equal(undefined);
        }
      }
    });

    it("differs by a few steps at power-of-two scales, where desktop TFLite computes gemmlowp's fixed-point function instead", async () => {
      for (const kind of ['LOGISTIC', 'TANH'] as const) {
        const ours = run(kind, 2 ** -12, input);
        const desktop = await theirs(kind, 2 ** -12);
        const diffs = ours.map((v, i) => Math.abs(v - desktop[i]!));
        expect(Math.max(...diffs), kind).to.be.within(1, 12);
      }
    });
  });
});
