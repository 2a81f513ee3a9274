// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 UNIDIRECTIONAL_SEQUENCE_LSTM (lstm_float.ts): the reference against hand-worked steps,
 * what it refuses, and the TypeScript reference, the host C (glibc, sanitizers on) and TFLite Micro
 * (tflm-ref; recorded answers where it is absent) within the stated bound of each other
 * (FLOAT_LIBM_ULP.UNIDIRECTIONAL_SEQUENCE_LSTM, in ULPs of max(|y|, 1)) over units, inputs, time
 * steps, batches, time-major, cell clip, states carried over several inferences and extreme inputs.
 * The emulated targets: lstm_float_emulated.test.ts.
 */
import { expect } from 'chai';
import lstm from './index.ts';
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import { type TensorBuffer, toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { floatUlpBound, floatUlpFloor, logisticF } from '../common/families/float_libm.ts';
import { maxUlpDistance } from '../common/numerics/float_ulp.ts';
import { evaluateOp, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { runTflmRef, splitTflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { type FloatLstmSpec, floatLstmGraph, zeroState } from '../../../../test/helpers/lstm_cases.ts';
import { FLOAT_LSTM_SPECS, floatLstmInputs } from '../../../../test/helpers/float_lstm_cases.ts';
import { asFloats } from '../../../../test/helpers/float_libm_cases.ts';

const F = Math.fround;
const BOUND = floatUlpBound('UNIDIRECTIONAL_SEQUENCE_LSTM');
const FLOOR = floatUlpFloor('UNIDIRECTIONAL_SEQUENCE_LSTM');

/** The reference over `inputs`, one inference each, the state carried from one to the next. */
function referenceRun(graph: Graph, op: Op, inputs: Float32Array[], state: TensorBuffer[] = zeroState(graph, op)) {
  const outputs = inputs.map((x) => evaluateOp(lstm, graph, op, [x, ...state])[0] as Float32Array);
  return { outputs, hidden: state[0] as Float32Array, cell: state[1] as Float32Array };
}

const ulps = (a: Float32Array, b: Float32Array) => maxUlpDistance(a, b, FLOOR).ulps;

describe('UNIDIRECTIONAL_SEQUENCE_LSTM float32', () => {
  describe('reference kernel', () => {
    // one unit, one input, every weight 0: each gate is act(bias), the input does not matter
    const hand: FloatLstmSpec = {
      batches: 1,
      steps: 2,
      inputSize: 1,
      units: 1,
      weights: [0, 0, 0, 0, 0, 0, 0, 0].map(() => new Float32Array([0])),
      biases: [0.25, -0.5, 0.75, 1.5].map((v) => new Float32Array([v])),
    };

    it('two steps of a one-unit LSTM, worked by hand: c = f*c + i*g, h = tanh(c)*o', () => {
      const { graph, op } = floatLstmGraph(hand);
      const [i, f, g, o] = [logisticF(0.25), logisticF(-0.5), F(Math.tanh(0.75)), logisticF(1.5)];
      const c1 = F(F(f * 0) + F(i * g));
      const h1 = F(F(Math.tanh(c1)) * o);
      const c2 = F(F(f * c1) + F(i * g));
      const h2 = F(F(Math.tanh(c2)) * o);
      const run = referenceRun(graph, op, [new Float32Array([7, -7])]);
      expect(Array.from(run.outputs[0]!)).to.deep.equal([h1, h2]);
      expect(Array.from(run.cell)).to.deep.equal([c2]);
      expect(Array.from(run.hidden)).to.deep.equal([h2]);
      // sigmoid(0.25) = 0.5622, tanh(0.75) = 0.6351: c1 = 0.3571
      expect(c1).to.be.closeTo(0.5621765 * 0.635149, 1e-6);
    });

    it('cell_clip holds |c| at the clip; a NaN cell becomes the clip (std::min(clip, NaN) is clip)', () => {
      const { graph, op } = floatLstmGraph({ ...hand, steps: 4, cellClip: 0.5, biases: [8, 8, 8, 8].map((v) => new Float32Array([v])) });
      const run = referenceRun(graph, op, [new Float32Array(4)]);
      expect(Array.from(run.cell)).to.deep.equal([0.5]);
      const nan = floatLstmGraph({ ...hand, steps: 1, cellClip: 0.5, weights: [1, 1, 1, 1, 0, 0, 0, 0].map((v) => new Float32Array([v])) });
      const nanRun = referenceRun(nan.graph, nan.op, [new Float32Array([NaN])]);
      expect(Array.from(nanRun.cell)).to.deep.equal([0.5]);
      expect(Number.isNaN(nanRun.outputs[0]![0]!)).to.equal(true);
    });

    it('state persists across inferences and equals one longer sequence; time-major is batch-major transposed', () => {
      const spec: FloatLstmSpec = { batches: 2, steps: 3, inputSize: 4, units: 5, seed: 9 };
      const whole = floatLstmGraph(spec);
      const x = floatLstmInputs(rng(3), 2 * 3 * 4);
      const wholeRun = referenceRun(whole.graph, whole.op, [x]);
      // batch 0 alone, one step at a time, carries its state
      const single = floatLstmGraph({ ...spec, batches: 1, steps: 1 });
      const state = zeroState(single.graph, single.op);
      const steps = [0, 1, 2].map((t) => referenceRun(single.graph, single.op, [x.slice(t * 4, t * 4 + 4)], state).outputs[0]!);
      expect(Array.from(steps.flatMap((s) => Array.from(s)))).to.deep.equal(Array.from(wholeRun.outputs[0]!.slice(0, 15)));
      const tm = floatLstmGraph({ ...spec, timeMajor: true });
      const xt = new Float32Array(x.length);
      for (let b = 0; b < 2; b++) for (let t = 0; t < 3; t++) xt.set(x.subarray((b * 3 + t) * 4, (b * 3 + t + 1) * 4), (t * 2 + b) * 4);
      const tmOut = referenceRun(tm.graph, tm.op, [xt]).outputs[0]!;
      for (let b = 0; b < 2; b++)
        for (let t = 0; t < 3; t++)
          expect(Array.from(tmOut.subarray((t * 2 + b) * 5, (t * 2 + b + 1) * 5))).to.deep.equal(
            Array.from(wholeRun.outputs[0]!.subarray((b * 3 + t) * 5, (b * 3 + t + 1) * 5)),
          );
    });

    it('the FC sums clamp to +-FLT_MAX as FullyConnected<float> does: an overflowing gate saturates, no NaN', () => {
      const { graph, op } = floatLstmGraph({ ...hand, steps: 1, weights: [3e38, 3e38, 3e38, 3e38, 0, 0, 0, 0].map((v) => new Float32Array([v])) });
      const run = referenceRun(graph, op, [new Float32Array([1e10])]);
      // every gate is act(FLT_MAX + 0): i = f = o = 1, g = tanh = 1, c = 1, h = tanh(1)
      expect(Array.from(run.cell)).to.deep.equal([1]);
      expect(Array.from(run.outputs[0]!)).to.deep.equal([F(Math.tanh(1))]);
    });
  });

  describe("refuses what TFLite Micro's float LSTM does not run", () => {
    const message = (graph: Graph, op: Op): string => {
      try {
        lstm.check(graph, op);
      } catch (e) {
        if (e instanceof OpError) return e.message;
        throw e;
      }
      return '';
    };
    const spec: FloatLstmSpec = { batches: 1, steps: 2, inputSize: 3, units: 2 };

    it('peephole, projection, CIFG, non-variable state, int8 weights under a float input, another cell activation', () => {
      const withInput = (position: number, t: { shape: number[] } | null) => {
        const { graph, op } = floatLstmGraph(spec);
        if (t === null) op.inputs[position] = -1;
        else {
          graph.tensors.push({ index: graph.tensors.length, name: 'extra', shape: t.shape, dtype: 'float32', data: new Uint8Array(4 * elementCount(t.shape)) });
          op.inputs[position] = graph.tensors.length - 1;
        }
        return message(graph, op);
      };
      expect(withInput(9, { shape: [2] })).to.match(/peephole weights \(input 9\) are not supported/);
      expect(withInput(16, { shape: [2, 2] })).to.match(/projection \(input 16\) are not supported/);
      expect(withInput(1, null)).to.match(/CIFG/);
      const constState = floatLstmGraph(spec);
      constState.graph.tensors[constState.op.inputs[19]!]!.isVariable = false;
      expect(message(constState.graph, constState.op)).to.match(/cell state .* is not a variable tensor/);
      const int8Weights = floatLstmGraph(spec);
      const w = int8Weights.graph.tensors[int8Weights.op.inputs[2]!]!;
      Object.assign(w, { dtype: 'int8', data: new Uint8Array(6), quant: { scale: [0.1], zeroPoint: [0], axis: 0 } });
      expect(message(int8Weights.graph, int8Weights.op)).to.match(
        /input-to-forget weights .* is int8; a float32 layer of UNIDIRECTIONAL_SEQUENCE_LSTM takes float32 inputs only/,
      );
      const relu = floatLstmGraph(spec);
      relu.op.attrs = { ...relu.op.attrs, activation: 'RELU' };
      expect(message(relu.graph, relu.op)).to.match(/cell gate activation RELU is not supported/);
    });

    it('an int8 LSTM with a float32 cell state stays refused by the integer check', () => {
      const { graph, op } = singleOpGraph('UNIDIRECTIONAL_SEQUENCE_LSTM', [{ shape: [1, 1, 1], scale: 0.1 }], [{ shape: [1, 1, 1], scale: 0.1 }]);
      expect(message(graph, op)).to.match(/expected 24 inputs/);
    });
  });

  describe('the host C (glibc, ASan+UBSan) and TFLite Micro within the bound', () => {
    const inferences = 3;
    const cases = FLOAT_LSTM_SPECS.map((spec, k) => {
      const { graph, op } = floatLstmGraph(spec);
      const n = elementCount(graph.tensors[op.inputs[0]!]!.shape);
      const rand = rng(500 + k);
      const xs = Array.from({ length: inferences }, (_, i) => floatLstmInputs(rand, n, { extremes: i === inferences - 1 && k % 2 === 1 }));
      return { spec, graph, op, xs, label: `${JSON.stringify({ ...spec, seed: undefined })}` };
    });

    it(`the host C is within ${BOUND} ULP of max(|y|, ${FLOOR}) of the reference, states carried over (random starting states too)`, () => {
      const built = cases.map((c, k) => {
        const state = zeroState(c.graph, c.op);
        if (k % 3 === 2) for (const s of state) (s as Float32Array).set(floatLstmInputs(rng(k), s.length));
        return { ...c, state };
      });
      // one inference from the given state; the reference runs the same
      const outs = runCasesInC(built.map((b) => ({ def: lstm, graph: b.graph, op: b.op, inputs: [b.xs[0]!, ...b.state.map((s) => s.slice())] })));
      let worst = 0;
      built.forEach((b, k) => {
        const ref = referenceRun(
          b.graph,
          b.op,
          [b.xs[0]!],
          b.state.map((s) => s.slice()),
        ).outputs[0]!;
        const d = ulps(ref, asFloats(outs[k]![0]!));
        worst = Math.max(worst, d);
        expect(d, `${b.label}: C against the reference`).to.be.at.most(BOUND);
      });
      if (process.env.TINYFORGE_PRINT_ULPS) console.log('host C vs reference', worst);
    });

    it(`the reference is within ${BOUND} ULP of max(|y|, ${FLOOR}) of TFLite Micro over ${inferences} inferences, the state carried`, function () {
      if (!tflmRefAvailable(this)) return;
      let worst = 0;
      for (const c of cases) {
        const run = runTflmRef(writeTflite(c.graph), concat(c.xs.map((x) => new Uint8Array(toBytes(x)))));
        const theirs = splitTflmOutputs(c.graph, run.outputs, inferences).map((o) => asFloats(o[0]!));
        const ours = referenceRun(c.graph, c.op, c.xs).outputs;
        ours.forEach((o, i) => {
          const d = ulps(theirs[i]!, o);
          worst = Math.max(worst, d);
          expect(d, `${c.label} inference ${i}: reference against TFLite Micro`).to.be.at.most(BOUND);
        });
      }
      if (process.env.TINYFORGE_PRINT_ULPS) console.log('reference vs TFLite Micro', worst);
    });
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
