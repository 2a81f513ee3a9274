// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { parseTflite } from '../../model/tflite/reader.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { prepareGraph } from '../prepare.ts';
import { interpret } from '../interpreter.ts';
import { runTflmRef, tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { PROJECT_ROOT } from '../../../../test/helpers/cli.ts';
import lstm, { type LstmParams } from './index.ts';
import { pairedWeights } from './dsp.ts';
import { pairLanes } from './pairs.ts';
import { type LstmSpec, lstmGraph, zeroState } from '../../../../test/helpers/lstm_cases.ts';
import type { KernelIsa } from '../op.ts';
import { TinyforgeError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import { fromBytes, toBytes } from '../../ir/buffers.ts';
import { logisticInt16, tanhInt16 } from '../common/numerics/sigmoid_int16.ts';
import { type CCase, compileAndRun, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC } from '../../../../test/helpers/op_harness.ts';
import { recordedOutput, sharedGraph } from '../../../../test/helpers/golden_layers.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { sharedFile, goldenActivation, goldenCases, sharedModelsAvailable } from '../../../../test/helpers/shared.ts';

/** Runs the reference kernel; returns the output and the states it leaves behind. */
function runLstm(graph: Graph, op: Op, input: Int8Array, state = zeroState(graph, op)) {
  const output = evaluateOp(lstm, graph, op, [input, ...state])[0] as Int8Array;
  return { output, hidden: state[0] as Int8Array, cell: state[1] as Int16Array, state };
}

const userError = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof TinyforgeError) return e.message;
    throw e;
  }
  throw new Error('expected a TinyforgeError');
};

const ARMV6M: KernelIsa = { dsp: false, armv6m: true };
const RV32: KernelIsa = { dsp: false, rv32: true };
function variantName(isa: KernelIsa | undefined): string {
  return !isa ? 'portable' : isa.armv6m ? 'Armv6-M variant, C twins' : isa.rv32 ? 'RV32 variant' : 'Arm DSP variant, C twins';
}

describe('UNIDIRECTIONAL_SEQUENCE_LSTM', () => {
  describe("int16 gate activations (TFLite's sigmoid table)", () => {
    it('sigmoid and tanh of Q3.12 values (multiplied by 3 onto the table) match hand-worked table reads', () => {
      // sigmoid(0) = 0.5, sigmoid(1) = T[24]/2 = 47911/2 -> Q0.15 23956 (rounded up), sigmoid(2) = T[48]/2 = 57724/2 -> 28862
      expect(logisticInt16(0)).to.equal(16384);
      expect(logisticInt16(4096 * 3)).to.equal(23956);
      expect(logisticInt16(8192 * 3)).to.equal(28862);
      expect(logisticInt16(-4096 * 3)).to.equal(32768 - 23956);
      // tanh(0.5) = 2*T[24]/65536 - 1 -> 15143; tanh(0) = 0; saturation at +-1
      expect(tanhInt16(2048 * 3)).to.equal(15143);
      expect(tanhInt16(0)).to.equal(0);
      expect(tanhInt16(32767 * 3)).to.equal(32767);
      expect(tanhInt16(-32768 * 3)).to.equal(-32767);
      // sigmoid(8) = 0.99966 is still inside the table; past its end (index 255) the output saturates
      expect(logisticInt16(32767 * 3)).to.equal(32757);
      expect(logisticInt16(255 * 512)).to.equal(32767);
      expect(logisticInt16(-255 * 512)).to.equal(1);
    });

    it('stay within 1/256 of the real functions over the Q3.12 range', () => {
      for (let q = -32768; q < 32768; q += 7) {
        const x = q / 4096;
        expect(Math.abs(logisticInt16(q * 3) / 32768 - 1 / (1 + Math.exp(-x))), `sigmoid(${x})`).to.be.below(1 / 256);
        expect(Math.abs(tanhInt16(q * 3) / 32768 - Math.tanh(x)), `tanh(${x})`).to.be.below(1 / 256);
      }
    });
  });

  it("the variants' gate activations (sigmoid_int16.h's tf_lstm_sigmoid3, tf_lstm_tanh) equal tf_logistic_int16 and tf_tanh_int16 for every gate input and a wide range of cell values (C)", () => {
    const out = compileAndRun(
      [
        '#include <stdint.h>',
        '#include <stdio.h>',
        `#include "${join(import.meta.dirname, '../common/numerics/sigmoid_int16.h')}"`,
        'int main(void) {',
        '  long bad = 0;',
        '  for (int32_t pre = -32768; pre <= 32767; ++pre) bad += tf_lstm_sigmoid3(pre) != tf_logistic_int16(3 * pre);',
        '  for (int32_t x = -(1 << 21); x <= (1 << 21); ++x) bad += tf_lstm_tanh(x) != tf_tanh_int16(x);',
        '  printf("%ld", bad);',
        '  return 0;',
        '}',
      ].join('\n'),
      [],
    );
    expect(new TextDecoder().decode(out)).to.equal('0');
  });

  describe('reference kernel', () => {
    // One unit, one input, x at its zero point: every gate pre-activation is its bias, because
    // s_in * s_w = 2^-12 makes the FC an identity onto Q3.12 (and h starts at its zero point, as TFLite
    // Micro resets it). Gates: i = f = sigmoid(1) = 23956, g = tanh(0.5) = 15143, o = sigmoid(2) = 28862
    // (Q0.15). Cell scale 2^-11: c = i*g * 2^-30 / 2^-11 = 362765708 / 2^19 -> 692 (0.3379). Hidden scale 2^-7:
    // tanh(c): 692 * 6 on the table (index 16, fraction 56) -> 10669; h = 10669 * 28862 / 2^23 -> 37.
    const handSpec: LstmSpec = {
      batches: 1,
      steps: 1,
      inputSize: 1,
      units: 1,
      inScale: 2 ** -6,
      inZp: 3,
      hScale: 2 ** -7,
      hZp: 5,
      cellPower: -11,
      wScales: [2 ** -6, 2 ** -6, 2 ** -6, 2 ** -6, 0.01, 0.01, 0.01, 0.01],
      weights: [[7], [-7], [100], [1], [5], [6], [7], [8]].map((w) => Int8Array.from(w)),
      biases: [[4096], [4096], [2048], [8192]].map((b) => Int32Array.from(b)),
    };

    it('one step of a one-unit LSTM, worked by hand', () => {
      const { graph, op } = lstmGraph(handSpec);
      const { output, hidden, cell } = runLstm(graph, op, Int8Array.from([3]));
      expect(Array.from(cell)).to.deep.equal([692]);
      expect(Array.from(hidden)).to.deep.equal([37 + 5]);
      expect(Array.from(output)).to.deep.equal([42]);
    });

    it('the forget gate keeps f*c of the previous cell state; clipping bounds the cell', () => {
      const { graph, op } = lstmGraph({ ...handSpec, steps: 2 });
      // step 2: c = sat(f*c * 2^-15) + i*g: 23956 * 692 / 2^15 -> 506 (0.7311 * 0.3379 = 0.2470 -> 505.9),
      // plus the step-1 product 692 again when h adds nothing: h - z = 37 moves the gates, so compare
      // with a hidden state that stays at its zero point instead (recurrent weights 0)
      const still = lstmGraph({ ...handSpec, steps: 2, weights: [[7], [-7], [100], [1], [0], [0], [0], [0]].map((w) => Int8Array.from(w)) });
      const run2 = runLstm(still.graph, still.op, Int8Array.from([3, 3]));
      expect(Array.from(run2.cell)).to.deep.equal([506 + 692]);
      const clipped = lstmGraph({ ...handSpec, steps: 2, cellClip: 0.5, weights: [[7], [-7], [100], [1], [0], [0], [0], [0]].map((w) => Int8Array.from(w)) });
      expect(Array.from(runLstm(clipped.graph, clipped.op, Int8Array.from([3, 3])).cell)).to.deep.equal([1024]);
      // the recurrent path changes step 2 when h has moved
      expect(Array.from(runLstm(graph, op, Int8Array.from([3, 3])).cell)[0]).to.not.equal(506 + 692);
    });

    it('state persists across calls and equals one longer sequence; batches are independent', () => {
      const spec: LstmSpec = { batches: 2, steps: 3, inputSize: 5, units: 4, hZp: -3, inZp: 7, seed: 5 };
      const rand = rng(9);
      const x = randomInt8(rand, 2 * 6 * 5);
      const long = lstmGraph({ ...spec, steps: 6 });
      const whole = runLstm(long.graph, long.op, x);
      // the same sequence in two halves of 3 steps, state carried over
      const half = lstmGraph(spec);
      const halves = (b: number, part: number) => x.slice((b * 6 + part * 3) * 5, (b * 6 + part * 3 + 3) * 5);
      const first = runLstm(half.graph, half.op, Int8Array.from([...halves(0, 0), ...halves(1, 0)]));
      const second = runLstm(half.graph, half.op, Int8Array.from([...halves(0, 1), ...halves(1, 1)]), first.state);
      const rows = (o: Int8Array, b: number, from: number, n: number) =>
        Array.from(o.slice((b * (n === 3 ? 3 : 6) + from) * 4, (b * (n === 3 ? 3 : 6) + from + 3) * 4));
      for (const b of [0, 1]) {
        expect(rows(first.output, b, 0, 3), `batch ${b} first half`).to.deep.equal(rows(whole.output, b, 0, 6));
        expect(rows(second.output, b, 0, 3), `batch ${b} second half`).to.deep.equal(rows(whole.output, b, 3, 6));
      }
      expect(Array.from(second.hidden)).to.deep.equal(Array.from(whole.hidden));
      expect(Array.from(second.cell)).to.deep.equal(Array.from(whole.cell));
      // batch 1 alone gives batch 1's rows
      const single = lstmGraph({ ...spec, batches: 1, steps: 6 });
      expect(Array.from(runLstm(single.graph, single.op, x.slice(30)).output)).to.deep.equal(Array.from(whole.output.slice(24)));
    });

    it('time-major input gives the batch-major result, transposed', () => {
      const spec: LstmSpec = { batches: 3, steps: 4, inputSize: 2, units: 3, seed: 11, hZp: 10 };
      const x = randomInt8(rng(2), 3 * 4 * 2);
      const bm = lstmGraph(spec);
      const tm = lstmGraph({ ...spec, timeMajor: true });
      const xT = new Int8Array(x.length);
      for (let b = 0; b < 3; b++) for (let t = 0; t < 4; t++) for (let k = 0; k < 2; k++) xT[(t * 3 + b) * 2 + k] = x[(b * 4 + t) * 2 + k]!;
      const outB = runLstm(bm.graph, bm.op, x).output;
      const outT = runLstm(tm.graph, tm.op, xT).output;
      for (let b = 0; b < 3; b++)
        for (let t = 0; t < 4; t++) {
          expect(Array.from(outT.slice((t * 3 + b) * 3, (t * 3 + b) * 3 + 3))).to.deep.equal(Array.from(outB.slice((b * 4 + t) * 3, (b * 4 + t) * 3 + 3)));
        }
    });

    it("prepares TFLite Micro's multipliers: the forget product is exactly 2^-15, the cell tanh scaling follows the cell scale", () => {
      const { graph, op } = lstmGraph({ batches: 1, steps: 1, inputSize: 2, units: 2, cellPower: -16, cellClip: 3 });
      const p = lstm.prepare(graph, op) as LstmParams;
      expect([p.forgetMultiplier, p.forgetShift]).to.deep.equal([2 ** 30, -14]);
      expect(p.cellTanh).to.deep.equal({ multiplier: 3, shift: 4 });
      expect(p.cellClip).to.equal(32767); // 3 / 2^-16 saturates
      const q = lstm.prepare(
        ...(Object.values(lstmGraph({ batches: 1, steps: 1, inputSize: 2, units: 2, cellPower: -10, cellClip: 3 })) as [Graph, Op]),
      ) as LstmParams;
      expect(q.cellTanh).to.deep.equal({ multiplier: 3 << 2, shift: 0 });
      expect(q.cellClip).to.equal(3072);
    });
  });

  describe("rejects what TFLite Micro's integer LSTM does not run", () => {
    const base: LstmSpec = { batches: 1, steps: 2, inputSize: 3, units: 2 };
    it('peephole, projection, layer norm, CIFG, non-variable state, float cell, non power-of-two cell scale', () => {
      const mutate = (f: (g: Graph, op: Op) => void) => {
        const { graph, op } = lstmGraph(base);
        f(graph, op);
        return userError(() => lstm.check(graph, op));
      };
      expect(
        mutate((g, op) => {
          op.inputs[10] = op.inputs[6]!;
        }),
      ).to.match(/op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): peephole weights \(input 10\) are not supported/);
      expect(
        mutate((g, op) => {
          op.inputs[16] = op.inputs[6]!;
        }),
      ).to.match(/projection \(input 16\)/);
      expect(
        mutate((g, op) => {
          op.inputs[21] = op.inputs[6]!;
        }),
      ).to.match(/layer norm coefficients \(input 21\)/);
      expect(
        mutate((g, op) => {
          op.inputs[1] = -1;
        }),
      ).to.match(/CIFG/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[19]!]!.isVariable = false;
        }),
      ).to.match(/cell state tensor \d+ "cell_state" is not a variable tensor/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[19]!]!.quant!.scale = [0.0003];
        }),
      ).to.match(/power of two/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[19]!]!.dtype = 'int8';
        }),
      ).to.match(/needs an int16 cell state/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[2]!]!.quant = { scale: [0.1, 0.1], zeroPoint: [0, 0], axis: 0 };
        }),
      ).to.match(/per channel/);
      expect(
        mutate((g, op) => {
          op.attrs.activation = 'RELU';
        }),
      ).to.match(/cell gate activation RELU/);
      expect(
        mutate((g, op) => {
          op.inputs.pop();
        }),
      ).to.match(/expected 24 inputs/);
    });
  });

  describe('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    for (const isa of [undefined, { dsp: true }, ARMV6M, RV32]) {
      it(`random layers: batch- and time-major, zero points, clipping, cell scales 2^-16..2^-9 (${variantName(isa)})`, () => {
        randomLayersMatch(isa);
      });
    }

    for (const isa of [{ dsp: true }, ARMV6M, RV32])
      it(`the ${variantName(isa)}: sizes not a multiple of 4, odd unit counts, large weights and biases (exact requantization), states carried over`, () => {
        const rand = rng(77);
        const specs: LstmSpec[] = [
          { batches: 1, steps: 3, inputSize: 1, units: 1, inZp: -128, hZp: 3, seed: 21 },
          { batches: 2, steps: 4, inputSize: 5, units: 3, inZp: 9, hZp: -7, cellPower: -10, cellClip: 2, seed: 22 },
          { batches: 2, steps: 3, inputSize: 9, units: 6, timeMajor: true, inZp: -3, hZp: 100, cellPower: -14, seed: 23 },
          {
            batches: 1,
            steps: 2,
            inputSize: 30,
            units: 7,
            inZp: 50,
            hZp: -128,
            inScale: 0.5,
            hScale: 0.5,
            wScales: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
            seed: 24,
            biases: [0, 1, 2, 3].map(() => Int32Array.from({ length: 7 }, () => randomInt(rand, -2e9, 2e9))),
          },
        ];
        const cases: CCase[] = specs.map((s) => {
          const { graph, op } = lstmGraph(s);
          const x = randomInt8(rand, elementCount(graph.tensors[op.inputs[0]!]!.shape));
          const state = zeroState(graph, op);
          // a state that is not the reset one
          (state[0] as Int8Array).set(randomInt8(rand, state[0]!.length));
          (state[1] as Int16Array).set(Int16Array.from({ length: state[1]!.length }, () => randomInt(rand, -32768, 32767)));
          return { def: lstm, graph, op, inputs: [x, ...state], isa };
        });
        const results = runCasesInC(cases);
        cases.forEach((c, k) => {
          const state = c.inputs.slice(1).map((b) => b.slice());
          const expected = toBytes(evaluateOp(lstm, c.graph, c.op, [c.inputs[0]!, ...state])[0]!);
          expect(firstDifference(expected, results[k]![0]!), `case ${k} output`).to.equal(undefined);
        });
      });

    function randomLayersMatch(isa: KernelIsa | undefined): void {
      const rand = rng(2024);
      const specs: LstmSpec[] = [
        { batches: 1, steps: 5, inputSize: 6, units: 4, inZp: -128, hZp: 0, cellPower: -11, cellClip: 0, seed: 1 },
        { batches: 2, steps: 4, inputSize: 3, units: 5, inZp: 17, hZp: -20, cellPower: -16, cellClip: 1.5, seed: 2 },
        { batches: 3, steps: 3, inputSize: 7, units: 2, timeMajor: true, inZp: 127, hZp: 127, cellPower: -9, cellClip: 0, seed: 3 },
        { batches: 1, steps: 8, inputSize: 4, units: 8, inZp: 0, hZp: -128, cellPower: -12, cellClip: 10, hScale: 0.05, inScale: 0.1, seed: 4 },
      ];
      const cases: CCase[] = specs.map((s) => {
        const { graph, op } = lstmGraph(s);
        const x = randomInt8(rand, elementCount(graph.tensors[op.inputs[0]!]!.shape));
        return { def: lstm, graph, op, inputs: [x, ...zeroState(graph, op)], isa };
      });
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const expected = toBytes(evaluateOp(lstm, c.graph, c.op, [c.inputs[0]!, ...zeroState(c.graph, c.op)])[0]!);
        expect(firstDifference(expected, results[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    }
  });

  describe("the Arm DSP variant's paired weights (unidirectional_sequence_lstm_dsp.h)", function () {
    /** weights where every row pairs but the first recurrent matrix holds a -128 beside a negative weight */
    function unpairable(units: number, inputSize: number, seed: number): Int8Array[] {
      const rand = rng(seed);
      const weights = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => randomInt8(rand, units * (k < 4 ? inputSize : units), -127, 127));
      weights[4]![0] = -5;
      weights[4]![1] = -128;
      return weights;
    }
    /** the largest weights a row can hold and still pair: 256 * sum |w| max|x - d| just below 2^31 */
    function largest(units: number, inputSize: number): Int8Array[] {
      return [0, 1, 2, 3, 4, 5, 6, 7].map((k) => Int8Array.from({ length: units * (k < 4 ? inputSize : units) }, (_, j) => (j % 3 === 0 ? -127 : 127)));
    }

    it('pair every int8 row whose lanes fit int16 and whose bound fits int32; the rest take the streaming form', () => {
      expect(pairedWeights([Int8Array.from([1, -128, 3, 4])], 1, 4)).to.deep.equal([1, -128, 3, 4]);
      // 256 * (-128) + (-1) leaves int16
      expect(pairedWeights([Int8Array.from([-1, -128, 0, 0])], 1, 4)).to.equal(undefined);
      // 256 * (-1) + 255: the low byte is w0's, the high byte w1 - 1 when w0 < 0
      expect(pairedWeights([Int8Array.from([-1, 1, 0, 0])], 1, 4)).to.deep.equal([-1, 0, 0, 0]);
      // columns past the row are 0
      expect(pairedWeights([Int8Array.from([5, 6, 7])], 1, 3)).to.deep.equal([5, 6, 7, 0]);
      // 127 in every column: 127 * (128 + 255) per pair of columns; 173 pairs pass (2^31 - 1) / 256, 172 do not
      expect(pairedWeights([new Int8Array(344).fill(127)], 1, 344)).to.not.equal(undefined);
      expect(pairedWeights([new Int8Array(346).fill(127)], 1, 346)).to.equal(undefined);
    });

    it('the paired form, and the streaming form where weights do not pair, equal the reference (C twins, ASan+UBSan)', () => {
      const rand = rng(515);
      const specs: LstmSpec[] = [
        // 1 + 2 + 4 words of inputs, 1 + 2 words of hidden values plus a tail
        { batches: 2, steps: 4, inputSize: 27, units: 11, inZp: -128, hZp: -1, cellPower: -11, cellClip: 10, seed: 31 },
        { batches: 1, steps: 3, inputSize: 16, units: 4, timeMajor: true, inZp: 127, hZp: -128, cellPower: -14, seed: 32 },
        // the largest weights that pair, against inputs at both ends of int8
        { batches: 1, steps: 3, inputSize: 340, units: 4, inZp: -128, hZp: 127, seed: 33, weights: largest(4, 340) },
        // not paired: a -128 beside a negative weight; rows past the bound
        { batches: 1, steps: 3, inputSize: 10, units: 5, inZp: 3, hZp: -4, seed: 34, weights: unpairable(5, 10, 34) },
        { batches: 1, steps: 2, inputSize: 400, units: 4, inZp: -100, hZp: 5, seed: 35, weights: largest(4, 400) },
      ];
      const cases: CCase[] = specs.map((s) => {
        const { graph, op } = lstmGraph(s);
        const n = elementCount(graph.tensors[op.inputs[0]!]!.shape);
        const x = s.inputSize >= 300 ? Int8Array.from({ length: n }, (_, j) => (j % 2 ? -128 : 127)) : randomInt8(rand, n);
        const state = zeroState(graph, op);
        (state[0] as Int8Array).set(randomInt8(rand, state[0]!.length));
        (state[1] as Int16Array).set(Int16Array.from({ length: state[1]!.length }, () => randomInt(rand, -32768, 32767)));
        return { def: lstm, graph, op, inputs: [x, ...state], isa: { dsp: true } };
      });
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const state = c.inputs.slice(1).map((b) => b.slice());
        const expected = toBytes(evaluateOp(lstm, c.graph, c.op, [c.inputs[0]!, ...state])[0]!);
        expect(firstDifference(expected, results[k]![0]!), `case ${k} output`).to.equal(undefined);
      });
    });

    describe('on the emulated Cortex-M4 (QEMU mps2-an386)', function () {
      let dir: string;
      before(function () {
        requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
        dir = mkdtempSync(join(tmpdir(), 'tinyforge-lstm-dsp-'));
      });
      after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      for (const [name, spec] of [
        ['lstm_pairs', { batches: 2, steps: 5, inputSize: 27, units: 11, inZp: -128, hZp: -1, cellPower: -11, cellClip: 10, seed: 41 }],
        ['lstm_pairs_large', { batches: 1, steps: 3, inputSize: 340, units: 4, inZp: 20, hZp: 127, seed: 42, weights: largest(4, 340) }],
        ['lstm_unpaired', { batches: 1, steps: 3, inputSize: 10, units: 5, inZp: 3, hZp: -4, seed: 43, weights: unpairable(5, 10, 43) }],
      ] as [string, LstmSpec][]) {
        it(`${name}: ${spec.inputSize} inputs, ${spec.units} units, bit-exact with the reference (inputs at the int8 extremes too)`, async () => {
          const { graph } = lstmGraph(spec);
          graph.name = name;
          const compiled = compileGraph(graph, `${name}.tflite`, { isa: loadTarget('cortex-m4').isa });
          expect(compiled.prepared.layers.map((l) => l.variant.name)).to.deep.equal(['arm-dsp']);
          await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed: 6, extremes: true });
        });
      }
    });
  });

  describe('the Arm MVE variant on the emulated Cortex-M55 (QEMU mps3-an547)', function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-lstm-mve-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const extreme = (units: number, inputSize: number) =>
      [0, 1, 2, 3, 4, 5, 6, 7].map((k) => Int8Array.from({ length: units * (k < 4 ? inputSize : units) }, (_, j) => (j % 3 === 0 ? -128 : 127)));
    // units not multiples of 4, inputs not multiples of 16: every row ends in a predicated tail
    for (const [name, spec] of [
      ['lstm_mve', { batches: 2, steps: 5, inputSize: 27, units: 11, inZp: -128, hZp: -1, cellPower: -11, cellClip: 10, seed: 51 }],
      ['lstm_mve_short', { batches: 1, steps: 4, inputSize: 5, units: 3, timeMajor: true, inZp: 127, hZp: -128, cellPower: -14, seed: 52 }],
      ['lstm_mve_wide', { batches: 1, steps: 3, inputSize: 70, units: 18, inZp: 20, hZp: 127, seed: 53, weights: extreme(18, 70) }],
      // gate requantizations shifting left (large weight scales), a cell clip below the cell's
      // scale (clipped to 0), the sums' looped passes with a one-pass h side
      [
        'lstm_mve_scaled',
        {
          batches: 1,
          steps: 4,
          inputSize: 100,
          units: 5,
          inZp: -7,
          hZp: 9,
          cellClip: 0.0001,
          wScales: [0.05, 0.004, 0.2, 0.01, 0.3, 0.002, 0.05, 0.1],
          seed: 54,
        },
      ],
    ] as [string, LstmSpec][]) {
      it(`${name}: ${spec.inputSize} inputs, ${spec.units} units, bit-exact with the reference (inputs at the int8 extremes too)`, async () => {
        const { graph } = lstmGraph(spec);
        graph.name = name;
        const compiled = compileGraph(graph, `${name}.tflite`, { isa: loadTarget('cortex-m55').isa });
        expect(compiled.prepared.layers.map((l) => l.variant.family)).to.deep.equal(['arm-mve']);
        await expectExactOnBoard(graph, compiled, { target: 'cortex-m55', board: 'qemu-mps3-an547', dir, seed: 8, extremes: true });
      });
    }
  });

  describe("the Armv6-M and RV32 variants' row-pair lanes (unidirectional_sequence_lstm_pairs.h)", function () {
    /** random weights in [-127, 127], except a -128 in the first recurrent matrix: the int8 blocks take the layer */
    function withMinus128(units: number, inputSize: number, seed: number): Int8Array[] {
      const rand = rng(seed);
      const weights = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => randomInt8(rand, units * (k < 4 ? inputSize : units), -127, 127));
      weights[4]![1] = -128;
      return weights;
    }
    /** weights at both ends of [-127, 127], the largest the lanes take */
    function extreme(units: number, inputSize: number): Int8Array[] {
      return [0, 1, 2, 3, 4, 5, 6, 7].map((k) => Int8Array.from({ length: units * (k < 4 ? inputSize : units) }, (_, j) => (j % 3 === 1 ? -127 : 127)));
    }
    const specs: [string, LstmSpec][] = [
      // odd input count (a padded column), odd unit count (a block of 4), column-pair counts 0-3 mod 4
      ['lanes_odd', { batches: 2, steps: 4, inputSize: 9, units: 5, inZp: -128, hZp: -1, cellPower: -11, cellClip: 10, seed: 51 }],
      ['lanes_even', { batches: 1, steps: 3, inputSize: 12, units: 6, timeMajor: true, inZp: 127, hZp: -128, cellPower: -14, seed: 52 }],
      // +-127 weights against inputs at both int8 ends: every lane sum at its bound
      ['lanes_extreme', { batches: 1, steps: 3, inputSize: 301, units: 7, inZp: -128, hZp: 127, seed: 53, weights: extreme(7, 301) }],
      // input and unit counts multiples of 4: the step's values widened a word at a time (Armv6-M)
      ['lanes_words', { batches: 2, steps: 3, inputSize: 16, units: 8, inZp: -5, hZp: 3, cellPower: -12, seed: 55 }],
      // a -128 weight: the int8 blocks
      ['lanes_fallback', { batches: 1, steps: 3, inputSize: 11, units: 3, inZp: 3, hZp: -4, seed: 54, weights: withMinus128(3, 11, 54) }],
    ];
    const inputsFor = (graph: Graph, op: Op, rand: () => number) => {
      const n = elementCount(graph.tensors[op.inputs[0]!]!.shape);
      return Int8Array.from(randomInt8(rand, n), (v, j) => (j % 4 === 0 ? -128 : j % 4 === 2 ? 127 : v));
    };

    it('lay two rows per word (w_a + 65536 w_b), columns padded to pairs; a -128 weight leaves the layer to the int8 blocks', () => {
      // one unit: rows i, f, g, o; column pairs (0, 1) then (2, pad)
      const gates = [0, 1, 2, 3].map((g) => Int8Array.from([g + 1, -(g + 1), 10 * g]));
      const lanes = Array.from(pairLanes(gates, 1, 3)!);
      const w = (a: number, b: number) => a + 65536 * b;
      expect(lanes).to.deep.equal([w(1, 2), w(-1, -2), w(3, 4), w(-3, -4), w(0, 10), w(0, 0), w(20, 30), w(0, 0)]);
      expect(pairLanes([Int8Array.from([127, -127]), Int8Array.from([0, 0]), Int8Array.from([0, 0]), Int8Array.from([0, 0])], 1, 2)).to.not.equal(undefined);
      expect(pairLanes([Int8Array.from([127, -128]), Int8Array.from([0, 0]), Int8Array.from([0, 0]), Int8Array.from([0, 0])], 1, 2)).to.equal(undefined);
      for (const [name, spec] of specs) {
        const w = spec.weights ?? [];
        expect(w.length === 0 || w.every((m) => !m.includes(-128)), name).to.equal(name !== 'lanes_fallback');
      }
    });

    it('--prefer size keeps the int8 blocks (1 byte a weight); --prefer speed takes the lanes (2 bytes)', () => {
      const spec = specs[0]![1];
      const { graph } = lstmGraph(spec);
      for (const isa of [ARMV6M, RV32]) {
        const bytes = (prefer: 'size' | 'speed') => compileGraph(graph, 'lstm.tflite', { isa, prefer }).generated.weightBytes;
        // the lanes double the eight gate matrices' bytes (4 units x (inputs + units) x 2 matrices of int8)
        expect(bytes('speed') - bytes('size'), variantName(isa)).to.be.at.least(4 * spec.units * (spec.inputSize + spec.units));
        expect(compileGraph(graph, 'lstm.tflite', { isa, prefer: 'size' }).generated.files.find((f) => f.role === 'source')!.text).to.not.contain('w_in_pairs');
      }
    });

    for (const isa of [ARMV6M, RV32])
      it(`the lanes and the fallback equal the reference (${variantName(isa)}, ASan+UBSan)`, () => {
        const rand = rng(616);
        const cases: CCase[] = specs.map(([, s]) => {
          const { graph, op } = lstmGraph(s);
          const state = zeroState(graph, op);
          (state[0] as Int8Array).set(randomInt8(rand, state[0]!.length));
          (state[1] as Int16Array).set(Int16Array.from({ length: state[1]!.length }, () => randomInt(rand, -32768, 32767)));
          return { def: lstm, graph, op, inputs: [inputsFor(graph, op, rand), ...state], isa };
        });
        const results = runCasesInC(cases);
        cases.forEach((c, k) => {
          const state = c.inputs.slice(1).map((b) => b.slice());
          const expected = toBytes(evaluateOp(lstm, c.graph, c.op, [c.inputs[0]!, ...state])[0]!);
          expect(firstDifference(expected, results[k]![0]!), `${specs[k]![0]} output`).to.equal(undefined);
        });
      });

    describe('on the emulated boards', function () {
      let dir: string;
      before(function () {
        dir = mkdtempSync(join(tmpdir(), 'tinyforge-lstm-lanes-'));
      });
      after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      });
      const boards = [
        { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'], family: 'armv6m' },
        { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], family: 'rv32' },
      ];
      for (const { target, board, tools, family } of boards)
        for (const [name, spec] of specs)
          it(`${target} (${board}) ${name}: ${spec.inputSize} inputs, ${spec.units} units, bit-exact with the reference (inputs at the int8 extremes too)`, async function () {
            requireTools(this, tools);
            const { graph } = lstmGraph(spec);
            graph.name = `${name}_${target}`;
            const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
            // the lanes variant where the weights allow it, else the int8 blocks
            expect(compiled.prepared.layers.map((l) => l.variant.name)).to.deep.equal([name === 'lanes_fallback' ? family : `${family} row-pair lanes`]);
            expect(/tf_(m0_)?lstm_pairs/.test(compiled.generated.files.find((f) => f.role === 'source')!.text), 'row-pair lanes').to.equal(
              name !== 'lanes_fallback',
            );
            await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 7, extremes: true });
          });
    });
  });

  describe('the RV32 variant on the emulated ESP32-C3 (QEMU riscv32 virt)', function () {
    let dir: string;
    before(function () {
      requireTools(this, ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-lstm-rv32-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a random LSTM: 2 batches, 9 inputs, 7 units (3 pairs and an odd unit), zero points, clipping: bit-exact with the reference', async () => {
      const rand = rng(4242);
      const units = 7;
      const { graph } = lstmGraph({
        batches: 2,
        steps: 5,
        inputSize: 9,
        units,
        inZp: randomInt(rand, -60, 60),
        hZp: randomInt(rand, -60, 60),
        cellPower: -12,
        cellClip: 3,
        seed: 99,
      });
      graph.name = 'lstm_rv32';
      const compiled = compileGraph(graph, 'lstm_rv32.tflite', { isa: loadTarget('esp32c3').isa });
      expect(compiled.prepared.layers.map((l) => l.variant.name)).to.deep.equal(['rv32 row-pair lanes']);
      await expectExactOnBoard(graph, compiled, { target: 'esp32c3', board: 'qemu-riscv32-virt', dir, seed: 5 });
    });
  });

  describe('a cell_clip below the cell scale (fuzz:inputs seed 3008 case 13560: cell_clip 10.0 became 4.8e-41)', function () {
    // TFLite Micro clips whenever the float cell_clip is above 0, with the clip truncated to int16
    // (0 here): the cell is held at 0. We took a clip that truncates to 0 for "no clipping".
    const spec: LstmSpec = { batches: 2, steps: 4, inputSize: 5, units: 3, inZp: 9, hZp: -7, cellPower: -11, cellClip: 1e-6, seed: 31 };

    it('the reference and the emitted C of every family hold the cell at 0', () => {
      const { graph, op } = lstmGraph(spec);
      const p = lstm.prepare(graph, op) as LstmParams;
      expect([p.clipsCell, p.cellClip]).to.deep.equal([true, 0]);
      const x = randomInt8(rng(5), elementCount(graph.tensors[op.inputs[0]!]!.shape));
      const { output, state } = runLstm(graph, op, x);
      expect(Array.from(state[1] as Int16Array).every((c) => c === 0)).to.equal(true);
      const unclipped = lstmGraph({ ...spec, cellClip: 0 });
      expect(firstDifference(toBytes(output), toBytes(runLstm(unclipped.graph, unclipped.op, x).output))).to.not.equal(undefined);
      const results = runCasesInC([undefined, { dsp: true }, ARMV6M, RV32].map((isa) => ({ def: lstm, graph, op, inputs: [x, ...zeroState(graph, op)], isa })));
      results.forEach((r, k) => expect(firstDifference(toBytes(output), r[0]!), `family ${k}`).to.equal(undefined));
    });

    it("TFLite Micro (tflm-ref) computes the same, on a generated layer and on the fuzzer's mutant of mnist_lstm_int8", function () {
      if (!tflmRefAvailable(this)) return;
      const { graph, op } = lstmGraph(spec);
      const x = randomInt8(rng(5), elementCount(graph.tensors[op.inputs[0]!]!.shape));
      const theirs = tflmOutputs(graph, [new Uint8Array(toBytes(x))]);
      expect(firstDifference(theirs[0]!, toBytes(runLstm(graph, op, x).output)), 'generated layer').to.equal(undefined);
      // the whole mutant, through the reference interpreter, against TFLite Micro on the golden input
      if (!sharedModelsAvailable(this)) return;
      const file = join(PROJECT_ROOT, 'test/fuzz/findings/3008-13560-bytes-word.tflite');
      const prepared = prepareGraph(optimizeGraph(parseTflite(readFileSync(file), file)));
      const input = new Uint8Array(readFileSync(sharedFile('golden', 'mnist_lstm_int8', 'in0.bin')));
      expect(firstDifference(runTflmRef(file, input).outputs, interpret(prepared, [input]).outputs[0]!), 'mutant').to.equal(undefined);
    });
  });

  describe("golden activations of mnist_lstm_int8 (TFLite Micro's run, states starting at zero)", function () {
    before(function () {
      sharedModelsAvailable(this);
    });

    it('the reference kernel reproduces the LSTM output and the final hidden and cell states of all 4 cases', () => {
      const graph = sharedGraph('mnist_lstm_int8');
      const op = graph.ops.find((o) => o.kind === lstm.kind)!;
      for (const c of goldenCases('mnist_lstm_int8')) {
        const x = fromBytes('int8', goldenActivation(c, op.inputs[0]!)!) as Int8Array;
        const { output, state } = runLstm(graph, op, x);
        expect(firstDifference(recordedOutput(op, c), toBytes(output)), `${c.name} output`).to.equal(undefined);
        expect(firstDifference(goldenActivation(c, op.inputs[18]!)!, toBytes(state[0]!)), `${c.name} hidden state`).to.equal(undefined);
        expect(firstDifference(goldenActivation(c, op.inputs[19]!)!, toBytes(state[1]!)), `${c.name} cell state`).to.equal(undefined);
      }
    });

    for (const isa of [undefined, { dsp: true }, ARMV6M, RV32]) {
      it(`the emitted C reproduces the LSTM output of all 4 cases (${variantName(isa)})`, () => {
        const graph = sharedGraph('mnist_lstm_int8');
        const op = graph.ops.find((o) => o.kind === lstm.kind)!;
        const cases = goldenCases('mnist_lstm_int8');
        const results = runCasesInC(
          cases.map((c) => ({
            def: lstm,
            graph,
            op,
            inputs: [fromBytes('int8', goldenActivation(c, op.inputs[0]!)!), ...zeroState(graph, op)],
            isa,
          })),
        );
        cases.forEach((c, k) => expect(firstDifference(recordedOutput(op, c), results[k]![0]!), c.name).to.equal(undefined));
      });
    }
  });
});
