// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from './index.ts';
import type { Conv2DParams } from './contract.ts';
import { TinyforgeError } from '../../errors.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { outputSize } from '../common/families/padding.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { goldenCMismatches, goldenReferenceMismatches, layersOfKind } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

interface ConvSpec {
  input: [number, number, number, number];
  /** OHWI */
  filterShape: [number, number, number, number];
  filter: ArrayLike<number>;
  bias?: ArrayLike<number>;
  inScale?: number;
  inZp?: number;
  wScale?: number | number[];
  wZp?: number | number[];
  outScale?: number;
  outZp?: number;
  padding?: Padding;
  stride?: [number, number];
  dilation?: [number, number];
  activation?: FusedActivation;
  outShape?: number[];
}

function convGraph(s: ConvSpec) {
  const [n, h, w] = s.input;
  const [o, kh, kw] = s.filterShape;
  const padding = s.padding ?? 'VALID';
  const [sh, sw] = s.stride ?? [1, 1];
  const [dh, dw] = s.dilation ?? [1, 1];
  const outShape = s.outShape ?? [n, outputSize(padding, h, kh, sh, dh), outputSize(padding, w, kw, sw, dw), o];
  return singleOpGraph(
    'CONV_2D',
    [
      { shape: s.input, scale: s.inScale ?? 1, zeroPoint: s.inZp ?? 0 },
      { shape: s.filterShape, scale: s.wScale ?? 1, zeroPoint: s.wZp, data: Int8Array.from(s.filter) },
      s.bias ? { shape: [o], dtype: 'int32', data: Int32Array.from(s.bias) } : null,
    ],
    [{ shape: outShape, scale: s.outScale ?? 1, zeroPoint: s.outZp ?? 0 }],
    { padding, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, activation: s.activation ?? 'NONE' },
  );
}

function run(s: ConvSpec, input: ArrayLike<number>): number[] {
  const { graph, op } = convGraph(s);
  return Array.from(evaluateOp(conv, graph, op, [Int8Array.from(input)])[0] as Int8Array);
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/** A random valid layer (SAME/VALID, strides, dilation, groups, per-channel, bias, activations); the first 3 pointwise, the second with input zero point 0. */
function randomSpec(rand: () => number, index: number, wide = false): ConvSpec {
  const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
  for (;;) {
    const pointwise = index < 3;
    const groups = !pointwise && rand() < 0.25 ? 2 : 1;
    const fic = randomInt(rand, 1, 5);
    const inC = fic * groups;
    const outC = groups * randomInt(rand, 1, 4);
    const k = pointwise ? [1, 1] : [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
    const stride: [number, number] = pointwise ? [1, 1] : [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
    const dilation: [number, number] = pointwise ? [1, 1] : [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
    const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
    const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
    if (outputSize(padding, input[1], k[0]!, stride[0], dilation[0]) < 1 || outputSize(padding, input[2], k[1]!, stride[1], dilation[1]) < 1) continue;
    const perChannel = rand() < 0.6;
    const spec: ConvSpec = {
      input,
      filterShape: [outC, k[0]!, k[1]!, fic],
      filter: randomInt8(rand, outC * k[0]! * k[1]! * fic, -127, 127),
      bias: rand() < 0.7 ? Int32Array.from({ length: outC }, () => randomInt(rand, -5000, 5000)) : undefined,
      inScale: 0.001 + rand() * 0.1,
      inZp: index === 1 ? 0 : randomInt(rand, -128, 127),
      wScale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.001 + rand() * 0.05,
      outScale: 0.005 + rand() * 0.3,
      outZp: randomInt(rand, -128, 127),
      padding,
      stride,
      dilation,
      activation: activations[randomInt(rand, 0, 3)],
    };
    if (wide) {
      // quantizations over decades
      spec.inScale = Math.exp(-8 + rand() * 8);
      spec.outScale = Math.exp(-7 + rand() * 8);
      const ws = () => Math.exp(-10 + rand() * 7);
      spec.wScale = Array.isArray(spec.wScale) ? spec.wScale.map(ws) : ws();
      if (spec.bias) spec.bias = Int32Array.from(spec.bias, () => randomInt(rand, -100000, 100000));
    }
    return spec;
  }
}

// Expected values below were computed independently (Python, input padded with the zero point,
// which contributes w*(z - z) = 0, i.e. the same as skipping the tap).
describe('CONV_2D', () => {
  describe('reference kernel, hand-computed cases (unit scales: M = 1 is exact)', () => {
    it('VALID, stride 1, with bias', () => {
      const out = run({ input: [1, 3, 3, 1], filterShape: [1, 2, 2, 1], filter: [1, 2, 3, 4], bias: [10] }, range(1, 9));
      expect(out).to.deep.equal([47, 57, 77, 87]);
    });

    it('SAME, stride 2, odd input (pads 1 before and after)', () => {
      const out = run({ input: [1, 5, 5, 1], filterShape: [1, 3, 3, 1], filter: new Array(9).fill(1), padding: 'SAME', stride: [2, 2] }, range(1, 25));
      expect(out).to.deep.equal([16, 33, 28, 69, 117, 87, 76, 123, 88]);
    });

    it('SAME, stride 2, odd total padding goes after (6x6, 3x3: pad 0 before, 1 after)', () => {
      const spec: ConvSpec = {
        input: [1, 6, 6, 1],
        filterShape: [1, 3, 3, 1],
        filter: [1, -1, 2, 0, 1, 0, -2, 1, 1],
        bias: [5],
        padding: 'SAME',
        stride: [2, 2],
      };
      expect(run(spec, range(1, 36))).to.deep.equal([21, 27, 0, 57, 63, 0, 90, 96, 40]);
      const { graph, op } = convGraph(spec);
      const p: Conv2DParams = conv.prepare(graph, op);
      expect([p.padTop, p.padLeft, p.outH, p.outW]).to.deep.equal([0, 0, 3, 3]);
    });

    it('dilation 2, VALID and SAME', () => {
      const ones = new Array(9).fill(1);
      expect(run({ input: [1, 5, 5, 1], filterShape: [1, 3, 3, 1], filter: ones, dilation: [2, 2] }, range(1, 25))).to.deep.equal([117]);
      expect(run({ input: [1, 5, 5, 1], filterShape: [1, 3, 3, 1], filter: ones, dilation: [2, 2], padding: 'SAME' }, range(1, 25))).to.deep.equal([
        28, 32, 48, 32, 36, 48, 52, 78, 52, 56, 72, 78, 117, 78, 84, 48, 52, 78, 52, 56, 68, 72, 108, 72, 76,
      ]);
    });

    it('zero points at the int8 extremes, saturating at both ends', () => {
      const input = [-128, -127, -100, 127, 0, -1, 50, -128, 127];
      const base: ConvSpec = { input: [1, 3, 3, 1], filterShape: [1, 2, 2, 1], filter: [1, -1, 1, -1] };
      expect(run({ ...base, inZp: -128, outZp: 127 }, input)).to.deep.equal([127, 101, 127, -127]);
      expect(run({ ...base, inZp: 127, outZp: -128 }, input)).to.deep.equal([-2, -128, 127, -128]);
    });

    it('per-channel scales (M = 1, 0.5, 0.25), 2 -> 3 channels, SAME', () => {
      const spec: ConvSpec = {
        input: [1, 3, 3, 2],
        filterShape: [3, 2, 2, 2],
        padding: 'SAME',
        bias: [0, -4, 8],
        wScale: [1, 0.5, 0.25],
        filter: [1, 2, 0, -1, 3, 1, -2, 0, 4, 0, 0, 4, -4, 8, 0, 0, 4, 4, 4, 4, 8, -8, 4, 4],
      };
      const input = [3, -1, 0, 4, 2, 2, -3, 1, 5, 0, 1, -2, 0, 0, 7, -7, 2, 1];
      expect(run(spec, input)).to.deep.equal([-21, 22, 5, 19, -8, 19, 7, -8, 12, -15, -8, 5, 17, -38, 37, 4, 0, 3, 7, -16, 2, -8, 14, 5, 4, 2, 5]);
    });

    it('grouped convolution (4 input channels, filters of 2: 2 groups)', () => {
      const spec: ConvSpec = { input: [1, 2, 2, 4], filterShape: [4, 1, 1, 2], filter: [1, 0, 0, 1, -1, 2, 3, -1], bias: [1, 2, 3, 4] };
      expect(run(spec, range(-8, 7))).to.deep.equal([-7, -5, -1, -9, -3, -1, 3, -1, 1, 3, 7, 7, 5, 7, 11, 15]);
    });

    it('clamps to every fused activation range (s_out = 0.5, z_out = -3)', () => {
      // s_in 0.5, s_w 1, s_out 0.5: M = 1; 6/0.5 = 12 steps, 1/0.5 = 2 steps
      const input = range(-40, -32).concat(range(20, 28));
      const base: ConvSpec = { input: [2, 3, 3, 1], filterShape: [1, 1, 1, 1], filter: [1], inScale: 0.5, outScale: 0.5, outZp: -3 };
      const none = run(base, input);
      expect(none).to.deep.equal(input.map((v) => v - 3));
      const clampTo = (lo: number, hi: number) => input.map((v) => Math.min(hi, Math.max(lo, v - 3)));
      expect(run({ ...base, activation: 'RELU' }, input)).to.deep.equal(clampTo(-3, 127));
      expect(run({ ...base, activation: 'RELU6' }, input)).to.deep.equal(clampTo(-3, 9));
      expect(run({ ...base, activation: 'RELU_N1_TO_1' }, input)).to.deep.equal(clampTo(-5, -1));
    });

    it('per-tensor filter scale is broadcast; multipliers use the double product s_in*s_w/s_out', () => {
      // float32 scales for which rounding the product to float32 first would change the multiplier
      const sIn = 7.826369028407498e-7,
        sW = 0.0013153778854757547,
        sOut = 0.07556053251028061;
      const { graph, op } = convGraph({ input: [1, 1, 1, 1], filterShape: [3, 1, 1, 1], filter: [1, 2, 3], inScale: sIn, wScale: sW, outScale: sOut });
      const p = conv.prepare(graph, op);
      expect(p.multiplier).to.deep.equal([1963476017, 1963476017, 1963476017]);
      expect(p.shift).to.deep.equal([-26, -26, -26]);
    });
  });

  describe('check', () => {
    const ok: ConvSpec = { input: [1, 4, 4, 2], filterShape: [3, 2, 2, 2], filter: new Array(24).fill(1) };
    const fails = (s: ConvSpec, pattern: RegExp, mutate?: (g: ReturnType<typeof convGraph>) => void) => {
      const g = convGraph(s);
      mutate?.(g);
      expect(() => conv.check(g.graph, g.op)).to.throw(TinyforgeError, pattern);
    };

    it('accepts a plain layer', () => {
      const g = convGraph(ok);
      expect(() => conv.check(g.graph, g.op)).not.to.throw();
    });
    it('rejects a float32 input with int8 weights', () =>
      fails(ok, /filter tensor 1 "in1" is int8; a float32 layer of CONV_2D takes float32 inputs only/, (g) => {
        g.graph.tensors[0]!.dtype = 'float32';
      }));
    it('rejects a missing quantization', () =>
      fails(ok, /output tensor 2 "out2" has no quantization/, (g) => {
        delete g.graph.tensors[2]!.quant;
      }));
    it('rejects asymmetric weights', () => fails({ ...ok, wZp: 3 }, /filter tensor 1 "in1" has a nonzero zero point/));
    it('rejects a wrong number of per-channel scales', () => fails({ ...ok, wScale: [1, 2] }, /has 2 scales; expected 1 or 3/));
    it('rejects channels that do not divide into groups', () => fails({ ...ok, input: [1, 4, 4, 3] }, /2 input channels, which does not divide the input's 3/));
    it('rejects unsupported fused activations', () => fails({ ...ok, activation: 'TANH' }, /fused activation TANH is not supported/));
    it('rejects an output shape the attributes do not give', () =>
      fails({ ...ok, outShape: [1, 4, 4, 3] }, /output tensor 2 "out2" has shape \[1,4,4,3\]; the attributes give \[1,3,3,3\]/));
    it('rejects a bias of the wrong length', () =>
      fails(ok, /bias tensor 3 "b" has 2 elements; expected 3/, (g) => {
        g.graph.tensors.push({ index: 3, name: 'b', shape: [2], dtype: 'int32', data: new Uint8Array(8) });
        g.op.inputs[2] = 3;
      }));
    it('rejects zero strides', () =>
      fails(ok, /stride_h = 0/, (g) => {
        g.op.attrs.strideH = 0;
      }));
  });

  describe('emitted C matches the reference kernel byte for byte', () => {
    it('random configurations (SAME/VALID, strides, dilation, groups, per-channel, bias, activations)', function () {
      const rand = rng(2024);
      const cases: CCase[] = [];
      while (cases.length < 30) {
        const spec = randomSpec(rand, cases.length);
        const input = spec.input;
        const { graph, op } = convGraph(spec);
        cases.push({
          def: conv,
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
        const expected = evaluateOp(conv, c.graph, c.op, c.inputs)[0] as Int8Array;
        const diff = firstDifference(new Uint8Array(expected.buffer), results[k]![0]!);
        expect(diff, `case ${k} ${JSON.stringify(c.op.attrs)} ${JSON.stringify(c.graph.tensors[1]!.shape)}`).to.equal(undefined);
      });
    });
  });

  describe('against TFLite Micro (tflm-ref), quantizations over decades', () => {
    const sweep = (seed: number, n: number) => {
      const rand = rng(seed);
      return Array.from({ length: n }, (_, k) => {
        const spec = randomSpec(rand, k, true);
        return {
          def: conv,
          ...convGraph(spec),
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
      expectTflmAgrees(conv, sweep(2025, 50));
    });

    it('the emitted C (portable, DSP twin, Armv6-M) matches the reference kernel on them', function () {
      const cases = sweep(2025, 50);
      expectCMatchesReference([
        ...cases,
        ...cases.map((c) => ({ ...c, isa: { dsp: true } })),
        ...cases.map((c) => ({ ...c, isa: { dsp: false, armv6m: true } })),
      ]);
    });
  });

  describe('real models: every CONV_2D layer against TFLite Micro recordings', () => {
    it('person_detect: 14 layers x 4 golden cases (reference kernel)', function () {
      if (!sharedModelsAvailable(this)) return;
      const { runs, mismatches } = goldenReferenceMismatches(conv, 'person_detect');
      expect(runs).to.equal(14 * 4);
      expect(mismatches).to.deep.equal([]);
    });

    it('person_detect: emitted C of the first, a wide and the logits layer', function () {
      if (!sharedModelsAvailable(this)) return;
      const layers = layersOfKind('person_detect', 'CONV_2D');
      const { runs, mismatches } = goldenCMismatches(conv, 'person_detect', [layers[0]!, layers[11]!, layers[13]!], [0, 3]);
      expect(runs).to.equal(6);
      expect(mismatches).to.deep.equal([]);
    });
  });
});
