// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import svdf from './index.ts';
import { TinyforgeError } from '../../errors.ts';
import { type DType, type Graph, type Op, elementCount } from '../../ir/graph.ts';
import { type TensorBuffer, allocBuffer, toBytes } from '../../ir/buffers.ts';
import { saveTflite, writeTflite } from '../../model/tflite/writer.ts';
import { runModel } from '../../run/run.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../test/helpers/tflm_ref.ts';
import { requireTools } from '../../../test/build/helpers.ts';

interface SvdfSpec {
  batches: number;
  inputSize: number;
  filters: number;
  rank: number;
  memory: number;
  stateType?: 'int16' | 'int8';
  inScale?: number;
  inZp?: number;
  wfScale?: number;
  wtScale?: number;
  stateScale?: number;
  stateZp?: number;
  outScale?: number;
  outZp?: number;
  weightsFeature?: ArrayLike<number>;
  weightsTime?: ArrayLike<number>;
  bias?: ArrayLike<number> | null;
  /** ignored on the integer path (TFLite Micro); desktop TFLite insists on RELU */
  activation?: 'NONE' | 'RELU';
  seed?: number;
}

function svdfGraph(s: SvdfSpec): { graph: Graph; op: Op } {
  const rand = rng(s.seed ?? 1);
  const stateType: DType = s.stateType ?? 'int16';
  const units = s.filters / s.rank;
  const wtRange = stateType === 'int16' ? 2000 : 127;
  const stateScale = s.stateScale ?? 0.01;
  const wtScale = s.wtScale ?? 0.001;
  const { graph, op } = singleOpGraph(
    'SVDF',
    [
      { shape: [s.batches, s.inputSize], scale: s.inScale ?? 0.05, zeroPoint: s.inZp ?? 0 },
      {
        shape: [s.filters, s.inputSize],
        scale: s.wfScale ?? 0.01,
        data: Int8Array.from(s.weightsFeature ?? randomInt8(rand, s.filters * s.inputSize, -127, 127)),
      },
      {
        shape: [s.filters, s.memory],
        dtype: stateType,
        scale: wtScale,
        data:
          stateType === 'int16'
            ? Int16Array.from(s.weightsTime ?? Array.from({ length: s.filters * s.memory }, () => randomInt(rand, -wtRange, wtRange)))
            : Int8Array.from(s.weightsTime ?? randomInt8(rand, s.filters * s.memory, -127, 127)),
      },
      s.bias === null
        ? null
        : {
            shape: [units],
            dtype: 'int32',
            scale: Math.fround(stateScale * wtScale),
            data: Int32Array.from(s.bias ?? Array.from({ length: units }, () => randomInt(rand, -2000, 2000))),
          },
      { shape: [s.batches, s.memory * s.filters], dtype: stateType, scale: stateScale, zeroPoint: s.stateZp ?? 0, name: 'activation_state' },
    ],
    [{ shape: [s.batches, units], scale: s.outScale ?? 0.05, zeroPoint: s.outZp ?? 0 }],
    { rank: s.rank, activation: s.activation ?? 'NONE', asymmetricQuantizeInputs: false },
  );
  graph.tensors[op.inputs[4]!]!.isVariable = true;
  graph.inputs = [op.inputs[0]!];
  return { graph, op };
}

function stateOf(graph: Graph, op: Op): TensorBuffer {
  const t = graph.tensors[op.inputs[4]!]!;
  const buffer = allocBuffer(t.dtype, elementCount(t.shape));
  if (t.dtype === 'int8') (buffer as Int8Array).fill(t.quant!.zeroPoint[0]!);
  return buffer;
}

const run = (graph: Graph, op: Op, x: ArrayLike<number>, state: TensorBuffer) =>
  Array.from(evaluateOp(svdf, graph, op, [Int8Array.from(x), state])[0] as Int8Array);

const values = (b: TensorBuffer) => Array.from(b as Int16Array);

const userError = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof TinyforgeError) return e.message;
    throw e;
  }
  throw new Error('expected a TinyforgeError');
};

describe('SVDF', () => {
  describe('reference kernel, hand-computed (unit scales: every multiplier is 1)', () => {
    const unit: SvdfSpec = {
      batches: 1,
      inputSize: 2,
      filters: 2,
      rank: 2,
      memory: 3,
      inScale: 1,
      wfScale: 1,
      wtScale: 1,
      stateScale: 1,
      outScale: 1,
      weightsFeature: [1, 1, 2, -1],
      weightsTime: [1, 2, 3, 4, 5, 6],
      bias: [10],
    };

    it('rank 2: two calls fill the memory from the right; unit = bias + sum over its filters of state . weights_time', () => {
      const { graph, op } = svdfGraph(unit);
      const state = stateOf(graph, op);
      // features [3, 0]: state rows [0,0,3] [0,0,0]; 10 + 3*3 = 19
      expect(run(graph, op, [1, 2], state)).to.deep.equal([19]);
      expect(values(state)).to.deep.equal([0, 0, 3, 0, 0, 0]);
      // features [2, 7]: rows [0,3,2] [0,0,7]; 10 + (6 + 6) + 42 = 64
      expect(run(graph, op, [3, -1], state)).to.deep.equal([64]);
      expect(values(state)).to.deep.equal([0, 3, 2, 0, 0, 7]);
      // a third call drops the oldest value: rows [3,2,f0] [0,7,f1] with features [0, 0]: 10 + 3 + 4 + 35 = 52
      expect(run(graph, op, [0, 0], state)).to.deep.equal([52]);
    });

    it('rank 1: one unit per filter; no bias', () => {
      const { graph, op } = svdfGraph({ ...unit, rank: 1, bias: null });
      expect(run(graph, op, [1, 2], stateOf(graph, op))).to.deep.equal([9, 0]);
    });

    it('a fused RELU is not applied on the integer path (as in TFLite Micro and desktop TFLite)', () => {
      const { graph, op } = svdfGraph({ ...unit, bias: [-30], activation: 'RELU' });
      expect(run(graph, op, [1, 2], stateOf(graph, op))).to.deep.equal([-21]);
    });

    it('zero points of the input, an int8 state and the output; the state saturates', () => {
      const { graph, op } = svdfGraph({ ...unit, stateType: 'int8', inZp: -128, stateZp: 3, outZp: -5, outScale: 16 });
      const state = stateOf(graph, op);
      // x - z = [129, 130]: features 259 -> 262 after the state zero point -> 127, and 128 -> 127;
      // unit: 10 + 124*3 + 124*6 = 1126, times 1/16 -> 70, plus -5
      expect(run(graph, op, [1, 2], state)).to.deep.equal([65]);
      expect(values(state)).to.deep.equal([3, 3, 127, 3, 3, 127]);
      // output saturation at the int8 extremes
      const big = svdfGraph({ ...unit, outZp: 127 });
      expect(run(big.graph, big.op, [1, 2], stateOf(big.graph, big.op))).to.deep.equal([127]);
    });

    it("requantizes with TFLite Micro's float-then-double effective scales", () => {
      const { graph, op } = svdfGraph({ ...unit, inScale: 0.5, stateScale: 0.25, wtScale: 0.5, outScale: 0.125 });
      // feature multiplier 0.5*1/0.25 = 2: features [6, 0]; output multiplier 0.25*0.5/0.125 = 1: 10 + 18
      const state = stateOf(graph, op);
      expect(run(graph, op, [1, 2], state)).to.deep.equal([28]);
      expect(values(state)).to.deep.equal([0, 0, 6, 0, 0, 0]);
    });
  });

  describe('rejects what TFLite Micro does not run', () => {
    it('names the op and tensor', () => {
      const mutate = (f: (g: Graph, op: Op) => void) => {
        const { graph, op } = svdfGraph({ batches: 1, inputSize: 4, filters: 6, rank: 2, memory: 5 });
        f(graph, op);
        return userError(() => svdf.check(graph, op));
      };
      expect(
        mutate((g, op) => {
          op.attrs.rank = 4;
        }),
      ).to.match(/op 0 \(SVDF\): rank 4 does not divide the 6 filters/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[4]!]!.isVariable = false;
        }),
      ).to.match(/activation state tensor \d+ "activation_state" is not a variable tensor/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[4]!]!.dtype = 'int8';
        }),
      ).to.match(/must have weights_time's type int16/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[4]!]!.shape = [1, 29];
        }),
      ).to.match(/expected batches \* memory \* filters = 30/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[0]!]!.dtype = 'int16';
        }),
      ).to.match(/input tensor 0 .* is int16/);
    });
  });

  describe('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    it('random layers with int16 and int8 state, batches, ranks, zero points and a non-zero starting state', () => {
      const rand = rng(77);
      const specs: SvdfSpec[] = [
        { batches: 1, inputSize: 8, filters: 6, rank: 2, memory: 5, seed: 1 },
        { batches: 2, inputSize: 5, filters: 4, rank: 1, memory: 7, inZp: -128, outZp: 100, seed: 2 },
        { batches: 3, inputSize: 3, filters: 9, rank: 3, memory: 2, stateType: 'int8', stateZp: -7, stateScale: 0.05, inZp: 127, outZp: -128, seed: 3 },
        { batches: 1, inputSize: 10, filters: 4, rank: 4, memory: 4, bias: null, stateType: 'int8', stateZp: 127, seed: 4 },
      ];
      const cases: CCase[] = specs.map((s) => {
        const { graph, op } = svdfGraph(s);
        const state = stateOf(graph, op);
        for (let i = 0; i < state.length; i++) state[i] = s.stateType === 'int8' ? randomInt(rand, -128, 127) : randomInt(rand, -20000, 20000);
        return { def: svdf, graph, op, inputs: [randomInt8(rand, s.batches * s.inputSize), state] };
      });
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const state = c.inputs[1]!.slice();
        const expected = toBytes(evaluateOp(svdf, c.graph, c.op, [c.inputs[0]!, state])[0]!);
        expect(firstDifference(expected, results[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('the Arm DSP variant (SMLAD feature and time dot products) equals the reference', () => {
    it('input sizes around the groups of four, odd and even memory, int16 and int8 state, on the host through dsp.h', () => {
      const rand = rng(78);
      const specs: SvdfSpec[] = [
        { batches: 1, inputSize: 4, filters: 6, rank: 2, memory: 5, seed: 11 },
        { batches: 2, inputSize: 7, filters: 4, rank: 1, memory: 8, inZp: -128, outZp: 100, seed: 12 },
        { batches: 1, inputSize: 96, filters: 64, rank: 1, memory: 8, inZp: -128, seed: 13 },
        { batches: 3, inputSize: 9, filters: 9, rank: 3, memory: 2, stateType: 'int8', stateZp: -7, stateScale: 0.05, inZp: 127, outZp: -128, seed: 14 },
        { batches: 1, inputSize: 17, filters: 4, rank: 4, memory: 1, bias: null, seed: 15 },
        { batches: 1, inputSize: 3, filters: 2, rank: 1, memory: 3, seed: 16 },
      ];
      const cases: CCase[] = specs.map((s) => {
        const { graph, op } = svdfGraph(s);
        const state = stateOf(graph, op);
        for (let i = 0; i < state.length; i++) state[i] = s.stateType === 'int8' ? randomInt(rand, -128, 127) : randomInt(rand, -32768, 32767);
        return { def: svdf, graph, op, inputs: [randomInt8(rand, s.batches * s.inputSize), state], isa: { dsp: true, armv6m: false } };
      });
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const state = c.inputs[1]!.slice();
        const expected = toBytes(evaluateOp(svdf, c.graph, c.op, [c.inputs[0]!, state])[0]!);
        expect(firstDifference(expected, results[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('as a model (our writer)', () => {
    // desktop TFLite's integer SVDF takes an int16 state and refuses any activation but RELU (which it
    // then does not apply)
    const spec: SvdfSpec = { batches: 1, inputSize: 16, filters: 8, rank: 2, memory: 6, inZp: -3, outZp: 2, seed: 9, activation: 'RELU' };
    const inputs = [0, 1, 2].map((k) => randomInt8(rng(100 + k), 16));

    it('TensorFlow Lite Micro (tflm-ref) gives the same first-inference output', function () {
      if (!tflmRefAvailable(this)) return;
      const { graph, op } = svdfGraph(spec);
      for (const x of inputs) {
        const ours = toBytes(evaluateOp(svdf, graph, op, [x, stateOf(graph, op)])[0]!);
        const theirs = tflmOutputs(graph, [new Uint8Array(toBytes(x))]);
        expect(firstDifference(theirs[0]!, ours)).to.equal(undefined);
      }
    });

    it('runs bit-exact on the emulated Cortex-M4, the state starting from zero at each case', async function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-svdf-'));
      try {
        const path = join(dir, 'svdf.tflite');
        saveTflite(path, svdfGraph(spec).graph);
        const report = await runModel(path, { target: 'cortex-m4', cases: inputs.map((x) => [new Uint8Array(toBytes(x))]) });
        expect(report.matchesReference).to.equal(true);
        expect(report.cases.every((c) => c.count! > 0)).to.equal(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
