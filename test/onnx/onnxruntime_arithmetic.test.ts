// SPDX-License-Identifier: Apache-2.0
/**
 * Layers that must match ONNX Runtime (attrs.arithmetic 'onnxruntime'): the reference kernels equal
 * onnxruntime-web on the same layer written as a QDQ model (which ORT fuses into QLinearConv,
 * QGemm, QLinearMatMul at graphOptimizationLevel 'all'), over >= 10^5 outputs per op with inputs
 * and scales that hit halves and saturation; and the emitted C equals the reference kernels.
 */
import { expect } from 'chai';
import conv2d from '../../src/core/ops/conv_2d/index.ts';
import depthwise from '../../src/core/ops/depthwise_conv_2d/index.ts';
import fullyConnected from '../../src/core/ops/fully_connected/index.ts';
import add from '../../src/core/ops/add/index.ts';
import mul from '../../src/core/ops/mul/index.ts';
import quantize from '../../src/core/ops/quantize/index.ts';
import averagePool from '../../src/core/ops/average_pool_2d/index.ts';
import mean from '../../src/core/ops/mean/index.ts';
import concatenation from '../../src/core/ops/concatenation/index.ts';
import type { KernelIsa, OpDef } from '../../src/core/ops/op.ts';
import type { Graph, Op } from '../../src/core/ir/graph.ts';
import { type CCase, emitLayerC, evaluateOp, expectCasesBitExactInC, randomInt, randomInt8, rng, singleOpGraph } from '../helpers/op_harness.ts';
import { dq, int32Tensor, int8Tensor, intAttr, intsAttr, loadOrt, node, onnxModel, q, quantParams, runOrt } from '../helpers/onnx_qdq.ts';
import { ortOutputScale, requantF32, roundHalfEven } from '../../src/core/ops/common/numerics/requant_f32.ts';
import { f32 } from '../../src/core/ops/common/numerics/fixedpoint.ts';

const ORT = { arithmetic: 'onnxruntime' };

/**
 * The families whose kernels take layers that must match ONNX Runtime, and what their layers' C says
 * per op (an op not listed runs the portable C there).
 */
const ORT_FAMILIES: { name: string; isa: KernelIsa; kernels: Partial<Record<string, RegExp>> }[] = [
  {
    name: 'Arm DSP',
    isa: { dsp: true },
    kernels: {
      CONV_2D: /Arm DSP: im2col.*ONNX Runtime's float32 requantization/,
      DEPTHWISE_CONV_2D: /Arm DSP: .*ONNX Runtime's float32 requantization/,
      FULLY_CONNECTED: /ONNX Runtime's float32 requantization/,
    },
  },
  { name: 'Armv6-M', isa: { dsp: false, armv6m: true }, kernels: { CONV_2D: /Armv6-M: im2col.*ONNX Runtime's float32 requantization in integer/ } },
  {
    name: 'RV32',
    isa: { dsp: false, rv32: true },
    kernels: { CONV_2D: /tf_rv32_rq_ort/, DEPTHWISE_CONV_2D: /RV32IMC: .*\n[^]*tf_rv32_rq_ort/, FULLY_CONNECTED: /tf_rv32_rq_ort/ },
  },
];

/** Per-channel weight scales: even channels powers of two over small weights (many exact halves), odd ones arbitrary. */
function channelScales(rand: () => number, channels: number, typical: number): number[] {
  return Array.from({ length: channels }, (_, c) => (c % 2 === 0 ? 2 ** -(3 + (c % 3)) : f32(typical * (0.5 + rand()))));
}

function channelWeights(rand: () => number, channels: number, perChannel: number): Int8Array {
  const w = new Int8Array(channels * perChannel);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < perChannel; i++) w[c * perChannel + i] = c % 2 === 0 ? randomInt(rand, -2, 2) : randomInt(rand, -127, 127);
  }
  return w;
}

/** One comparison: the interpreter's outputs (already in ONNX's layout) against ORT's, element by element. */
function expectSame(ours: ArrayLike<number>[], theirs: ArrayLike<number>[], label: string): void {
  let total = 0;
  for (let k = 0; k < ours.length; k++) {
    const a = ours[k]!;
    const b = theirs[k]!;
    expect(a.length, `${label} feed ${k} length`).to.equal(b.length);
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) expect.fail(`${label}: feed ${k} element ${i}: tinyforge ${a[i]}, ONNX Runtime ${b[i]}`);
    }
    total += a.length;
  }
  expect(total, `${label}: outputs compared`).to.be.at.least(100_000);
}

interface ConvCase {
  depthwise: boolean;
  inC: number;
  outC: number;
  k: number;
  size: number;
  graph: Graph;
  op: Op;
  onnx: Uint8Array;
}

/** A 3x3 SAME convolution (or depthwise) as a QDQ ONNX model and as the IR layer with arithmetic 'onnxruntime'. */
function convCase(seed: number, isDepthwise: boolean): ConvCase {
  const rand = rng(seed);
  const inC = 8;
  const outC = isDepthwise ? inC : 16;
  const k = 3;
  const size = 16;
  const perChannel = isDepthwise ? k * k : k * k * inC;
  const sx = 2 ** -4;
  const sy = 2 ** -4;
  const zx = -7;
  const zy = 3;
  // odd channels: acc ~ 74 * 128 * sqrt(taps), scaled to about +-150 (some saturation)
  const sw = channelScales(rand, outC, 150 / (74 * 128 * Math.sqrt(perChannel)));
  const wOnnx = channelWeights(rand, outC, perChannel); // [M][C/g][ky][kx]
  const bias = Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000));
  const biasScale = sw.map((s) => f32(sx * s));
  const onnx = onnxModel({
    nodes: [
      dq('x'),
      dq('w', 0),
      dq('b', 0, false),
      node(
        'Conv',
        ['x_f', 'w_f', 'b_f'],
        ['y_f'],
        [intsAttr('kernel_shape', [k, k]), intsAttr('pads', [1, 1, 1, 1]), ...(isDepthwise ? [intAttr('group', inC)] : [])],
      ),
      q('y'),
    ],
    initializers: [
      ...quantParams('x', sx, zx),
      int8Tensor('w', [outC, isDepthwise ? 1 : inC, k, k], wOnnx),
      ...quantParams('w', sw, new Array(outC).fill(0)),
      int32Tensor('b', [outC], bias),
      ...quantParams('b', biasScale, undefined),
      ...quantParams('y', sy, zy),
    ],
    inputs: [{ name: 'x', dtype: 'int8', dims: [1, inC, size, size] }],
    outputs: [{ name: 'y', dtype: 'int8', dims: [1, outC, size, size] }],
  });
  // the IR: NHWC activations, OHWI (conv) or 1HWO (depthwise) weights
  const wIr = new Int8Array(outC * perChannel);
  for (let m = 0; m < outC; m++) {
    for (let y = 0; y < k; y++) {
      for (let x = 0; x < k; x++) {
        if (isDepthwise) wIr[(y * k + x) * outC + m] = wOnnx[(m * k + y) * k + x]!;
        else for (let c = 0; c < inC; c++) wIr[((m * k + y) * k + x) * inC + c] = wOnnx[((m * inC + c) * k + y) * k + x]!;
      }
    }
  }
  const { graph, op } = singleOpGraph(
    isDepthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D',
    [
      { shape: [1, size, size, inC], scale: sx, zeroPoint: zx },
      { shape: isDepthwise ? [1, k, k, outC] : [outC, k, k, inC], scale: sw, zeroPoint: 0, axis: isDepthwise ? 3 : 0, data: wIr },
      { shape: [outC], dtype: 'int32', scale: biasScale, zeroPoint: 0, data: bias },
    ],
    [{ shape: [1, size, size, outC], scale: sy, zeroPoint: zy }],
    {
      padding: 'SAME',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: 'NONE',
      ...(isDepthwise ? { depthMultiplier: 1 } : {}),
      ...ORT,
    },
  );
  return { depthwise: isDepthwise, inC, outC, k, size, graph, op, onnx };
}

/** The family's kernel takes the layer where the family lists its op. */
function expectKernel(family: (typeof ORT_FAMILIES)[number], def: OpDef, c: { graph: Graph; op: Op }): void {
  const kernel = family.kernels[c.op.kind];
  if (kernel) expect(emitLayerC(def, c, family.isa), `${c.op.kind} on ${family.name}`).to.match(kernel);
}

/** NCHW <-> NHWC of one image. */
function nchwToNhwc(x: ArrayLike<number>, c: number, h: number, w: number): Int8Array {
  const out = new Int8Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[i * c + ch] = x[ch * h * w + i]!;
  return out;
}

function nhwcToNchw(x: ArrayLike<number>, c: number, h: number, w: number): Int8Array {
  const out = new Int8Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[ch * h * w + i] = x[i * c + ch]!;
  return out;
}

/** Inputs over the whole int8 range, some feeds narrow (small accumulators, many halves). */
function feedValues(rand: () => number, count: number, feed: number): Int8Array {
  return feed % 3 === 2 ? randomInt8(rand, count, -20, 20) : randomInt8(rand, count);
}

describe('ONNX Runtime arithmetic (attrs.arithmetic onnxruntime)', function () {
  describe('requant_f32.ts', () => {
    it('rounds halves to even, on both sides of zero', () => {
      expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -2.5001].map(roundHalfEven)).to.deep.equal([0, 2, 2, -0, -2, -2, 2, -3]);
    });

    it("ORT's output scale rounds the product before dividing", () => {
      // a case where fround(fround(sx*sw)/sy) and fround(sx*fround(sw/sy)) differ
      let found = false;
      const rand = rng(5);
      for (let i = 0; i < 10_000 && !found; i++) {
        const sx = f32(rand() / 50);
        const sw = f32(rand() / 500);
        const sy = f32(rand() / 10);
        found = ortOutputScale(sx, sw, sy) !== f32(sx * f32(sw / sy));
      }
      expect(found).to.equal(true);
    });

    it('saturates before rounding and adds the zero point', () => {
      expect(requantF32(1000, 0.5, 3, -128, 127)).to.equal(127);
      expect(requantF32(-1000, 0.5, 3, -128, 127)).to.equal(-128);
      expect(requantF32(5, 0.5, 3, -128, 127)).to.equal(5); // 2.5 -> 2
      expect(requantF32(7, 0.5, 3, -128, 127)).to.equal(7); // 3.5 -> 4
      expect(requantF32(2147483647, 1, 0, -128, 127)).to.equal(127);
    });
  });

  for (const isDepthwise of [false, true]) {
    const kind = isDepthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D';
    it(`${kind} equals ONNX Runtime's QLinearConv`, async function () {
      const ort = await loadOrt();
      if (!ort) return this.skip();
      const c = convCase(isDepthwise ? 21 : 11, isDepthwise);
      const def = (isDepthwise ? depthwise : conv2d) as OpDef;
      const rand = rng(3);
      const feeds = Math.ceil(100_000 / (c.outC * c.size * c.size));
      const inputs = Array.from({ length: feeds }, (_, f) => feedValues(rand, c.inC * c.size * c.size, f));
      const theirs = await runOrt(
        ort,
        c.onnx,
        inputs.map((x) => ({ x: { dtype: 'int8', dims: [1, c.inC, c.size, c.size], data: x } })),
      );
      const ours = inputs.map((x) =>
        nhwcToNchw(evaluateOp(def, c.graph, c.op, [nchwToNhwc(x, c.inC, c.size, c.size)])[0] as Int8Array, c.outC, c.size, c.size),
      );
      expectSame(ours, theirs, kind);
    });
  }

  for (const form of ['Gemm', 'MatMul'] as const) {
    it(`FULLY_CONNECTED equals ONNX Runtime's ${form === 'Gemm' ? 'QGemm (with bias)' : 'QLinearMatMul'}`, async function () {
      const ort = await loadOrt();
      if (!ort) return this.skip();
      const c = fcCase(form === 'Gemm' ? 31 : 41, form);
      const rand = rng(4);
      const inputs = Array.from({ length: 4 }, (_, f) => feedValues(rand, c.batches * c.inF, f));
      const theirs = await runOrt(
        ort,
        c.onnx,
        inputs.map((x) => ({ x: { dtype: 'int8', dims: [c.batches, c.inF], data: x } })),
      );
      const ours = inputs.map((x) => evaluateOp(fullyConnected as OpDef, c.graph, c.op, [x])[0] as Int8Array);
      expectSame(ours, theirs, `FULLY_CONNECTED (${form})`);
    });
  }

  it("FULLY_CONNECTED's multiplier is ORT's: fround(fround(sx * sw) / sy), not another rounding of sx * sw / sy", async function () {
    const ort = await loadOrt();
    if (!ort) return this.skip();
    // channels whose accumulator falls where the other orders' multipliers round differently
    const rand = rng(77);
    const sx = f32(0.0173);
    const sy = f32(0.0419);
    const zx = 0;
    const channels: { sw: number; acc: number }[] = [];
    const others = (sw: number) => [f32(sx * f32(sw / sy)), f32((sx * sw) / sy), f32(f32(sx / sy) * sw)];
    while (channels.length < 64) {
      const sw = f32(0.001 + rand() * 0.01);
      const m = ortOutputScale(sx, sw, sy);
      const alternatives = others(sw).filter((a) => a !== m);
      if (alternatives.length === 0) continue;
      for (let acc = Math.floor(100 / m); acc > 0; acc--) {
        const ours = roundHalfEven(f32(acc * m));
        if (alternatives.some((a) => roundHalfEven(f32(acc * a)) !== ours)) {
          channels.push({ sw, acc });
          break;
        }
      }
    }
    const outF = channels.length;
    const w = new Int8Array(outF).fill(1);
    const bias = Int32Array.from(channels, (c) => c.acc - 1); // x = 1: acc = bias + 1
    const sw = channels.map((c) => c.sw);
    const biasScale = sw.map((s) => f32(sx * s));
    const onnx = onnxModel({
      nodes: [dq('x'), dq('w', 0), dq('b', 0, false), node('Gemm', ['x_f', 'w_f', 'b_f'], ['y_f'], [intAttr('transB', 1)]), q('y')],
      initializers: [
        ...quantParams('x', sx, zx),
        int8Tensor('w', [outF, 1], w),
        ...quantParams('w', sw, new Array(outF).fill(0)),
        int32Tensor('b', [outF], bias),
        ...quantParams('b', biasScale, undefined),
        ...quantParams('y', sy, 0),
      ],
      inputs: [{ name: 'x', dtype: 'int8', dims: [1, 1] }],
      outputs: [{ name: 'y', dtype: 'int8', dims: [1, outF] }],
    });
    const [theirs] = await runOrt(ort, onnx, [{ x: { dtype: 'int8', dims: [1, 1], data: Int8Array.of(1) } }]);
    const { graph, op } = singleOpGraph(
      'FULLY_CONNECTED',
      [
        { shape: [1, 1], scale: sx, zeroPoint: zx },
        { shape: [outF, 1], scale: sw, zeroPoint: 0, data: w },
        { shape: [outF], dtype: 'int32', scale: biasScale, zeroPoint: 0, data: bias },
      ],
      [{ shape: [1, outF], scale: sy, zeroPoint: 0 }],
      { activation: 'NONE', keepNumDims: false, ...ORT },
    );
    const ours = evaluateOp(fullyConnected as OpDef, graph, op, [Int8Array.of(1)])[0] as Int8Array;
    expect(Array.from(ours)).to.deep.equal(Array.from(theirs!));
  });

  for (const kind of ['ADD', 'MUL'] as const) {
    it(`${kind} equals ONNX Runtime's ${kind === 'ADD' ? 'QLinearAdd' : 'QLinearMul'} (same shapes and broadcast)`, async function () {
      const ort = await loadOrt();
      if (!ort) return this.skip();
      const def = (kind === 'ADD' ? add : mul) as OpDef;
      const rand = rng(kind === 'ADD' ? 51 : 61);
      const ours: Int8Array[] = [];
      const theirs: (Int8Array | Float32Array)[] = [];
      for (const c of binaryCases(kind, rand)) {
        const feeds = Array.from({ length: 7 }, () => ({ a: randomInt8(rand, count(c.a)), b: randomInt8(rand, count(c.b)) }));
        theirs.push(
          ...(await runOrt(
            ort,
            c.onnx,
            feeds.map((f) => ({ a: { dtype: 'int8', dims: c.a, data: f.a }, b: { dtype: 'int8', dims: c.b, data: f.b } })),
          )),
        );
        ours.push(...feeds.map((f) => evaluateOp(def, c.graph, c.op, [f.a, f.b])[0] as Int8Array));
      }
      expectSame(ours, theirs, kind);
    });
  }

  it("QUANTIZE (float32 to int8) equals ONNX Runtime's QuantizeLinear: x / scale, half to even", async function () {
    const ort = await loadOrt();
    if (!ort) return this.skip();
    const ours: Int8Array[] = [];
    const theirs: (Int8Array | Float32Array)[] = [];
    for (const c of quantizeCases(rng(71))) {
      theirs.push(
        ...(await runOrt(
          ort,
          c.onnx,
          c.feeds.map((x) => ({ x: { dtype: 'float32', dims: [1, x.length], data: x } })),
        )),
      );
      ours.push(...c.feeds.map((x) => evaluateOp(quantize as OpDef, c.graph, c.op, [x])[0] as Int8Array));
    }
    expectSame(ours, theirs, 'QUANTIZE');
  });

  it("QUANTIZE (int8 to int8) equals ONNX Runtime's DequantizeLinear then QuantizeLinear", async function () {
    const ort = await loadOrt();
    if (!ort) return this.skip();
    const ours: Int8Array[] = [];
    const theirs: (Int8Array | Float32Array)[] = [];
    for (const c of requantizeCases()) {
      theirs.push(...(await runOrt(ort, c.onnx, [{ x: { dtype: 'int8', dims: [1, c.feed.length], data: c.feed } }])));
      ours.push(evaluateOp(quantize as OpDef, c.graph, c.op, [c.feed])[0] as Int8Array);
    }
    expectSame(ours, theirs, 'QUANTIZE int8');
  });

  it("AVERAGE_POOL_2D equals ONNX Runtime's QLinearAveragePool; MEAN over H, W its QLinearGlobalAveragePool", async function () {
    const ort = await loadOrt();
    if (!ort) return this.skip();
    const rand = rng(81);
    for (const kind of ['AVERAGE_POOL_2D', 'MEAN'] as const) {
      const ours: Int8Array[] = [];
      const theirs: (Int8Array | Float32Array)[] = [];
      for (const c of poolCases(kind)) {
        const feeds = Array.from({ length: c.feeds }, () => randomInt8(rand, count(c.nchw)));
        theirs.push(
          ...(await runOrt(
            ort,
            c.onnx,
            feeds.map((x) => ({ x: { dtype: 'int8', dims: c.nchw, data: x } })),
          )),
        );
        const [, ch, h, w] = c.nchw as [number, number, number, number];
        const [, oh, ow] = c.outNhwc as [number, number, number, number];
        ours.push(...feeds.map((x) => nhwcToNchw(evaluateOp(c.def, c.graph, c.op, [nchwToNhwc(x, ch, h, w)])[0] as Int8Array, ch, oh, ow)));
      }
      expectSame(ours, theirs, kind);
    }
  });

  it("CONCATENATION of inputs quantized unlike the output equals ONNX Runtime's QLinearConcat", async function () {
    const ort = await loadOrt();
    if (!ort) return this.skip();
    const rand = rng(91);
    const ours: Int8Array[] = [];
    const theirs: (Int8Array | Float32Array)[] = [];
    for (const c of concatCases()) {
      const feeds = Array.from({ length: 2 }, () => ({ a: randomInt8(rand, 8 * 64 * 64), b: randomInt8(rand, 8 * 64 * 64) }));
      theirs.push(
        ...(await runOrt(
          ort,
          c.onnx,
          feeds.map((f) => ({ a: { dtype: 'int8', dims: [1, 8, 64, 64], data: f.a }, b: { dtype: 'int8', dims: [1, 8, 64, 64], data: f.b } })),
        )),
      );
      ours.push(
        ...feeds.map((f) =>
          nhwcToNchw(evaluateOp(concatenation as OpDef, c.graph, c.op, [nchwToNhwc(f.a, 8, 64, 64), nchwToNhwc(f.b, 8, 64, 64)])[0] as Int8Array, 16, 64, 64),
        ),
      );
    }
    expectSame(ours, theirs, 'CONCATENATION');
  });

  it('the portable C of each equals the reference kernel (host, ASan + UBSan)', () => {
    const rand = rng(8);
    const cases: CCase[] = [];
    for (const isDepthwise of [false, true]) {
      const c = convCase(isDepthwise ? 22 : 12, isDepthwise);
      for (let f = 0; f < 3; f++) {
        cases.push({ def: (isDepthwise ? depthwise : conv2d) as OpDef, graph: c.graph, op: c.op, inputs: [feedValues(rand, c.inC * c.size * c.size, f)] });
      }
    }
    for (const form of ['Gemm', 'MatMul'] as const) {
      const c = fcCase(form === 'Gemm' ? 32 : 42, form);
      for (let f = 0; f < 3; f++) cases.push({ def: fullyConnected as OpDef, graph: c.graph, op: c.op, inputs: [feedValues(rand, c.batches * c.inF, f)] });
    }
    for (const kind of ['ADD', 'MUL'] as const) {
      for (const c of binaryCases(kind, rand)) {
        cases.push({
          def: (kind === 'ADD' ? add : mul) as OpDef,
          graph: c.graph,
          op: c.op,
          inputs: [randomInt8(rand, count(c.a)), randomInt8(rand, count(c.b))],
        });
      }
    }
    for (const c of quantizeCases(rand)) cases.push({ def: quantize as OpDef, graph: c.graph, op: c.op, inputs: [c.feeds[0]!] });
    for (const c of requantizeCases()) cases.push({ def: quantize as OpDef, graph: c.graph, op: c.op, inputs: [c.feed] });
    for (const kind of ['AVERAGE_POOL_2D', 'MEAN'] as const) {
      for (const c of poolCases(kind)) cases.push({ def: c.def, graph: c.graph, op: c.op, inputs: [randomInt8(rand, count(c.nchw))] });
    }
    for (const c of concatCases()) {
      cases.push({ def: concatenation as OpDef, graph: c.graph, op: c.op, inputs: [randomInt8(rand, 8 * 64 * 64), randomInt8(rand, 8 * 64 * 64)] });
    }
    expectCasesBitExactInC(cases, (c, k) => `${c.op.kind} case ${k}`);
  });

  // the families' kernels run ONNX Runtime's requantization as their epilogue (variant.ts firstOrtVariant)
  for (const family of ORT_FAMILIES) {
    it(`the ${family.name} kernels with ONNX Runtime's epilogue equal the reference kernel (host C twins)`, () => {
      const rand = rng(9);
      const cases: CCase[] = [];
      for (const isDepthwise of [false, true]) {
        const c = convCase(isDepthwise ? 23 : 13, isDepthwise);
        const def = (isDepthwise ? depthwise : conv2d) as OpDef;
        expectKernel(family, def, c);
        for (let f = 0; f < 3; f++) cases.push({ def, graph: c.graph, op: c.op, inputs: [feedValues(rand, c.inC * c.size * c.size, f)], isa: family.isa });
      }
      for (const form of ['Gemm', 'MatMul'] as const) {
        const c = fcCase(form === 'Gemm' ? 33 : 43, form);
        expectKernel(family, fullyConnected as OpDef, c);
        for (let f = 0; f < 3; f++) {
          cases.push({ def: fullyConnected as OpDef, graph: c.graph, op: c.op, inputs: [feedValues(rand, c.batches * c.inF, f)], isa: family.isa });
        }
      }
      expectCasesBitExactInC(cases, (c, k) => `${c.op.kind} case ${k} on ${family.name}`);
    });
  }
});

interface FcCase {
  batches: number;
  inF: number;
  outF: number;
  graph: Graph;
  op: Op;
  onnx: Uint8Array;
}

/**
 * A fully connected layer as ONNX Gemm (transB, int32 bias: QGemm) or MatMul (no bias, weights
 * [in, out] with per-column scales: QLinearMatMul), and as the IR layer.
 */
function fcCase(seed: number, form: 'Gemm' | 'MatMul'): FcCase {
  const rand = rng(seed);
  const batches = 64;
  const inF = 48;
  const outF = 400;
  const sx = 2 ** -3;
  const sy = 2 ** -2;
  const zx = 5;
  const zy = -9;
  const sw = channelScales(rand, outF, (150 * 4) / (8 * 74 * 128 * Math.sqrt(inF)));
  const w = channelWeights(rand, outF, inF); // [out][in]
  const bias = form === 'Gemm' ? Int32Array.from({ length: outF }, () => randomInt(rand, -5000, 5000)) : undefined;
  const biasScale = sw.map((s) => f32(sx * s));
  const wT = new Int8Array(outF * inF);
  for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) wT[i * outF + o] = w[o * inF + i]!;
  const onnx = onnxModel({
    nodes:
      form === 'Gemm'
        ? [dq('x'), dq('w', 0), dq('b', 0, false), node('Gemm', ['x_f', 'w_f', 'b_f'], ['y_f'], [intAttr('transB', 1)]), q('y')]
        : [dq('x'), dq('w', 1), node('MatMul', ['x_f', 'w_f'], ['y_f']), q('y')],
    initializers: [
      ...quantParams('x', sx, zx),
      form === 'Gemm' ? int8Tensor('w', [outF, inF], w) : int8Tensor('w', [inF, outF], wT),
      ...quantParams('w', sw, new Array(outF).fill(0)),
      ...(bias ? [int32Tensor('b', [outF], bias), ...quantParams('b', biasScale, undefined)] : []),
      ...quantParams('y', sy, zy),
    ],
    inputs: [{ name: 'x', dtype: 'int8', dims: [batches, inF] }],
    outputs: [{ name: 'y', dtype: 'int8', dims: [batches, outF] }],
  });
  const { graph, op } = singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [batches, inF], scale: sx, zeroPoint: zx },
      { shape: [outF, inF], scale: sw, zeroPoint: 0, data: w },
      bias ? { shape: [outF], dtype: 'int32', scale: biasScale, zeroPoint: 0, data: bias } : null,
    ],
    [{ shape: [batches, outF], scale: sy, zeroPoint: zy }],
    { activation: 'NONE', keepNumDims: false, ...ORT },
  );
  return { batches, inF, outF, graph, op, onnx };
}

const count = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

interface BinaryCase {
  a: number[];
  b: number[];
  graph: Graph;
  op: Op;
  onnx: Uint8Array;
}

/**
 * ADD or MUL over [1, 16, 16, 32] twice: scales that are powers of two (many exact halves) and
 * arbitrary ones, the second with b broadcast along the last axis.
 */
function binaryCases(kind: 'ADD' | 'MUL', rand: () => number): BinaryCase[] {
  const shape = [1, 16, 16, 32];
  const arbitrary = () => f32(0.002 + rand() * 0.05);
  const specs = [
    { b: shape, s1: 2 ** -3, s2: 2 ** -4, so: kind === 'ADD' ? 2 ** -2 : 2 ** -1, z: [3, -5, -2] },
    { b: [32], s1: arbitrary(), s2: arbitrary(), so: kind === 'ADD' ? arbitrary() * 3 : arbitrary() / 4, z: [-20, 9, 4] },
  ];
  return specs.map((sp) => {
    const [z1, z2, zo] = sp.z as [number, number, number];
    const onnx = onnxModel({
      nodes: [dq('a'), dq('b'), node(kind === 'ADD' ? 'Add' : 'Mul', ['a_f', 'b_f'], ['y_f']), q('y')],
      initializers: [...quantParams('a', sp.s1, z1), ...quantParams('b', sp.s2, z2), ...quantParams('y', sp.so, zo)],
      inputs: [
        { name: 'a', dtype: 'int8', dims: shape },
        { name: 'b', dtype: 'int8', dims: sp.b },
      ],
      outputs: [{ name: 'y', dtype: 'int8', dims: shape }],
    });
    const { graph, op } = singleOpGraph(
      kind,
      [
        { shape, scale: sp.s1, zeroPoint: z1 },
        { shape: sp.b, scale: sp.s2, zeroPoint: z2 },
      ],
      [{ shape, scale: sp.so, zeroPoint: zo }],
      { activation: 'NONE', ...ORT },
    );
    return { a: shape, b: sp.b, graph, op, onnx };
  });
}

/**
 * QuantizeLinear over 20000 floats, three scales (one a power of two), zero point -3: half of the
 * feeds are exact multiples of scale / 2 (every one a half or an integer after the division), the
 * others uniform over the range and past it.
 */
function quantizeCases(rand: () => number): { graph: Graph; op: Op; onnx: Uint8Array; feeds: Float32Array[] }[] {
  const n = 20_000;
  return [f32(0.0371), 2 ** -4, f32(0.1)].map((s) => {
    const zp = -3;
    const onnx = onnxModel({
      nodes: [node('QuantizeLinear', ['x', 'y_scale', 'y_zp'], ['y'])],
      initializers: [...quantParams('y', s, zp)],
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, n] }],
      outputs: [{ name: 'y', dtype: 'int8', dims: [1, n] }],
    });
    const { graph, op } = singleOpGraph('QUANTIZE', [{ shape: [1, n], dtype: 'float32' }], [{ shape: [1, n], scale: s, zeroPoint: zp }], ORT);
    const feeds = Array.from({ length: 2 }, (_, k) =>
      Float32Array.from({ length: n }, () => (k % 2 ? f32(((Math.floor(rand() * 600) - 300) * s) / 2) : f32((rand() - 0.5) * 300 * s))),
    );
    return { graph, op, onnx, feeds };
  });
}

/**
 * Every int8 value requantized between pairs of parameters: powers of two whose ratio makes halves
 * (the rounding decides them), arbitrary ones, and ratios that saturate both ends.
 */
function requantizeCases(): { graph: Graph; op: Op; onnx: Uint8Array; feed: Int8Array }[] {
  const pairs: [number, number, number, number][] = [
    [2 ** -4, 3, 2 ** -3, -5],
    [2 ** -5, -2, 2 ** -2, 7],
    [f32(0.0371), -9, f32(0.0517), 11],
    [f32(0.113), 4, f32(0.0291), -20],
    [f32(0.0123), 0, f32(0.0123 * 3), 0],
    [f32(0.07), 17, f32(0.0099), 1],
  ];
  const feed = Int8Array.from({ length: 256 * 70 }, (_, i) => (i % 256) - 128);
  return pairs.map(([sx, zx, sy, zy]) => {
    const onnx = onnxModel({
      nodes: [node('DequantizeLinear', ['x', 'x_scale', 'x_zp'], ['x_f']), node('QuantizeLinear', ['x_f', 'y_scale', 'y_zp'], ['y'])],
      initializers: [...quantParams('x', sx, zx), ...quantParams('y', sy, zy)],
      inputs: [{ name: 'x', dtype: 'int8', dims: [1, feed.length] }],
      outputs: [{ name: 'y', dtype: 'int8', dims: [1, feed.length] }],
    });
    const { graph, op } = singleOpGraph(
      'QUANTIZE',
      [{ shape: [1, feed.length], scale: sx, zeroPoint: zx }],
      [{ shape: [1, feed.length], scale: sy, zeroPoint: zy }],
      ORT,
    );
    return { graph, op, onnx, feed };
  });
}

interface PoolCase {
  def: OpDef;
  nchw: number[];
  outNhwc: number[];
  graph: Graph;
  op: Op;
  onnx: Uint8Array;
  feeds: number;
}

/**
 * AveragePool 2x2 stride 2 (powers of two, odd output zero point: the float zero point addition
 * decides halves) and 3x3 SAME at stride 1 (arbitrary scales, input and output quantized unlike);
 * GlobalAveragePool (as MEAN over H, W) on 8x8 (halves) and 7x7 images.
 */
function poolCases(kind: 'AVERAGE_POOL_2D' | 'MEAN'): PoolCase[] {
  if (kind === 'AVERAGE_POOL_2D') {
    const specs = [
      { k: 2, stride: 2, pads: [0, 0, 0, 0], padding: 'VALID', q: [2 ** -3, 3, 2 ** -3, -3] },
      { k: 3, stride: 1, pads: [1, 1, 1, 1], padding: 'SAME', q: [f32(0.0371), -5, f32(0.0293), 7] },
    ] as const;
    return specs.map((sp) => {
      const [sx, zx, sy, zy] = sp.q;
      const [ch, h] = [16, 32];
      const oh = sp.stride === 2 ? h / 2 : h;
      const onnx = onnxModel({
        nodes: [
          dq('x'),
          node(
            'AveragePool',
            ['x_f'],
            ['y_f'],
            [intsAttr('kernel_shape', [sp.k, sp.k]), intsAttr('strides', [sp.stride, sp.stride]), intsAttr('pads', [...sp.pads])],
          ),
          q('y'),
        ],
        initializers: [...quantParams('x', sx, zx), ...quantParams('y', sy, zy)],
        inputs: [{ name: 'x', dtype: 'int8', dims: [1, ch, h, h] }],
        outputs: [{ name: 'y', dtype: 'int8', dims: [1, ch, oh, oh] }],
      });
      const { graph, op } = singleOpGraph(
        'AVERAGE_POOL_2D',
        [{ shape: [1, h, h, ch], scale: sx, zeroPoint: zx }],
        [{ shape: [1, oh, oh, ch], scale: sy, zeroPoint: zy }],
        { padding: sp.padding, strideH: sp.stride, strideW: sp.stride, filterH: sp.k, filterW: sp.k, activation: 'NONE', ...ORT },
      );
      return { def: averagePool as OpDef, nchw: [1, ch, h, h], outNhwc: [1, oh, oh, ch], graph, op, onnx, feeds: sp.stride === 2 ? 25 : 7 };
    });
  }
  const specs = [
    { h: 8, q: [2 ** -3, 3, 2 ** -3, -3] },
    { h: 7, q: [f32(0.0371), -5, f32(0.0293), 7] },
  ] as const;
  return specs.map((sp) => {
    const [sx, zx, sy, zy] = sp.q;
    const ch = 64;
    const onnx = onnxModel({
      nodes: [dq('x'), node('GlobalAveragePool', ['x_f'], ['y_f']), q('y')],
      initializers: [...quantParams('x', sx, zx), ...quantParams('y', sy, zy)],
      inputs: [{ name: 'x', dtype: 'int8', dims: [1, ch, sp.h, sp.h] }],
      outputs: [{ name: 'y', dtype: 'int8', dims: [1, ch, 1, 1] }],
    });
    const { graph, op } = singleOpGraph(
      'MEAN',
      [
        { shape: [1, sp.h, sp.h, ch], scale: sx, zeroPoint: zx },
        { shape: [2], dtype: 'int32', data: Int32Array.of(1, 2) },
      ],
      [{ shape: [1, 1, 1, ch], scale: sy, zeroPoint: zy }],
      { keepDims: true, ...ORT },
    );
    return { def: mean as OpDef, nchw: [1, ch, sp.h, sp.h], outNhwc: [1, 1, 1, ch], graph, op, onnx, feeds: 800 };
  });
}

/**
 * Two [1, 8, 64, 64] inputs concatenated along the channels: powers of two with an odd output zero
 * point (halves everywhere), then arbitrary scales, the second input quantized as the output.
 */
function concatCases(): { graph: Graph; op: Op; onnx: Uint8Array }[] {
  const specs = [
    { a: [2 ** -3, 3], b: [2 ** -2, -4], y: [2 ** -2, -3] },
    { a: [f32(0.0371), 5], b: [f32(0.0293), 2], y: [f32(0.0293), 2] },
  ] as const;
  return specs.map((sp) => {
    const onnx = onnxModel({
      nodes: [dq('a'), dq('b'), node('Concat', ['a_f', 'b_f'], ['y_f'], [intAttr('axis', 1)]), q('y')],
      initializers: [...quantParams('a', sp.a[0], sp.a[1]), ...quantParams('b', sp.b[0], sp.b[1]), ...quantParams('y', sp.y[0], sp.y[1])],
      inputs: [
        { name: 'a', dtype: 'int8', dims: [1, 8, 64, 64] },
        { name: 'b', dtype: 'int8', dims: [1, 8, 64, 64] },
      ],
      outputs: [{ name: 'y', dtype: 'int8', dims: [1, 16, 64, 64] }],
    });
    const { graph, op } = singleOpGraph(
      'CONCATENATION',
      [
        { shape: [1, 64, 64, 8], scale: sp.a[0], zeroPoint: sp.a[1] },
        { shape: [1, 64, 64, 8], scale: sp.b[0], zeroPoint: sp.b[1] },
      ],
      [{ shape: [1, 64, 64, 16], scale: sp.y[0], zeroPoint: sp.y[1] }],
      { axis: 3, activation: 'NONE', ...ORT },
    );
    return { graph, op, onnx };
  });
}
