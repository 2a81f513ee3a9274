// SPDX-License-Identifier: Apache-2.0
/**
 * The Arm DSP kernel variants (the ops' *_dsp.h headers, chosen for targets with `isa.dsp`) against the
 * TypeScript reference kernels, bit for bit: random layers, edge shapes (odd pixel counts, channels
 * not a multiple of 4, padding, strides, per-channel scales, accumulators too large for the SMMULR
 * path) and every recorded layer of the real models. On the host, arm_dsp.h's C twins stand in for the
 * instructions; the same C runs natively on the emulated Cortex-M4 in test/perf/qemu_variants.
 */
import { expect } from 'chai';
import conv from '../../src/core/ops/conv_2d/index.ts';
import depthwise from '../../src/core/ops/depthwise_conv_2d/index.ts';
import fullyConnected from '../../src/core/ops/fully_connected/index.ts';
import type { FusedActivation, Graph, Op, Padding } from '../../src/core/ir/graph.ts';
import type { OpDef } from '../../src/core/ops/op.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../helpers/op_harness.ts';
import { layersOfKind, recordedInputs, recordedOutput, sharedGraph } from '../helpers/golden_layers.ts';
import { goldenCases, sharedModelsAvailable } from '../helpers/shared.ts';

const DSP = { dsp: true };
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** Runs the cases' DSP C and compares with the reference kernel; returns the mismatches. */
function dspMismatches(cases: CCase[], labels: string[]): string[] {
  const results = runCasesInC(cases.map((c) => ({ ...c, isa: DSP })));
  const mismatches: string[] = [];
  cases.forEach((c, k) => {
    const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0]!;
    const diff = firstDifference(
      new Int8Array(expected.buffer, expected.byteOffset, expected.length),
      new Int8Array(results[k]![0]!.buffer, results[k]![0]!.byteOffset, results[k]![0]!.length),
    );
    if (diff) mismatches.push(`${labels[k]}: ${diff}`);
  });
  return mismatches;
}

function elements(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

interface WeightedCase {
  kind: 'CONV_2D' | 'DEPTHWISE_CONV_2D';
  input: [number, number, number, number];
  k: [number, number];
  outC: number;
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  activation: FusedActivation;
  inZp: number;
  perChannel: boolean;
  bias: boolean;
  /** weights and scales chosen so accumulators overflow the SMMULR bound */
  huge?: boolean;
}

function weightedGraph(c: WeightedCase, rand: () => number): { graph: Graph; op: Op } {
  const [n, h, w, inC] = c.input;
  const [kh, kw] = c.k;
  const outH = outputSize(c.padding, h, kh, c.stride[0], c.dilation[0]);
  const outW = outputSize(c.padding, w, kw, c.stride[1], c.dilation[1]);
  const filterShape = c.kind === 'CONV_2D' ? [c.outC, kh, kw, inC] : [1, kh, kw, c.outC];
  const scales = c.perChannel ? Array.from({ length: c.outC }, () => 0.002 + rand() * 0.02) : 0.01;
  const weightLimit = c.huge ? 127 : randomInt(rand, 1, 127);
  return singleOpGraph(
    c.kind,
    [
      { shape: c.input, scale: 0.05, zeroPoint: c.inZp },
      {
        shape: filterShape,
        scale: scales,
        zeroPoint: c.perChannel ? (scales as number[]).map(() => 0) : 0,
        axis: c.kind === 'CONV_2D' ? 0 : 3,
        data: randomInt8(rand, elements(filterShape), -weightLimit, weightLimit),
      },
      c.bias
        ? { shape: [c.outC], dtype: 'int32', data: Int32Array.from({ length: c.outC }, () => randomInt(rand, c.huge ? -2e9 : -20000, c.huge ? 2e9 : 20000)) }
        : null,
    ],
    [{ shape: [n, outH, outW, c.outC], scale: c.huge ? 1e-6 : 0.02 + rand() * 0.2, zeroPoint: randomInt(rand, -128, 127) }],
    {
      padding: c.padding,
      strideH: c.stride[0],
      strideW: c.stride[1],
      dilationH: c.dilation[0],
      dilationW: c.dilation[1],
      activation: c.activation,
      ...(c.kind === 'DEPTHWISE_CONV_2D' ? { depthMultiplier: c.outC / inC } : {}),
    },
  );
}

function randomCases(
  kind: WeightedCase['kind'],
  count: number,
  seed: number,
  shape: (rand: () => number) => Partial<WeightedCase>,
): { cases: CCase[]; labels: string[] } {
  const rand = rng(seed);
  const cases: CCase[] = [];
  const labels: string[] = [];
  const def: OpDef = kind === 'CONV_2D' ? conv : depthwise;
  for (let i = 0; i < count; i++) {
    const c: WeightedCase = {
      kind,
      input: [randomInt(rand, 1, 2), randomInt(rand, 1, 9), randomInt(rand, 1, 9), randomInt(rand, 1, 12)],
      k: [randomInt(rand, 1, 3), randomInt(rand, 1, 3)],
      outC: randomInt(rand, 1, 9),
      stride: [randomInt(rand, 1, 2), randomInt(rand, 1, 2)],
      dilation: [1, 1],
      padding: rand() < 0.5 ? 'SAME' : 'VALID',
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
      inZp: randomInt(rand, -128, 127),
      perChannel: rand() < 0.7,
      bias: rand() < 0.8,
      ...shape(rand),
    };
    if (c.padding === 'VALID' && (c.input[1] < (c.k[0] - 1) * c.dilation[0] + 1 || c.input[2] < (c.k[1] - 1) * c.dilation[1] + 1)) c.padding = 'SAME';
    const { graph, op } = weightedGraph(c, rand);
    const inputs = [randomInt8(rand, elements(c.input))];
    cases.push({ def, graph, op, inputs });
    labels.push(`${kind} #${i} ${JSON.stringify(c)}`);
  }
  return { cases, labels };
}

function goldenDspMismatches(def: OpDef, model: string, ops: Op[], caseIndices: number[]): { runs: number; mismatches: string[] } {
  const graph = sharedGraph(model);
  const all = goldenCases(model);
  const cases: CCase[] = [];
  const labels: string[] = [];
  const recorded: Uint8Array[] = [];
  for (const op of ops) {
    for (const k of caseIndices) {
      cases.push({ def, graph, op, inputs: recordedInputs(graph, op, all[k]!), isa: DSP });
      recorded.push(recordedOutput(op, all[k]!));
      labels.push(`${model} op ${op.index} (${op.kind}) case ${all[k]!.name}`);
    }
  }
  const results = runCasesInC(cases);
  const mismatches: string[] = [];
  results.forEach((r, k) => {
    const diff = firstDifference(recorded[k]!, r[0]!);
    if (diff) mismatches.push(`${labels[k]} (DSP C): ${diff}`);
  });
  return { runs: cases.length, mismatches };
}

describe('DSP kernel variants (host, C twins of the instructions)', () => {
  it('CONV_2D: 1x1 matrix products (channels a multiple of 4, odd pixel counts, odd channel counts)', () => {
    const { cases, labels } = randomCases('CONV_2D', 24, 71, (rand) => ({
      input: [1, randomInt(rand, 1, 5), randomInt(rand, 1, 5), 4 * randomInt(rand, 1, 6)],
      k: [1, 1],
      stride: [1, 1],
      padding: 'VALID',
    }));
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('CONV_2D: im2col layers (padding, strides, dilation, any channel count)', () => {
    const { cases, labels } = randomCases('CONV_2D', 40, 72, (rand) => ({ dilation: [randomInt(rand, 1, 2), randomInt(rand, 1, 2)] }));
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('CONV_2D: accumulators beyond the SMMULR bound take the exact path', () => {
    const { cases, labels } = randomCases('CONV_2D', 8, 73, (rand) => ({
      input: [1, 3, 3, 8 * randomInt(rand, 1, 4)],
      k: [rand() < 0.5 ? 1 : 3, 1],
      stride: [1, 1],
      huge: true,
      bias: true,
    }));
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('CONV_2D: 1x1 over k4 4 to 256 (every entry into the four-step loop), odd pixel counts with batches, odd channels, per-tensor and per-channel, every activation', () => {
    const ks = [4, 8, 12, 16, 20, 28, 36, 44, 64, 100, 128, 256];
    const { cases, labels } = randomCases('CONV_2D', 36, 80, (rand) => {
      const inC = ks[randomInt(rand, 0, ks.length - 1)]!;
      const side = inC > 64 ? 3 : randomInt(rand, 1, 5);
      return {
        input: [randomInt(rand, 1, 3), side, randomInt(rand, 1, side), inC],
        k: [1, 1],
        stride: [1, 1],
        padding: 'VALID',
        outC: randomInt(rand, 1, 2) === 1 ? 2 * randomInt(rand, 1, 10) + 1 : 2 * randomInt(rand, 1, 10),
      };
    });
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('DEPTHWISE_CONV_2D: channels a multiple of 4, multiplier 1, any kernel, stride, dilation, padding', () => {
    const { cases, labels } = randomCases('DEPTHWISE_CONV_2D', 40, 74, (rand) => {
      const c = 4 * randomInt(rand, 1, 5);
      return {
        input: [randomInt(rand, 1, 2), randomInt(rand, 1, 8), randomInt(rand, 1, 8), c],
        outC: c,
        k: [randomInt(rand, 1, 4), randomInt(rand, 1, 4)],
        dilation: [randomInt(rand, 1, 2), randomInt(rand, 1, 2)],
      };
    });
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('DEPTHWISE_CONV_2D: one input channel with a depth multiplier, other channel counts, and the portable fallback', () => {
    const { cases, labels } = randomCases('DEPTHWISE_CONV_2D', 30, 75, (rand) => {
      const one = rand() < 0.6;
      const inC = one ? 1 : randomInt(rand, 2, 6);
      const mult = randomInt(rand, 1, 4);
      return { input: [1, randomInt(rand, 2, 10), randomInt(rand, 2, 10), inC], outC: inC * mult, k: [randomInt(rand, 1, 5), randomInt(rand, 1, 4)] };
    });
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('DEPTHWISE_CONV_2D: 3x3 multiplier 1 (inside-image path and tap pointers), strides 1 and 2, SAME and VALID, channels 4 to 256, batches', () => {
    const { cases, labels } = randomCases('DEPTHWISE_CONV_2D', 30, 78, (rand) => {
      const c = rand() < 0.2 ? 4 * randomInt(rand, 17, 64) : 4 * randomInt(rand, 1, 16);
      const side = c > 64 ? randomInt(rand, 1, 6) : randomInt(rand, 1, 13);
      return { input: [randomInt(rand, 1, 2), side, randomInt(rand, 1, side + 2), c], outC: c, k: [3, 3], dilation: [1, 1] };
    });
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('DEPTHWISE_CONV_2D: one input channel with a depth multiplier (rows read as words), kernels up to 10x8, borders, odd pixel counts, batches', () => {
    const { cases, labels } = randomCases('DEPTHWISE_CONV_2D', 30, 79, (rand) => {
      const mult = randomInt(rand, 1, 9);
      return {
        input: [randomInt(rand, 1, 2), randomInt(rand, 1, 14), randomInt(rand, 1, 14), 1],
        outC: mult,
        k: [randomInt(rand, 1, 10), randomInt(rand, 1, 8)],
        dilation: [randomInt(rand, 1, 2), 1],
      };
    });
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('DEPTHWISE_CONV_2D: accumulators beyond the SMMULR bound take the exact path', () => {
    const { cases, labels } = randomCases('DEPTHWISE_CONV_2D', 6, 76, () => ({
      input: [1, 4, 4, 8],
      outC: 8,
      k: [3, 3],
      stride: [1, 1],
      huge: true,
      bias: true,
    }));
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
    const single = randomCases('DEPTHWISE_CONV_2D', 4, 80, () => ({ input: [1, 6, 7, 1], outC: 5, k: [3, 5], stride: [1, 1], huge: true, bias: true }));
    expect(dspMismatches(single.cases, single.labels)).to.deep.equal([]);
  });

  it('real models: every DEPTHWISE_CONV_2D layer of person_detect and micro_speech, golden cases 0 and 3', function () {
    if (!sharedModelsAvailable(this)) return;
    const a = goldenDspMismatches(depthwise, 'person_detect', layersOfKind('person_detect', 'DEPTHWISE_CONV_2D'), [0, 3]);
    const b = goldenDspMismatches(depthwise, 'micro_speech', layersOfKind('micro_speech', 'DEPTHWISE_CONV_2D'), [0, 3]);
    expect([...a.mismatches, ...b.mismatches]).to.deep.equal([]);
    expect(a.runs + b.runs).to.equal(30);
  });

  it('FULLY_CONNECTED: random shapes and batches (symmetric weights: the streaming DSP kernel; weight zero points: portable)', () => {
    const rand = rng(77);
    const cases: CCase[] = [];
    const labels: string[] = [];
    for (let i = 0; i < 30; i++) {
      const inF = rand() < 0.7 ? 4 * randomInt(rand, 1, 12) : randomInt(rand, 1, 20);
      const outF = randomInt(rand, 1, 9);
      const batches = randomInt(rand, 1, 3);
      const perChannel = rand() < 0.4;
      const wZp = !perChannel && rand() < 0.2 ? randomInt(rand, -5, 5) : 0;
      const scales = perChannel ? Array.from({ length: outF }, () => 0.002 + rand() * 0.02) : 0.01;
      const { graph, op } = singleOpGraph(
        'FULLY_CONNECTED',
        [
          { shape: [batches, inF], scale: 0.05, zeroPoint: randomInt(rand, -128, 127) },
          { shape: [outF, inF], scale: scales, zeroPoint: perChannel ? (scales as number[]).map(() => 0) : wZp, data: randomInt8(rand, outF * inF, -127, 127) },
          rand() < 0.8 ? { shape: [outF], dtype: 'int32', data: Int32Array.from({ length: outF }, () => randomInt(rand, -20000, 20000)) } : null,
        ],
        [{ shape: [batches, outF], scale: 0.05 + rand() * 0.3, zeroPoint: randomInt(rand, -128, 127) }],
        { activation: ACTIVATIONS[randomInt(rand, 0, 3)] },
      );
      cases.push({ def: fullyConnected, graph, op, inputs: [randomInt8(rand, batches * inF)] });
      labels.push(`FULLY_CONNECTED #${i} [${batches},${inF}]x[${outF}]`);
    }
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('FULLY_CONNECTED streaming kernel: rows 1..9, features 1, 3, 4, 28, 4000, batches 1 and 3, per-channel and per-tensor, every activation, SMMULR and exact', () => {
    const rand = rng(78);
    const cases: CCase[] = [];
    const labels: string[] = [];
    for (const inF of [1, 3, 4, 28, 4000]) {
      for (let outF = 1; outF <= 9; outF++) {
        const batches = outF % 2 === 1 ? 3 : 1;
        const perChannel = (outF + inF) % 2 === 0;
        // every third layer: weights and biases too large for the SMMULR bound (the exact path)
        const huge = outF % 3 === 0;
        const scales = perChannel ? Array.from({ length: outF }, () => 0.002 + rand() * 0.02) : 0.01;
        const activation = ACTIVATIONS[(outF + inF) % 4]!;
        const { graph, op } = singleOpGraph(
          'FULLY_CONNECTED',
          [
            { shape: [batches, inF], scale: 0.05, zeroPoint: randomInt(rand, -128, 127) },
            {
              shape: [outF, inF],
              scale: scales,
              zeroPoint: perChannel ? (scales as number[]).map(() => 0) : 0,
              data: randomInt8(rand, outF * inF, huge ? -127 : -20, huge ? 127 : 20),
            },
            { shape: [outF], dtype: 'int32', data: Int32Array.from({ length: outF }, () => randomInt(rand, huge ? -2e9 : -20000, huge ? 2e9 : 20000)) },
          ],
          [{ shape: [batches, outF], scale: huge ? 1e-4 : 0.05 + rand() * 0.3, zeroPoint: randomInt(rand, -128, 127) }],
          { activation },
        );
        cases.push({ def: fullyConnected, graph, op, inputs: [randomInt8(rand, batches * inF)] });
        labels.push(`FULLY_CONNECTED [${batches},${inF}]x[${outF}] ${perChannel ? 'per-channel' : 'per-tensor'} ${activation}${huge ? ' huge' : ''}`);
      }
    }
    expect(dspMismatches(cases, labels)).to.deep.equal([]);
  });

  it('real models: every FULLY_CONNECTED layer of hello_world and micro_speech, golden cases 0 to 3', function () {
    if (!sharedModelsAvailable(this)) return;
    const a = goldenDspMismatches(fullyConnected, 'hello_world_int8', layersOfKind('hello_world_int8', 'FULLY_CONNECTED'), [0, 1, 2, 3]);
    const b = goldenDspMismatches(fullyConnected, 'micro_speech', layersOfKind('micro_speech', 'FULLY_CONNECTED'), [0, 1, 2, 3]);
    expect([...a.mismatches, ...b.mismatches]).to.deep.equal([]);
    expect(a.runs + b.runs).to.equal(16);
  });

  it('real models: every CONV_2D layer of person_detect, golden cases 0 and 3', function () {
    if (!sharedModelsAvailable(this)) return;
    const { runs, mismatches } = goldenDspMismatches(conv, 'person_detect', layersOfKind('person_detect', 'CONV_2D'), [0, 3]);
    expect(mismatches).to.deep.equal([]);
    expect(runs).to.equal(28);
  });
});
