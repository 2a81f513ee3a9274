// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { TinyforgeError } from '../../errors.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { outputSize } from '../common/families/padding.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { goldenCMismatches, goldenReferenceMismatches, layersOfKind } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

interface DepthwiseSpec {
  input: [number, number, number, number];
  /** [1, kh, kw, in*mult] */
  filterShape: [number, number, number, number];
  filter: ArrayLike<number>;
  bias?: ArrayLike<number>;
  inScale?: number;
  inZp?: number;
  wScale?: number | number[];
  wZp?: number | number[];
  wAxis?: number;
  outScale?: number;
  outZp?: number;
  padding?: Padding;
  stride?: [number, number];
  dilation?: [number, number];
  activation?: FusedActivation;
  depthMultiplier?: number;
  outShape?: number[];
}

function depthwiseGraph(s: DepthwiseSpec) {
  const [n, h, w, c] = s.input;
  const [, kh, kw, oc] = s.filterShape;
  const padding = s.padding ?? 'VALID';
  const [sh, sw] = s.stride ?? [1, 1];
  const [dh, dw] = s.dilation ?? [1, 1];
  const outShape = s.outShape ?? [n, outputSize(padding, h, kh, sh, dh), outputSize(padding, w, kw, sw, dw), oc];
  return singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: s.input, scale: s.inScale ?? 1, zeroPoint: s.inZp ?? 0 },
      { shape: s.filterShape, scale: s.wScale ?? 1, zeroPoint: s.wZp, axis: s.wAxis ?? 3, data: Int8Array.from(s.filter) },
      s.bias ? { shape: [oc], dtype: 'int32', data: Int32Array.from(s.bias) } : null,
    ],
    [{ shape: outShape, scale: s.outScale ?? 1, zeroPoint: s.outZp ?? 0 }],
    {
      padding,
      strideH: sh,
      strideW: sw,
      dilationH: dh,
      dilationW: dw,
      activation: s.activation ?? 'NONE',
      depthMultiplier: s.depthMultiplier ?? oc / c,
    },
  );
}

function run(s: DepthwiseSpec, input: ArrayLike<number>): number[] {
  const { graph, op } = depthwiseGraph(s);
  return Array.from(evaluateOp(depthwise, graph, op, [Int8Array.from(input)])[0] as Int8Array);
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

// Expected values computed independently (Python: depthwise as a grouped convolution over an input
// padded with the zero point).
describe('DEPTHWISE_CONV_2D', () => {
  describe('reference kernel, hand-computed cases', () => {
    it('depth multiplier 2, per-channel M = 1, 0.5, 1, 0.25, with bias', () => {
      const spec: DepthwiseSpec = {
        input: [1, 3, 3, 2],
        filterShape: [1, 2, 2, 4],
        bias: [3, -2, 0, 4],
        wScale: [1, 0.5, 1, 0.25],
        filter: [1, 2, -1, 4, 0, 2, 3, -4, 2, -2, 1, 0, -1, 6, 2, 8],
      };
      const input = [1, -2, 3, 0, -1, 4, 2, 2, 0, -3, 5, 1, 6, -6, 1, 1, -2, 3];
      expect(run(spec, input)).to.deep.equal([8, 1, -2, -7, 1, 16, 11, -1, 16, -2, -15, 8, 7, -3, 13, 3]);
    });

    it('SAME with unequal strides (1, 2) and dilations (2, 1) on an odd input', () => {
      const spec: DepthwiseSpec = {
        input: [1, 5, 5, 1],
        filterShape: [1, 3, 3, 1],
        filter: [1, 0, -1, 2, 1, 0, 0, 1, 3],
        padding: 'SAME',
        stride: [1, 2],
        dilation: [2, 1],
      };
      expect(run(spec, range(1, 25))).to.deep.equal([48, 62, 28, 73, 97, 48, 96, 127, 72, 9, 50, 67, 9, 65, 87]);
    });

    it('SAME, stride 2: padded taps contribute nothing even with z_in = -128', () => {
      // every input at the zero point: each output is exactly bias + z_out, whatever the taps
      const spec: DepthwiseSpec = {
        input: [1, 4, 4, 3],
        filterShape: [1, 3, 3, 3],
        filter: range(1, 27),
        bias: [7, -9, 100],
        inZp: -128,
        outZp: 127,
        padding: 'SAME',
        stride: [2, 2],
      };
      const out = run(spec, new Array(48).fill(-128));
      expect(out).to.deep.equal(new Array(4).fill([127, 118, 127]).flat());
    });

    it('zero points at both extremes', () => {
      const spec: DepthwiseSpec = { input: [1, 1, 2, 2], filterShape: [1, 1, 2, 2], filter: [1, -1, 1, 1], inZp: 127, outZp: -128 };
      // ch0: 1*(-128-127) + 1*(0-127) = -382 -> -510 clamps to -128; ch1: -1*(127-127) + 1*(-1-127) = -128 -> -256 clamps
      expect(run(spec, [-128, 127, 0, -1])).to.deep.equal([-128, -128]);
      expect(run({ ...spec, inZp: -128, outZp: 127 }, [-128, 127, 0, -1])).to.deep.equal([127, -1]);
      expect(run({ ...spec, inZp: -128, outZp: -128 }, [-128, -128, -128, 127])).to.deep.equal([-128, 127]);
    });

    it('clamps to every fused activation range (s_out = 0.25, z_out = 10)', () => {
      // s_in 0.25, s_w 1, s_out 0.25: M = 1; 6/0.25 = 24 steps, 1/0.25 = 4 steps
      const input = range(-60, 59);
      const base: DepthwiseSpec = { input: [1, 1, 120, 1], filterShape: [1, 1, 1, 1], filter: [1], inScale: 0.25, outScale: 0.25, outZp: 10 };
      const clampTo = (lo: number, hi: number) => input.map((v) => Math.min(hi, Math.max(lo, v + 10)));
      expect(run(base, input)).to.deep.equal(clampTo(-128, 127));
      expect(run({ ...base, activation: 'RELU' }, input)).to.deep.equal(clampTo(10, 127));
      expect(run({ ...base, activation: 'RELU6' }, input)).to.deep.equal(clampTo(10, 34));
      expect(run({ ...base, activation: 'RELU_N1_TO_1' }, input)).to.deep.equal(clampTo(6, 14));
    });

    it('a single filter scale is broadcast to every channel (per-tensor)', () => {
      const { graph, op } = depthwiseGraph({ input: [1, 2, 2, 2], filterShape: [1, 1, 1, 6], filter: range(1, 6), wScale: 0.5 });
      const p = depthwise.prepare(graph, op);
      expect(p.depthMultiplier).to.equal(3);
      expect(p.multiplier).to.deep.equal(new Array(6).fill(1 << 30));
      expect(p.shift).to.deep.equal(new Array(6).fill(0));
      expect(run({ input: [1, 1, 1, 2], filterShape: [1, 1, 1, 6], filter: [2, 4, 6, 8, 10, 12], wScale: 0.5 }, [10, -10])).to.deep.equal([
        10, 20, 30, -40, -50, -60,
      ]);
    });
  });

  describe('check', () => {
    const ok: DepthwiseSpec = { input: [1, 4, 4, 2], filterShape: [1, 3, 3, 4], filter: new Array(36).fill(1) };
    const fails = (s: DepthwiseSpec, pattern: RegExp, mutate?: (g: ReturnType<typeof depthwiseGraph>) => void) => {
      const g = depthwiseGraph(s);
      mutate?.(g);
      expect(() => depthwise.check(g.graph, g.op)).to.throw(TinyforgeError, pattern);
    };
    it('accepts a plain layer', () => {
      const g = depthwiseGraph(ok);
      expect(() => depthwise.check(g.graph, g.op)).not.to.throw();
    });
    it('rejects a filter whose first dimension is not 1', () =>
      fails(
        { ...ok, filterShape: [2, 3, 3, 2], filter: new Array(36).fill(1) },
        /filter tensor 1 "in1" has shape \[2,3,3,2\]; expected \[1, kh, kw, channels\]/,
      ));
    it('rejects channels that are not a multiple of the input channels', () =>
      fails({ ...ok, filterShape: [1, 3, 3, 3], filter: new Array(27).fill(1), depthMultiplier: 1 }, /3 channels, not a multiple of the input's 2/));
    it('rejects a depth_multiplier attribute that contradicts the shapes', () => fails({ ...ok, depthMultiplier: 3 }, /depth_multiplier 3 disagrees/));
    it('rejects per-channel scales along the wrong axis', () => fails({ ...ok, wScale: [1, 1, 1, 1], wAxis: 0 }, /quantized along axis 0; expected axis 3/));
    it('rejects an int16 output', () =>
      fails(ok, /output tensor 2 "out2" is int16/, (g) => {
        g.graph.tensors[2]!.dtype = 'int16';
      }));
    it('rejects a non-constant filter', () =>
      fails(ok, /filter tensor 1 "in1" is not a constant tensor/, (g) => {
        delete g.graph.tensors[1]!.data;
      }));
  });

  describe('emitted C matches the reference kernel byte for byte', () => {
    it('random configurations (multipliers 1-3, SAME/VALID, strides, dilation, per-tensor and per-channel)', function () {
      const rand = rng(77);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases: CCase[] = [];
      while (cases.length < 30) {
        const inC = randomInt(rand, 1, 5);
        const mult = randomInt(rand, 1, 3);
        const outC = inC * mult;
        const k = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
        const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
        const dilation: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
        const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
        const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
        if (outputSize(padding, input[1], k[0]!, stride[0], dilation[0]) < 1 || outputSize(padding, input[2], k[1]!, stride[1], dilation[1]) < 1) continue;
        const spec: DepthwiseSpec = {
          input,
          filterShape: [1, k[0]!, k[1]!, outC],
          filter: randomInt8(rand, k[0]! * k[1]! * outC, -127, 127),
          bias: rand() < 0.7 ? Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)) : undefined,
          inScale: 0.001 + rand() * 0.1,
          inZp: randomInt(rand, -128, 127),
          wScale: rand() < 0.6 ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.001 + rand() * 0.05,
          outScale: 0.002 + rand() * 0.1,
          outZp: randomInt(rand, -128, 127),
          padding,
          stride,
          dilation,
          activation: activations[randomInt(rand, 0, 3)],
        };
        const { graph, op } = depthwiseGraph(spec);
        cases.push({
          def: depthwise,
          graph,
          op,
          inputs: [
            randomInt8(
              rand,
              input.reduce((a, b) => a * b, 1),
            ),
          ],
        });
      }
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
        const diff = firstDifference(new Uint8Array(expected.buffer), results[k]![0]!);
        expect(diff, `case ${k} ${JSON.stringify(c.op.attrs)} ${JSON.stringify(c.graph.tensors[1]!.shape)}`).to.equal(undefined);
      });
    });
  });

  describe('against TFLite Micro (tflm-ref), quantizations over decades', () => {
    /**
     * Random layers: multipliers 1-3, SAME/VALID, strides, dilations, per-tensor or per-channel, scales
     * over decades. With `noBias`, some have no bias: TFLite Micro (this commit) aborts on an int8
     * DEPTHWISE_CONV_2D without one, so only the C is compared there.
     */
    const sweep = (seed: number, n: number, noBias = false): CCase[] => {
      const rand = rng(seed);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases: CCase[] = [];
      while (cases.length < n) {
        const inC = randomInt(rand, 1, 5);
        const outC = inC * randomInt(rand, 1, 3);
        const k = [randomInt(rand, 1, 4), randomInt(rand, 1, 4)];
        const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
        const dilation: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
        const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
        const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
        if (outputSize(padding, input[1], k[0]!, stride[0], dilation[0]) < 1 || outputSize(padding, input[2], k[1]!, stride[1], dilation[1]) < 1) continue;
        const ws = () => Math.exp(-10 + rand() * 7);
        const spec: DepthwiseSpec = {
          input,
          filterShape: [1, k[0]!, k[1]!, outC],
          filter: randomInt8(rand, k[0]! * k[1]! * outC, -127, 127),
          bias: !noBias || rand() < 0.7 ? Int32Array.from({ length: outC }, () => randomInt(rand, -100000, 100000)) : undefined,
          inScale: Math.exp(-8 + rand() * 8),
          inZp: randomInt(rand, -128, 127),
          wScale: rand() < 0.6 ? Array.from({ length: outC }, ws) : ws(),
          outScale: Math.exp(-7 + rand() * 8),
          outZp: randomInt(rand, -128, 127),
          padding,
          stride,
          dilation,
          activation: activations[randomInt(rand, 0, 3)],
        };
        cases.push({
          def: depthwise,
          ...depthwiseGraph(spec),
          inputs: [
            randomInt8(
              rand,
              input.reduce((a, b) => a * b, 1),
            ),
          ],
        });
      }
      return cases;
    };

    it('the reference kernel agrees byte for byte on random layers', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(depthwise, sweep(78, 50));
    });

    it('the emitted C (portable, DSP twin, Armv6-M) matches the reference kernel on them', function () {
      const cases = sweep(78, 50, true);
      expectCMatchesReference([
        ...cases,
        ...cases.map((c) => ({ ...c, isa: { dsp: true } })),
        ...cases.map((c) => ({ ...c, isa: { dsp: false, armv6m: true } })),
      ]);
    });
  });

  describe('real models: every DEPTHWISE_CONV_2D layer against TFLite Micro recordings', () => {
    it('micro_speech: 1 layer x 4 golden cases (reference kernel and C)', function () {
      if (!sharedModelsAvailable(this)) return;
      const ref = goldenReferenceMismatches(depthwise, 'micro_speech');
      expect(ref.runs).to.equal(4);
      expect(ref.mismatches).to.deep.equal([]);
      const c = goldenCMismatches(depthwise, 'micro_speech', layersOfKind('micro_speech', 'DEPTHWISE_CONV_2D'), [0, 1, 2, 3]);
      expect(c.mismatches).to.deep.equal([]);
    });

    it('person_detect: 14 layers x 4 golden cases (reference kernel)', function () {
      if (!sharedModelsAvailable(this)) return;
      const { runs, mismatches } = goldenReferenceMismatches(depthwise, 'person_detect');
      expect(runs).to.equal(14 * 4);
      expect(mismatches).to.deep.equal([]);
    });

    it('person_detect: emitted C of the multiplier-8 input layer and two stride-2 layers', function () {
      if (!sharedModelsAvailable(this)) return;
      const layers = layersOfKind('person_detect', 'DEPTHWISE_CONV_2D');
      const { runs, mismatches } = goldenCMismatches(depthwise, 'person_detect', [layers[0]!, layers[2]!, layers[12]!], [0, 3]);
      expect(runs).to.equal(6);
      expect(mismatches).to.deep.equal([]);
    });
  });
});
