// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import fc from './index.ts';
import { TinyforgeError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { type CCase, evaluateOp, expectCasesBitExactInC, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { goldenCMismatches, goldenReferenceMismatches, layersOfKind } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { rowBlocks84 } from '../common/codecs/row_blocks.ts';
import { selectVariant } from '../variant.ts';
import { isaFamily } from '../op.ts';

interface FcSpec {
  input: number[];
  /** [out, in] */
  weightShape: [number, number];
  weights: ArrayLike<number>;
  bias?: ArrayLike<number>;
  biasScale?: number;
  inScale?: number;
  inZp?: number;
  wScale?: number | number[];
  wZp?: number | number[];
  outScale?: number;
  outZp?: number;
  activation?: FusedActivation;
  keepNumDims?: boolean;
  outShape?: number[];
}

function fcGraph(s: FcSpec) {
  const [out, inF] = s.weightShape;
  const batches = s.input.reduce((a, b) => a * b, 1) / inF;
  const outShape = s.outShape ?? (s.keepNumDims ? [...s.input.slice(0, -1), out] : [batches, out]);
  return singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: s.input, scale: s.inScale ?? 1, zeroPoint: s.inZp ?? 0 },
      { shape: s.weightShape, scale: s.wScale ?? 1, zeroPoint: s.wZp, data: Int8Array.from(s.weights) },
      s.bias ? { shape: [out], dtype: 'int32', data: Int32Array.from(s.bias), scale: s.biasScale } : null,
    ],
    [{ shape: outShape, scale: s.outScale ?? 1, zeroPoint: s.outZp ?? 0 }],
    { activation: s.activation ?? 'NONE', keepNumDims: s.keepNumDims ?? false },
  );
}

function run(s: FcSpec, input: ArrayLike<number>): number[] {
  const { graph, op } = fcGraph(s);
  return Array.from(evaluateOp(fc, graph, op, [Int8Array.from(input)])[0] as Int8Array);
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe('FULLY_CONNECTED', () => {
  describe('reference kernel, hand-computed cases (unit scales unless said)', () => {
    const base: FcSpec = { input: [1, 3], weightShape: [2, 3], weights: [1, 0, -1, 2, 2, 2], bias: [5, -5] };

    it('one row with bias: [1,2,3] . [[1,0,-1],[2,2,2]] + [5,-5]', () => {
      expect(run(base, [1, 2, 3])).to.deep.equal([3, 7]);
      expect(run({ ...base, bias: undefined }, [1, 2, 3])).to.deep.equal([-2, 12]);
    });

    it('a weight zero point (legacy per-tensor) is subtracted from every weight', () => {
      expect(run({ ...base, weights: [3, 2, 1, 4, 4, 4], wZp: 2 }, [1, 2, 3])).to.deep.equal([3, 7]);
    });

    it('zero points at the int8 extremes', () => {
      // x - z = [0, 255, 128]: rows give -128 + 5 and 766 - 5
      expect(run({ ...base, inZp: -128, outZp: 127 }, [-128, 127, 0])).to.deep.equal([4, 127]);
      expect(run({ ...base, inZp: -128, outZp: -128 }, [-128, 127, 0])).to.deep.equal([-128, 127]);
      // x - z = [-255, 0, -127]
      expect(run({ ...base, inZp: 127, outZp: 0 }, [-128, 127, 0])).to.deep.equal([-123, -128]);
    });

    it('per-channel weight scales (M = 1, 0.5)', () => {
      expect(run({ ...base, wScale: [1, 0.5], bias: [5, -4] }, [1, 2, 3])).to.deep.equal([3, 4]);
    });

    it('batches from a higher-rank input, with and without keep_num_dims', () => {
      const spec: FcSpec = { input: [2, 3, 4], weightShape: [2, 4], weights: [1, 1, 1, 1, 1, -1, 0, 0] };
      const input = range(-12, 11);
      const expected: number[] = [];
      for (let r = 0; r < 6; r++) {
        const x = input.slice(r * 4, r * 4 + 4);
        expected.push(x[0]! + x[1]! + x[2]! + x[3]!, x[0]! - x[1]!);
      }
      expect(run(spec, input)).to.deep.equal(expected);
      const kept = fcGraph({ ...spec, keepNumDims: true });
      expect(kept.graph.tensors[kept.op.outputs[0]!]!.shape).to.deep.equal([2, 3, 2]);
      expect(run({ ...spec, keepNumDims: true }, input)).to.deep.equal(expected);
      expect(fc.prepare(kept.graph, kept.op).batches).to.equal(6);
    });

    it('clamps to every fused activation range (s_in = s_out = 0.125, z_out = -20)', () => {
      const input = range(-100, 100);
      const spec: FcSpec = { input: [201, 1], weightShape: [1, 1], weights: [1], inScale: 0.125, outScale: 0.125, outZp: -20 };
      const clampTo = (lo: number, hi: number) => input.map((v) => Math.min(hi, Math.max(lo, v - 20)));
      expect(run(spec, input)).to.deep.equal(clampTo(-128, 127));
      expect(run({ ...spec, activation: 'RELU' }, input)).to.deep.equal(clampTo(-20, 127));
      expect(run({ ...spec, activation: 'RELU6' }, input)).to.deep.equal(clampTo(-20, 28));
      expect(run({ ...spec, activation: 'RELU_N1_TO_1' }, input)).to.deep.equal(clampTo(-28, -12));
    });

    it('per-tensor multiplier rounds s_in*s_w to float32 first; per-channel keeps the double product', () => {
      // float32 scales for which the two formulas give different multipliers
      const sIn = 7.826369028407498e-7,
        sW = 0.0013153778854757547,
        sOut = 0.07556053251028061;
      const tensorWise = fcGraph({ ...base, inScale: sIn, wScale: sW, outScale: sOut, bias: undefined });
      expect(fc.prepare(tensorWise.graph, tensorWise.op).multiplier).to.deep.equal([1963476051, 1963476051]);
      const channelWise = fcGraph({ ...base, inScale: sIn, wScale: [sW, sW], outScale: sOut, bias: undefined });
      expect(fc.prepare(channelWise.graph, channelWise.op).multiplier).to.deep.equal([1963476017, 1963476017]);
    });
  });

  describe('check', () => {
    const ok: FcSpec = { input: [2, 6], weightShape: [4, 6], weights: new Array(24).fill(1), bias: [0, 0, 0, 0] };
    const fails = (s: FcSpec, pattern: RegExp, mutate?: (g: ReturnType<typeof fcGraph>) => void) => {
      const g = fcGraph(s);
      mutate?.(g);
      expect(() => fc.check(g.graph, g.op)).to.throw(TinyforgeError, pattern);
    };
    it('accepts a plain layer', () => {
      const g = fcGraph(ok);
      expect(() => fc.check(g.graph, g.op)).not.to.throw();
    });
    it('rejects weights that are not 2-D', () =>
      fails(ok, /weights tensor 1 "in1" has shape \[4,6,1\]; expected rank 2/, (g) => {
        g.graph.tensors[1]!.shape = [4, 6, 1];
      }));
    it('rejects an input that is not whole rows', () =>
      fails({ ...ok, input: [1, 7], outShape: [1, 4] }, /input tensor 0 "in0" has 7 elements, not a multiple of the 6 input features/));
    it('rejects an output of the wrong size', () => fails({ ...ok, outShape: [1, 4] }, /output tensor 3 "out3" has shape \[1,4\]; expected 2 row\(s\) of 4/));
    it('rejects per-channel weights with a zero point', () =>
      fails({ ...ok, wScale: [1, 1, 1, 1], wZp: [0, 1, 0, 0] }, /per-channel weights must be symmetric/));
    it('rejects a bias whose scale is not s_in*s_w (TFLite refuses it too)', () =>
      fails({ ...ok, inScale: 0.5, wScale: 0.5, biasScale: 1 }, /bias tensor 2 "in2" has scale 1; expected input scale \* weight scale = 0.25/));
    it('rejects a uint8 input', () =>
      fails(ok, /input tensor 0 "in0" is uint8/, (g) => {
        g.graph.tensors[0]!.dtype = 'uint8';
      }));
    it('rejects TANH', () => fails({ ...ok, activation: 'TANH' }, /fused activation TANH is not supported/));
  });

  describe('emitted C matches the reference kernel byte for byte', () => {
    it('random configurations (batches, per-tensor with and without a weight zero point, per-channel, bias, activations)', function () {
      const rand = rng(5);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases: CCase[] = [];
      for (let k = 0; k < 30; k++) {
        const inF = randomInt(rand, 1, 40);
        const out = randomInt(rand, 1, 10);
        const batches = randomInt(rand, 1, 3);
        const perChannel = k % 3 === 0;
        const spec: FcSpec = {
          input: [batches, inF],
          weightShape: [out, inF],
          weights: randomInt8(rand, out * inF, -127, 127),
          bias: rand() < 0.7 ? Int32Array.from({ length: out }, () => randomInt(rand, -20000, 20000)) : undefined,
          inScale: 0.001 + rand() * 0.1,
          inZp: k % 4 === 1 ? 0 : randomInt(rand, -128, 127),
          wScale: perChannel ? Array.from({ length: out }, () => 0.001 + rand() * 0.05) : 0.001 + rand() * 0.05,
          wZp: !perChannel && k % 3 === 1 ? randomInt(rand, -20, 20) : undefined,
          outScale: 0.01 + rand() * 0.5,
          outZp: randomInt(rand, -128, 127),
          activation: activations[randomInt(rand, 0, 3)],
        };
        const { graph, op } = fcGraph(spec);
        cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * inF)] });
      }
      expectCasesBitExactInC(cases, (c) => `weights ${JSON.stringify(c.graph.tensors[1]!.shape)} ${JSON.stringify(c.graph.tensors[1]!.quant)}`);
    });
  });

  describe('Armv6-M variant (RP2040): emitted C (C twins of the assembly) matches the reference byte for byte', () => {
    it('blocks of 8 and 4 rows and 1-3 left over, one input feature, per-channel, large biases, gains above 1', function () {
      const rand = rng(2040);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases: CCase[] = [];
      for (let k = 0; k < 36; k++) {
        const inF = k % 6 === 0 ? 1 : randomInt(rand, 1, 70);
        const out = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 15, 16, 19, 27][k % 14]!;
        const batches = randomInt(rand, 1, 3);
        const perChannel = k % 3 === 0;
        // large biases push the bound past the pieces (tf_m0_srdhm); small output scales give left shifts
        const huge = k % 5 === 4;
        const spec: FcSpec = {
          input: [batches, inF],
          weightShape: [out, inF],
          weights: randomInt8(rand, out * inF, -127, 127),
          bias: rand() < 0.7 ? Int32Array.from({ length: out }, () => randomInt(rand, huge ? -2e9 : -20000, huge ? 2e9 : 20000)) : undefined,
          inScale: 0.001 + rand() * 0.1,
          inZp: k % 4 === 1 ? 0 : randomInt(rand, -128, 127),
          wScale: perChannel ? Array.from({ length: out }, () => 0.001 + rand() * 0.05) : 0.001 + rand() * 0.05,
          wZp: !perChannel && k % 7 === 1 ? randomInt(rand, -20, 20) : undefined,
          outScale: k % 4 === 2 ? 0.00001 + rand() * 0.0001 : 0.01 + rand() * 0.5,
          outZp: randomInt(rand, -128, 127),
          activation: activations[randomInt(rand, 0, 3)],
        };
        const { graph, op } = fcGraph(spec);
        cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * inF)], isa: { dsp: false, armv6m: true } });
      }
      expectCasesBitExactInC(cases, (c) => `weights ${JSON.stringify(c.graph.tensors[1]!.shape)} ${JSON.stringify(c.graph.tensors[1]!.quant)}`);
    });

    it('re-lays the weights in blocks of 8, then 4, then plain rows, byte for byte as many', () => {
      const rows = 15;
      const cols = 3;
      const w = Int8Array.from({ length: rows * cols }, (_, i) => i);
      const out = rowBlocks84(w, rows, cols);
      expect(out.length).to.equal(w.length);
      // block of 8: column 0 of rows 0..7 first
      expect(Array.from(out.subarray(0, 8))).to.deep.equal([0, 3, 6, 9, 12, 15, 18, 21]);
      // block of 4 (rows 8..11): column 0, then column 1
      expect(Array.from(out.subarray(24, 32))).to.deep.equal([24, 27, 30, 33, 25, 28, 31, 34]);
      // rows 12..14 plain
      expect(Array.from(out.subarray(36))).to.deep.equal(Array.from(w.subarray(36)));
    });
  });

  describe('against TFLite Micro (tflm-ref), quantizations over decades', () => {
    /**
     * Random layers: batches, keep_num_dims, per-tensor or per-channel, scales over decades, the bias
     * on scale s_in·s_w (TFLite checks it where there is one weight scale). With `weightZeroPoints`, some
     * per-tensor weights have a zero point: TFLite Micro (this commit) aborts on those, so only the C
     * is compared there.
     */
    const sweep = (seed: number, n: number, weightZeroPoints = false): CCase[] => {
      const rand = rng(seed);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      return Array.from({ length: n }, (_, k) => {
        const inF = randomInt(rand, 1, 40);
        const out = randomInt(rand, 1, 12);
        const lead = k % 4 === 3 ? [randomInt(rand, 1, 2), randomInt(rand, 1, 3)] : [randomInt(rand, 1, 3)];
        const perChannel = k % 3 === 0;
        const ws = () => Math.exp(-10 + rand() * 7);
        const spec: FcSpec = {
          input: [...lead, inF],
          weightShape: [out, inF],
          weights: randomInt8(rand, out * inF, -127, 127),
          bias: rand() < 0.7 ? Int32Array.from({ length: out }, () => randomInt(rand, -100000, 100000)) : undefined,
          inScale: Math.exp(-8 + rand() * 8),
          inZp: k % 4 === 1 ? 0 : randomInt(rand, -128, 127),
          wScale: perChannel ? Array.from({ length: out }, ws) : ws(),
          wZp: weightZeroPoints && !perChannel && k % 3 === 1 ? randomInt(rand, -20, 20) : undefined,
          outScale: Math.exp(-7 + rand() * 8),
          outZp: randomInt(rand, -128, 127),
          activation: activations[randomInt(rand, 0, 3)],
          keepNumDims: k % 4 === 3 && rand() < 0.5,
        };
        if (spec.bias && (!perChannel || out === 1)) spec.biasScale = spec.inScale! * ([] as number[]).concat(spec.wScale!)[0]!;
        return {
          def: fc,
          ...fcGraph(spec),
          inputs: [
            randomInt8(
              rand,
              spec.input.reduce((a, b) => a * b, 1),
            ),
          ],
        };
      });
    };

    it('the reference kernel agrees byte for byte on random layers', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(fc, sweep(6, 60));
    });

    it('the emitted C (portable, Armv6-M) matches the reference kernel on them', function () {
      const cases = sweep(6, 60, true);
      expectCMatchesReference([...cases, ...cases.map((c) => ({ ...c, isa: { dsp: false, armv6m: true } }))]);
    });

    it("layers with a weight zero point run every family's kernel exactly: weights with the offset folded in, or per-batch corrected starts", function () {
      // every layer has a weight zero point; half the layers' weights leave room for it in int8 (folded
      // at compile time), the rest span the whole range (the per-batch correction); input offsets
      // reach both ends, large biases and left shifts (tiny output scales) test the bounds
      const rand = rng(61);
      const cases: CCase[] = Array.from({ length: 40 }, (_, k) => {
        const inF = randomInt(rand, 1, 40);
        const out = randomInt(rand, 1, 20);
        const wZp = randomInt(rand, 1, 40) * (rand() < 0.5 ? -1 : 1);
        const fits = k % 2 === 0;
        const weights = fits ? randomInt8(rand, out * inF, Math.max(-128, -128 + wZp), Math.min(127, 127 + wZp)) : randomInt8(rand, out * inF, -128, 127);
        const spec: FcSpec = {
          input: [randomInt(rand, 1, 3), inF],
          weightShape: [out, inF],
          weights,
          bias: rand() < 0.7 ? Int32Array.from({ length: out }, () => randomInt(rand, k % 5 === 4 ? -2e9 : -100000, k % 5 === 4 ? 2e9 : 100000)) : undefined,
          inScale: Math.exp(-8 + rand() * 8),
          inZp: [0, -128, 127, randomInt(rand, -128, 127)][k % 4],
          wScale: Math.exp(-10 + rand() * 7),
          wZp,
          outScale: k % 7 === 3 ? 1e-6 : Math.exp(-7 + rand() * 8),
          outZp: randomInt(rand, -128, 127),
          activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[randomInt(rand, 0, 3)],
        };
        if (spec.bias) spec.biasScale = spec.inScale! * (spec.wScale as number);
        return { def: fc, ...fcGraph(spec), inputs: [randomInt8(rand, spec.input[0]! * inF)] };
      });
      const families = [{ dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
      for (const isa of families) {
        const picked = cases.map((c) => selectVariant(fc, fc.prepare(c.graph, c.op), isa).family);
        expect(new Set(picked), JSON.stringify(isa)).to.deep.equal(new Set([isaFamily(isa)]));
      }
      expectCMatchesReference(families.flatMap((isa) => cases.map((c) => ({ ...c, isa }))));
    });
  });

  describe('real models: every FULLY_CONNECTED layer against TFLite Micro recordings', () => {
    for (const [model, layers] of [
      ['hello_world_int8', 3],
      ['micro_speech', 1],
      ['mnist_lstm_int8', 1],
    ] as const) {
      it(`${model}: ${layers} layer(s) x 4 golden cases (reference kernel and C)`, function () {
        if (!sharedModelsAvailable(this)) return;
        const ref = goldenReferenceMismatches(fc, model);
        expect(ref.runs).to.equal(layers * 4);
        expect(ref.mismatches).to.deep.equal([]);
        const c = goldenCMismatches(fc, model, layersOfKind(model, 'FULLY_CONNECTED'), [0, 1, 2, 3]);
        expect(c.runs).to.equal(layers * 4);
        expect(c.mismatches).to.deep.equal([]);
      });
    }
  });
});
